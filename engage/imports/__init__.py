"""Reading files from other channels: spreadsheets, session notes and email. Parsers only; no database."""
import re

from flask_babel import gettext as _

# Control characters other than tab and newlines never belong in a comment (and are a sign of a binary file).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Signatures of common binary formats, so a picture renamed .csv is refused by name rather than by garbage.
_BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x1f\x8b", b"BM",
    b"Rar!", b"7z\xbc\xaf", b"\x7fELF", b"MZ",
)


class ImportFileError(ValueError):
    """A file that cannot be read at all; the message is one plain-language line for the facilitator."""


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252. Binary is refused."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file says it is UTF-16 but cannot be read as UTF-16.")) from None
    else:
        if data.startswith(_BINARY_MAGIC) or b"\x00" in data:
            raise ImportFileError(_("This is not a text file (it looks like a picture, a PDF or another binary file)."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ImportFileError(_("The file's characters cannot be read as UTF-8, UTF-16 or Windows-1252.")) from None
    text = text.lstrip("\ufeff")
    if len(_CONTROL.findall(text[:65536])) > 2:
        raise ImportFileError(_("This is not a text file (it holds control characters that text never has)."))
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    return text


def clean_text(value: str) -> str:
    """Normalise line endings and remove control characters; keep everything else exactly as typed."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def check_size(data: bytes, *, limit: int) -> None:
    if len(data) > limit:
        raise ImportFileError(_("The file is %(size).1f MiB; the largest file Engage takes is %(limit).1f MiB.", size=len(data) / 1048576, limit=limit / 1048576))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
