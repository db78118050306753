"""The French catalogue is complete: every string marked in the code and templates has a French translation.

This is the check CI relies on ("100% or fail"): it extracts the marked strings from the sources itself, so
a string marked but never added to translations/fr/LC_MESSAGES/messages.po fails here too.
"""
import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def _extracted() -> dict[str, tuple]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = dict(DEFAULT_KEYWORDS, _l=None)
    found = {}
    # Unlike Babel's default, folders starting with "_" (templates/_macros) are searched too.
    def searched(path: str) -> bool:
        name = Path(path).name
        return not name.startswith(".") and name not in ("__pycache__", "node_modules")

    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords, directory_filter=searched
    ):
        found.setdefault(message, (filename, lineno))
    return found


@pytest.fixture(scope="module")
def catalogue():
    with open(CATALOGUE, "rb") as f:
        return read_po(f, locale="fr")


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _key(message):
    return message[0] if isinstance(message, tuple) else message


def test_sources_mark_strings_for_translation(extracted):
    # A sanity floor, so an extraction that silently finds nothing cannot pass the completeness test.
    assert len(extracted) > 300


def test_every_marked_string_has_a_french_translation(catalogue, extracted):
    missing = []
    for message, (filename, lineno) in extracted.items():
        entry = catalogue.get(_key(message))
        strings = entry.string if entry is not None else None
        translated = all(strings) if isinstance(strings, (list, tuple)) else bool(strings)
        if entry is None or not translated or entry.fuzzy:
            missing.append(f"{filename}:{lineno}: {_key(message)!r}")
    total = len(extracted)
    done = total - len(missing)
    assert not missing, f"French catalogue {done}/{total} ({100 * done / total:.1f}%); missing:\n" + \
        "\n".join(missing[:50])


def test_translations_keep_their_placeholders(catalogue):
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalogue.check()]
    assert not problems, problems


def test_catalogue_compiles(catalogue):
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    assert buffer.tell() > 1000
