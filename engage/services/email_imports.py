"""Email: each message becomes one response with channel email, its sender and signature never stored."""
import datetime as dt
import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from engage.analysis.pii import scrub_pii
from engage.database import begin_write
from engage.imports import ImportFileError, check_size
from engage.imports.mail import iter_clean_bodies, read_messages
from engage.models import Consultation, User
from engage.services.imports import (
    BulkWriter, ImportRejected, ImportResult, ParsedRow, Problem, finish_batch, import_max_bytes, start_batch,
)


@dataclass(frozen=True)
class EmailPreview:
    comments: list[str]  # scrubbed, as they will be stored
    empty: int  # messages with nothing left once quotes and signatures were cut
    problems: list[Problem]


def prepare_emails(*, data: bytes, filename: str) -> tuple[list[tuple[str, str]], EmailPreview]:
    """Read, strip and scrub every message: ([(text, content hash)], preview). Raises ImportFileError."""
    check_size(data, limit=import_max_bytes())
    limit = current_app.config["TEXT_ANSWER_LIMIT"]
    kept, problems, empty = [], [], 0
    try:
        bodies = list(iter_clean_bodies(read_messages(data, filename)))
    except RecursionError:  # thousands of parts inside parts: no real email is built like that
        raise ImportFileError(_("This email file is nested too deeply to read (parts inside parts).")) from None
    for number, (message, body) in enumerate(bodies, start=1):
        text = scrub_pii(body, names=message.sender_words).strip()
        if not text:
            empty += 1
            continue
        if len(text) > limit:
            problems.append(Problem(_("Message %(number)s is %(length)s characters once quotes and signature are "
                                      "removed; the limit is %(limit)s.", number=number, length=f"{len(text):,}",
                                      limit=f"{limit:,}")))
        # The hash is of the whole raw message, so the same email imported twice is skipped, while two
        # people sending the same words are both counted.
        kept.append((text, hashlib.sha256(b"engage-email\x1f" + message.raw_hash_source).hexdigest()))
    if not kept and not problems:
        problems.append(Problem(_("No message has any text of its own to import.")))
    return kept, EmailPreview(comments=[t for t, _ in kept], empty=empty, problems=problems)


def import_emails(*, consultation: Consultation, data: bytes, filename: str, user: User | None, today: dt.date,
                  language: str = "en") -> ImportResult:
    """One response per message (an answer tied to no question), all or nothing. Raises ImportRejected."""
    kept, preview = prepare_emails(data=data, filename=filename)
    if preview.problems:
        raise ImportRejected(preview.problems)
    begin_write()
    batch = start_batch(consultation=consultation, channel="email", filename=filename, user=user)
    writer = BulkWriter(consultation_id=consultation.id, channel="email", batch_id=batch.id, today=today, language=language)
    for text, content_hash in kept:
        writer.add(ParsedRow(answers=[{"text": text}], content_hash=content_hash))
    writer.flush()
    return finish_batch(batch=batch, added=writer.added, skipped=writer.skipped, user=user, empty=preview.empty)
