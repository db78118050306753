"""Email: read .eml files and mboxes, keep only what the writer wrote, never who they are.

Headers (sender, recipients, subject, dates) are read only to learn the sender's name so it can be scrubbed
from the body, and are then dropped. Quoted replies, forwarded headers and signatures are cut.
"""
import email
import email.policy
import mailbox
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from flask_babel import gettext as _

from engage.imports import ImportFileError, clean_text


@dataclass(frozen=True)
class Message:
    """What is kept of one email: its body text (not yet scrubbed) and the sender's name words, to scrub."""

    body: str
    sender_words: tuple[str, ...]
    raw_hash_source: bytes


def read_messages(data: bytes, filename: str) -> list[Message]:
    """Every message in an .eml file or an mbox. Raises ImportFileError."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    name = filename.lower()
    if name.endswith(".eml") and not data.startswith(b"From "):
        messages = [email.message_from_bytes(data, policy=email.policy.default)]
        raws = [data]
    elif name.endswith((".mbox", ".mbx", ".eml")) or data.startswith(b"From ") or "." not in name:
        messages, raws = _mbox(data)
    else:
        raise ImportFileError(_("Email can be a single message (.eml) or a mailbox file (.mbox)."))
    result = []
    for message, raw in zip(messages, raws):
        if not message.keys() and not message.get_payload():
            continue
        result.append(Message(_body(message), _sender_words(message), raw))
    if not result or not any(m.keys() for m in messages):
        raise ImportFileError(_("This does not look like an email (.eml) or a mailbox (.mbox): no message headers."))
    return result


def _mbox(data: bytes) -> tuple[list[EmailMessage], list[bytes]]:
    # mailbox.mbox needs a path; the temporary copy is removed as soon as it has been read.
    handle, path = tempfile.mkstemp(suffix=".mbox")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        box = mailbox.mbox(path, factory=None, create=False)
        raws = [box.get_bytes(key) for key in box.iterkeys()]
        box.close()
    finally:
        os.unlink(path)
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in raws], raws


def _sender_words(message: EmailMessage) -> tuple[str, ...]:
    words: set[str] = set()
    for header in ("From", "Sender", "Reply-To"):
        try:
            values = message.get_all(header) or []
        except Exception:  # a malformed header must not stop the import; it is dropped anyway
            continue
        for name, address in getaddresses([str(v) for v in values]):
            words.update(w for w in re.split(r"[\s,.\"']+", name) if len(w) > 1)
            local = address.split("@")[0]
            words.update(w for w in re.split(r"[._+-]+", local) if len(w) > 2 and w.isalpha())
    return tuple(sorted(words, key=str.lower))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError, AttributeError):
        content = _undeclared(part)
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    elif "\ufffd" in content and "\ufffd".encode() not in (part.get_payload(decode=True) or b""):
        # No charset, or one Python does not know: the bytes were read as ASCII and every "é" became "\ufffd".
        content = _undeclared(part)
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return clean_text(content)


def _undeclared(part) -> str:
    """A part's text when its charset is missing or unknown: UTF-8 if it is valid, else Windows-1252, as
    spreadsheets and notes are read (older mail programs wrote Latin-1 without saying so)."""
    payload = part.get_payload(decode=True) or b""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


class _TextExtractor(HTMLParser):
    """Visible text only: script, style and similar content is dropped, and so are quoted replies."""

    _SKIP = {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "svg", "blockquote"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in self._SKIP or "gmail_quote" in classes or "moz-cite-prefix" in classes:
            self.skipping.append(tag)
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li" and not self.skipping:
            self.parts.append("- ")

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        elif tag in self._BLOCK and tag != "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and not self.skipping:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text from an HTML email; markup is discarded, never rendered."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_REPLY_HEADER = re.compile(r"^\s*(On\b.{0,200}\bwrote:|Le\b.{0,200}\ba écrit\s*:)\s*$", re.IGNORECASE)
_REPLY_HEADER_START = re.compile(r"^\s*On\b.*\d", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine)\s*-{2,}\s*$", re.IGNORECASE)
_FORWARDED = re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$|^\s*Begin forwarded message:\s*$", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^\s*(From|Sent|Date|To|Cc|Bcc|Subject|Reply-To|De|Envoyé|À|Objet)\s*:", re.IGNORECASE)
_SENT_FROM = re.compile(r"^\s*(Sent from my \w+|Sent from (Mail|Outlook|Yahoo Mail)|Get Outlook for \w+)\b.*$", re.IGNORECASE)
_SIGN_OFF_WORDS = (
    r"(?:thanks|thank you|many thanks|thanks again|regards|best|best regards|kind regards|warm regards|"
    r"all the best|cheers|sincerely|yours sincerely|yours truly|respectfully|take care|cordialement|merci)"
)
# "Thanks," alone on its line, or "Thanks, Jane Doe"; not a sentence such as "Thank you for asking us."
_SIGN_OFF = re.compile(
    rf"^\s*{_SIGN_OFF_WORDS}\s*[,.!]*\s*$|^\s*{_SIGN_OFF_WORDS}\s*[,!-]\s*(?:[A-Z][\w'.-]*\s*){{1,3}}$", re.IGNORECASE
)


def strip_quotes_and_signature(text: str) -> str:
    """The writer's own words: quoted replies, forwarded headers and the signature are removed."""
    lines = text.split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.rstrip() in ("--", "-- ", "__") or _ORIGINAL.match(line) or _REPLY_HEADER.match(line):
            break  # everything after a signature delimiter or a reply header is the signature or the quote
        if _REPLY_HEADER_START.match(line) and index + 1 < len(lines) and lines[index + 1].strip().endswith("wrote:"):
            break  # "On Mon, 3 Jun 2024, Jane Doe <jane@example.org>\nwrote:" wrapped over two lines
        if _FORWARDED.match(line):
            index += 1
            while index < len(lines) and (_HEADER_LINE.match(lines[index]) or not lines[index].strip()):
                index += 1
            continue
        if line.lstrip().startswith(">") or _SENT_FROM.match(line):
            index += 1
            continue
        kept.append(line)
        index += 1
    return _drop_sign_off("\n".join(kept)).strip()


def _drop_sign_off(text: str) -> str:
    """Cut a closing like "Thanks,\\nJane Doe\\nParent, Grade 4" when it sits in the last few short lines."""
    lines = text.rstrip().split("\n")
    start = max(0, len(lines) - 6)
    for index in range(start, len(lines)):
        tail = [l for l in lines[index + 1:] if l.strip()]
        if _SIGN_OFF.match(lines[index]) and len(tail) <= 4 and all(len(l.strip()) <= 60 for l in tail):
            return "\n".join(lines[:index])
    return text


def iter_clean_bodies(messages: list[Message]) -> Iterator[tuple[Message, str]]:
    for message in messages:
        yield message, strip_quotes_and_signature(message.body)
