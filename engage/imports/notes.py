"""Focus-group and roundtable notes: read pasted text, a .txt or a .docx, and split it into comments."""
import io
import re

from flask_babel import gettext as _

from engage.imports import ImportFileError, clean_text, decode_text

# "-", "*", "•" and friends, or "1." / "1)" / "(1)", at the start of a line, then whitespace.
_BULLET = re.compile(r"^\s*(?:[-*•‣◦·▪●–—+]|\(?\d{1,3}[.)]|\(\d{1,3}\))\s+")


def read_notes(data: bytes, filename: str) -> str:
    """The text of an uploaded notes file (.txt or .docx), one paragraph per line block. Raises ImportFileError."""
    if filename.lower().endswith(".docx"):
        return _docx_text(data)
    if filename.lower().endswith((".txt", ".md", ".text")) or "." not in filename:
        return decode_text(data)
    raise ImportFileError(_("Notes can be a text file (.txt) or a Word document (.docx)."))


def _docx_text(data: bytes) -> str:
    from docx import Document

    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This file is named .docx but is not a Word document."))
    try:
        document = Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
        for table in document.tables:  # notes are sometimes kept in a table, one point per cell
            for row in table.rows:
                paragraphs.extend(cell.text for cell in row.cells)
    except Exception:  # noqa: BLE001 - a damaged document fails inside python-docx in many ways (zip, XML)
        raise ImportFileError(_("The Word document cannot be read: it may be damaged. Open it in Word or "
                                "LibreOffice, save it again (or as plain text) and try again.")) from None
    # Each Word paragraph is its own comment: separate them by blank lines for split_comments.
    return "\n\n".join(p for p in paragraphs if p.strip())


def split_comments(text: str) -> list[str]:
    """One comment per paragraph (blank-line separated) or bullet; bullet markers are removed.

    A line that is neither blank nor a bullet continues the comment above it (wrapped text), so a bullet
    spanning several lines stays one comment.
    """
    comments: list[list[str]] = []
    current: list[str] | None = None
    for line in clean_text(text).split("\n"):
        if not line.strip():
            current = None
            continue
        bullet = _BULLET.match(line)
        if bullet or current is None:
            current = [line[bullet.end():].strip() if bullet else line.strip()]
            comments.append(current)
        else:
            current.append(line.strip())
    return [joined for joined in (" ".join(filter(None, parts)) for parts in comments) if joined]


def adjust_comments(texts: list[str], *, leave_out: set[int] = frozenset(), join_next: set[int] = frozenset()) -> list[str]:
    """Apply a facilitator's edits to split comments: drop some, join others with the comment after them.

    Indexes are positions in `texts`. Joining the last comment, or into a left-out one, just keeps it.
    """
    result: list[str] = []
    carry = ""
    for index, text in enumerate(texts):
        text = text.strip()
        if index in leave_out or not text:
            if carry:
                result.append(carry)
                carry = ""
            continue
        text = f"{carry} {text}".strip() if carry else text
        if index in join_next and index + 1 < len(texts):
            carry = text
        else:
            result.append(text)
            carry = ""
    if carry:
        result.append(carry)
    return result
