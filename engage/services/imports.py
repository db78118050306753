"""Importing other channels' comments: spreadsheets here, plus the batch, hashing and bulk writing all imports share.

An import is all or nothing: every row is checked inside one write transaction and rows are written in
chunks as they pass; at the first problem writing stops, the rest is still checked so every problem is
reported, and the caller rolls the transaction back. Re-importing a file adds nothing: each row's content
hash is kept in ImportedRow, which has no link to the response the row became.
"""
import datetime as dt
import hashlib
import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import insert, select, text

from engage.database import begin_write
from engage.extensions import db
from engage.imports import ImportFileError, check_size
from engage.imports.spreadsheet import neutralise_csv_cell, read_table
from engage.models import (
    SCALE_LABELS, Answer, Channel, Consultation, ImportBatch, ImportedRow, QuestionKind, Response, SegmentAnswer, User,
)
from engage.services import search_index
from engage.services.audit import record_event

__all__ = [
    "IMPORT_CHANNELS", "ImportFileError", "ImportRejected", "ImportResult", "Preview", "Problem", "Target",
    "import_spreadsheet", "mapping_targets", "neutralise_csv_cell", "preview_spreadsheet",
]

IMPORT_CHANNELS = tuple(c.value for c in Channel if c is not Channel.ONLINE)
SPREADSHEET_CHANNELS = (Channel.PAPER.value, Channel.EMAIL.value, Channel.FOCUS_GROUP.value, Channel.ROUNDTABLE.value)
DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 2000
_MULTI_SEPARATOR = re.compile(r"\s*[;|]\s*")
_PREFER_NOT = {"prefer not to say", "prefer not to answer"}


def import_max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported; row and column are 1-based as a spreadsheet shows them (header = row 1)."""

    message: str
    row: int | None = None
    column: int | None = None
    column_name: str = ""

    def __str__(self) -> str:
        place = {"row": self.row, "column": self.column, "name": self.column_name, "message": self.message}
        if self.row is not None and self.column is not None:
            if self.column_name:
                return _("Row %(row)s, column %(column)s (%(name)s): %(message)s", **place)
            return _("Row %(row)s, column %(column)s: %(message)s", **place)
        if self.row is not None:
            return _("Row %(row)s: %(message)s", **place)
        if self.column is not None:
            return _("Column %(column)s: %(message)s", **place)
        return self.message


class ImportRejected(Exception):
    """The file has problems; nothing was imported. `problems` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = str(problems[0]).rstrip(".")  # the sentence below ends it
        if len(problems) > 1:
            message = ngettext("Nothing was imported: %(problem)s (and %(num)s more).",
                               "Nothing was imported: %(problem)s (and %(num)s more).", len(problems) - 1,
                               problem=first)
        else:
            message = _("Nothing was imported: %(problem)s.", problem=first)
        super().__init__(message)


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    added: int
    skipped: int


@dataclass(frozen=True)
class Target:
    """Something a column can fill: `text` (a free comment), `date`, a question (`q1`, `q2`...) or a segment key."""

    key: str
    label: str
    kind: str  # "comment", "date", a QuestionKind value, or "segment"
    id: int | None = None
    max_length: int = 0
    multiple: bool = False
    options: dict[str, int] = field(default_factory=dict)


def mapping_targets(consultation: Consultation) -> dict[str, Target]:
    """What columns can be mapped to, by key: `text`, `date`, `q<number>` (1 = first question), segment keys."""
    limit = current_app.config["TEXT_ANSWER_LIMIT"]
    targets = {
        "text": Target("text", _("A comment not tied to a question"), "comment", max_length=limit),
        "date": Target("date", _("The day it was written (YYYY-MM-DD)"), "date"),
    }
    for number, question in enumerate(consultation.questions, start=1):
        options = {o.label.strip().lower(): o.id for o in question.options}
        if question.kind == QuestionKind.SCALE.value:
            options = {str(v): v for v in SCALE_LABELS} | {label.lower(): v for v, label in SCALE_LABELS.items()}
        targets[f"q{number}"] = Target(
            f"q{number}", _("Question %(number)s: %(prompt)s", number=number, prompt=question.prompt), question.kind,
            question.id,
            max_length=min(question.max_length or limit, limit), multiple=question.kind == QuestionKind.MULTIPLE.value,
            options=options,
        )
    for segment_field in consultation.segment_fields:
        targets[segment_field.key] = Target(
            segment_field.key, _("About you: %(question)s", question=segment_field.label), "segment", segment_field.id,
            multiple=segment_field.multiple, options={o.label.strip().lower(): o.id for o in segment_field.options},
        )
    return targets


@dataclass(frozen=True)
class Preview:
    header: list[str]
    mapped: list[tuple[str, str]]  # (target label, column name) in file order
    rows: list[list[str]]  # the first rows' mapped cells
    problems: list[Problem]
    row_count: int


def _bind(consultation: Consultation, header: list[str], mapping: dict[str, str]) -> tuple[list[tuple[Target, int]], list[Problem]]:
    """Pair each mapped target with its column index; unknown targets and columns become problems."""
    targets = mapping_targets(consultation)
    by_name = {h.lower(): i for i, h in enumerate(header) if h}
    bound, problems = [], []
    for key, column in mapping.items():
        target = targets.get(key.strip().lower()) or targets.get(key.strip())
        if target is None:
            problems.append(Problem(_("'%(key)s' is not a question or 'about you' field of this consultation "
                                      "(use %(keys)s).", key=key, keys=", ".join(targets))))
            continue
        index = by_name.get(column.strip().lower())
        if index is None:
            problems.append(Problem(_("There is no column called '%(column)s' in the file (its columns are: "
                                      "%(columns)s).", column=column, columns=", ".join(h for h in header if h))))
            continue
        bound.append((target, index))
    if not bound and not problems:
        problems.append(Problem(_("Choose at least one column to import.")))
    return sorted(bound, key=lambda pair: pair[1]), problems


@dataclass
class ParsedRow:
    answers: list[dict] = field(default_factory=list)
    segments: list[dict] = field(default_factory=list)
    submitted_on: dt.date | None = None
    content_hash: str | None = None
    language: str = ""


def _parse_row(bound, cells: list[str], row_number: int, header: list[str]) -> tuple[ParsedRow | None, list[Problem]]:
    """Turn one row's mapped cells into answers; None for a blank row."""
    parsed, problems = ParsedRow(), []
    extra = next((i for i in range(len(header), len(cells)) if cells[i].strip()), None)
    if extra is not None:
        # Nothing is dropped unseen: in a CSV, a comma in unquoted text splits it, and the rest lands here.
        problems.append(Problem(_("There is text past the last named column: '%(value)s'. If a comment holds a "
                                  "comma, put the comment in quotes; otherwise give the column a name.",
                                  value=cells[extra][:40]), row_number, extra + 1, ""))
    for target, index in bound:
        value = cells[index] if index < len(cells) else ""
        if not value:
            continue

        def problem(message: str) -> None:
            problems.append(Problem(message, row_number, index + 1, header[index]))

        if target.kind in ("comment", QuestionKind.TEXT.value):
            if len(value) > target.max_length:
                problem(_("The text is %(length)s characters; the limit is %(limit)s.", length=f"{len(value):,}",
                          limit=f"{target.max_length:,}"))
            parsed.answers.append({"question_id": target.id, "text": value})
        elif target.kind == "date":
            try:
                parsed.submitted_on = dt.date.fromisoformat(value[:10])
            except ValueError:
                problem(_("'%(value)s' is not a date written as YYYY-MM-DD.", value=value[:40]))
        elif target.kind == QuestionKind.SCALE.value:
            scale = target.options.get(value.lower().removesuffix(".0"))
            if scale is None:
                problem(_("'%(value)s' is not on the scale: use a number from 1 to 5.", value=value[:40]))
            else:
                parsed.answers.append({"question_id": target.id, "scale_value": scale})
        else:
            values = _MULTI_SEPARATOR.split(value) if target.multiple else [value]
            for choice in filter(None, values):
                lowered = choice.strip().lower()
                if target.kind == "segment" and lowered in _PREFER_NOT:
                    parsed.segments.append({"field_id": target.id, "option_id": None})
                elif lowered not in target.options:
                    problem(_("'%(value)s' is not one of the options (%(options)s).", value=choice[:40],
                              options="; ".join(_labels(target))))
                elif target.kind == "segment":
                    parsed.segments.append({"field_id": target.id, "option_id": target.options[lowered]})
                else:
                    parsed.answers.append({"question_id": target.id, "option_id": target.options[lowered]})
    if not parsed.answers and not parsed.segments and not problems:
        return None, []
    return parsed, problems


def _labels(target: Target) -> list[str]:
    return [label for label in target.options][:12]


def row_hash(channel: str, parts: Iterable[str], occurrence: int) -> str:
    """A row's content hash; the k-th identical row of a file gets its own, so duplicates inside a file still count."""
    digest = hashlib.sha256(f"engage-import\x1f{channel}".encode())
    for part in parts:
        digest.update(b"\x1e" + part.encode())
    digest.update(f"\x1d{occurrence}".encode())
    return digest.hexdigest()


def preview_spreadsheet(*, consultation: Consultation, data: bytes, filename: str, mapping: dict[str, str],
                        first_rows: int = 10, max_rows: int | None = None) -> Preview:
    """The first rows as they would be imported and every problem in the file. Reads only; writes nothing.

    With `max_rows`, a longer file is refused as soon as it passes the limit (the web pages use this, so
    an import always finishes well inside one request).
    """
    check_size(data, limit=import_max_bytes())
    table = read_table(data, filename)
    bound, problems = _bind(consultation, table.header, mapping)
    rows, count = [], 0
    if bound:
        for row_number, cells in enumerate(table.rows(), start=2):
            if max_rows is not None and row_number - 1 > max_rows:
                problems.append(Problem(_(
                    "This file has more than %(limit)s rows. This page imports up to %(limit)s at a time so "
                    "that it finishes before the page times out. Split the file into smaller ones, or ask an "
                    "administrator to run: %(command)s", limit=f"{max_rows:,}",
                    command=f"flask --app engage import FILE --consultation {consultation.slug} --channel paper")))
                break
            parsed, row_problems = _parse_row(bound, cells, row_number, table.header)
            problems.extend(row_problems)
            if parsed is not None:
                count += 1
                if len(rows) < first_rows:
                    rows.append([cells[index] for _target, index in bound])
    if bound and not count and not problems:
        problems.append(Problem(_("The file has no rows with anything to import.")))
    mapped = [(target.label, table.header[index]) for target, index in bound]
    return Preview(header=table.header, mapped=mapped, rows=rows, problems=problems, row_count=count)


def import_spreadsheet(*, consultation: Consultation, data: bytes, filename: str, channel: str,
                       mapping: dict[str, str], user: User | None, today: dt.date, language: str = "en") -> ImportResult:
    """Import every row as one response, all or nothing. Raises ImportFileError or ImportRejected (roll back)."""
    if channel not in SPREADSHEET_CHANNELS:
        raise ImportFileError(_("'%(channel)s' is not a channel a spreadsheet can come from.", channel=channel))
    check_size(data, limit=import_max_bytes())
    table = read_table(data, filename)
    bound, problems = _bind(consultation, table.header, mapping)
    if problems:
        raise ImportRejected(problems)
    # Every row is read, checked and hashed before the write lock is taken: on SQLite the lock stops every
    # participant's submission, so it is held only to write (bench/import_speed.py, 100k rows: 12.5 -> 9.9 s).
    parsed_rows: list[ParsedRow] = []
    occurrences: Counter[bytes] = Counter()
    for row_number, cells in enumerate(table.rows(), start=2):
        parsed, row_problems = _parse_row(bound, cells, row_number, table.header)
        problems.extend(row_problems)
        if parsed is None or problems:
            continue  # after the first problem, keep checking but stop keeping rows
        parts = [f"{target.key}={cells[index]}" for target, index in bound]
        base = hashlib.sha256("\x1e".join(parts).encode()).digest()
        occurrences[base] += 1
        parsed.content_hash = row_hash(channel, parts, occurrences[base])
        parsed_rows.append(parsed)
    if not problems and not parsed_rows:
        problems.append(Problem(_("The file has no rows with anything to import.")))
    if problems:
        raise ImportRejected(problems)
    begin_write()
    _widen_sqlite_cache()
    batch = start_batch(consultation=consultation, channel=channel, filename=filename, user=user)
    writer = BulkWriter(consultation_id=consultation.id, channel=channel, batch_id=batch.id, today=today, language=language)
    for parsed in parsed_rows:
        writer.add(parsed)
    writer.flush()
    return finish_batch(batch=batch, added=writer.added, skipped=writer.skipped, user=user)


def _widen_sqlite_cache() -> None:
    # Random ids land all over each index: with SQLite's default 2 MiB page cache a large import spends most of
    # its time re-reading pages. 64 MiB on this connection keeps the indexes' hot pages in memory.
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA cache_size = -65536"))


def start_batch(*, consultation: Consultation, channel: str, filename: str, user: User | None) -> ImportBatch:
    batch = ImportBatch(consultation_id=consultation.id, channel=channel, filename=filename[:255],
                        created_by_id=user.id if user else None)
    db.session.add(batch)
    db.session.flush()
    return batch


def finish_batch(*, batch: ImportBatch, added: int, skipped: int, user: User | None, **details) -> ImportResult:
    """Record the counts and an audit event (counts, channel and file name; never participants' words)."""
    batch.rows_added, batch.rows_skipped = added, skipped
    record_event(actor=user, action="import_file", target_type="import_batch", target_id=batch.id,
                 details={"channel": batch.channel, "filename": batch.filename, "added": added, "skipped": skipped} | details)
    db.session.flush()
    search_index.catch_up()  # in the import's own transaction, so the first search after it does not wait
    return ImportResult(batch_id=batch.id, added=added, skipped=skipped)


class BulkWriter:
    """Writes parsed rows in chunks with Core executemany inside the caller's transaction, skipping known hashes."""

    def __init__(self, *, consultation_id: int, channel: str, batch_id: int, today: dt.date, language: str,
                 session_id: int | None = None):
        self.consultation_id, self.channel, self.batch_id = consultation_id, channel, batch_id
        self.today, self.language, self.session_id = today, language, session_id
        self.pending: list[ParsedRow] = []
        self.added = self.skipped = self.seen = 0

    def add(self, row: ParsedRow) -> None:
        self.seen += 1
        self.pending.append(row)
        if len(self.pending) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        hashes = [r.content_hash for r in rows if r.content_hash]
        known = set(db.session.scalars(select(ImportedRow.content_hash).where(
            ImportedRow.consultation_id == self.consultation_id, ImportedRow.content_hash.in_(hashes)))) if hashes else set()
        responses, answers, segments, imported = [], [], [], []
        for row in rows:
            if row.content_hash in known:
                self.skipped += 1
                continue
            response_id = uuid.uuid4()
            responses.append({
                "id": response_id, "consultation_id": self.consultation_id, "channel": self.channel,
                "submitted_on": row.submitted_on or self.today, "language": row.language or self.language,
                "is_demo": False, "engagement_session_id": self.session_id, "import_batch_id": self.batch_id,
            })
            for answer in row.answers:
                answers.append({"id": uuid.uuid4(), "response_id": response_id, "question_id": None, "text": None,
                                "scale_value": None, "option_id": None} | answer)
            for segment in row.segments:
                segments.append({"id": uuid.uuid4(), "response_id": response_id} | segment)
            if row.content_hash:
                known.add(row.content_hash)
                imported.append({"consultation_id": self.consultation_id, "content_hash": row.content_hash})
        # Random ids (not arrival order) and no link from ImportedRow to the response, as for online answers.
        for table, values in ((Response, responses), (Answer, answers), (SegmentAnswer, segments), (ImportedRow, imported)):
            if values:
                db.session.execute(insert(table.__table__), values)
        self.added += len(responses)
