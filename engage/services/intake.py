"""Taking in anonymous responses: what is open, access codes, receipts and the one-response-per-form rule."""
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    Answer,
    Channel,
    Consultation,
    ConsultationStatus,
    QuestionKind,
    Receipt,
    Response,
    SegmentAnswer,
)
from engage.models.base import random_id
from engage.models.consultation import availability
from engage.services.snapshots import ConsultationView

# Unambiguous alphabet: no 0/O or 1/I/L, so a code copied by hand from a screen still works.
_RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 12


class IntakeError(Exception):
    """A submission that cannot be accepted; `reason` is a stable key the view turns into a message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    """What a participant sent, already shape-checked by the form.

    Keys are question and segment-field ids. A segment value of None means "prefer not to say".
    """

    texts: dict[int, str] = field(default_factory=dict)
    scales: dict[int, int] = field(default_factory=dict)
    choices: dict[int, list[int]] = field(default_factory=dict)
    segments: dict[int, list[int] | None] = field(default_factory=dict)
    access_code: str = ""
    language: str = "en"


def list_open_consultations(*, today: dt.date) -> list[Consultation]:
    """Consultations a participant can answer today, soonest closing first."""
    rows = db.session.scalars(
        select(Consultation).where(Consultation.status == ConsultationStatus.OPEN.value).order_by(Consultation.title)
    ).all()
    open_now = [c for c in rows if c.availability(today) == "open"]
    return sorted(open_now, key=lambda c: (c.closes_on or dt.date.max, c.title))


def new_submission_key() -> str:
    """A one-time key rendered into each form; resending the same form maps to the same receipt."""
    return secrets.token_urlsafe(24)


def receipt_code_for(*, submission_key: str, secret_key: str) -> str:
    """Derive the receipt code from the form's key with an HMAC, so no table has to link the two."""
    digest = hmac.new(secret_key.encode(), b"receipt:" + submission_key.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(RECEIPT_LENGTH):
        number, index = divmod(number, len(_RECEIPT_ALPHABET))
        chars.append(_RECEIPT_ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt_code(code: str) -> str:
    """Accept codes typed with spaces, lower case or without dashes."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def _hash_receipt(code: str) -> str:
    return hashlib.sha256(normalise_receipt_code(code).encode()).hexdigest()


def find_receipt_consultation(*, code: str) -> Consultation | None:
    """The consultation a receipt code belongs to, or None for an unknown code."""
    receipt = db.session.get(Receipt, _hash_receipt(code))
    return db.session.get(Consultation, receipt.consultation_id) if receipt else None


def check_access_code(*, consultation: ConsultationView, code: str) -> bool:
    """True when the consultation needs no code or the code is one of its active codes (case-insensitive)."""
    if not consultation.requires_access_code:
        return True
    return code.strip().upper() in consultation.access_codes


def submit_response(
    *,
    consultation: ConsultationView,
    submission: Submission,
    submission_key: str,
    secret_key: str,
    today: dt.date,
    channel: str = Channel.ONLINE.value,
) -> tuple[str, bool]:
    """Store one response and its receipt; return (receipt code, created).

    A second submission with the same key stores nothing and returns the first receipt with created=False.
    Raises IntakeError when the consultation is not open or the access code is wrong. The form snapshot may
    be a few seconds old, so whether the consultation is open is checked again inside the write transaction.
    """
    if not check_access_code(consultation=consultation, code=submission.access_code):
        raise IntakeError("access_code")
    code = receipt_code_for(submission_key=submission_key, secret_key=secret_key)
    code_hash = _hash_receipt(code)
    consultation_id = consultation.id

    begin_write()
    # Core statements, built once, on the session's connection: this is the busiest write path, and the ORM's
    # statement handling (even building a select per call) costs more than the SQL itself.
    connection = db.session.connection()
    current = connection.execute(_STATE_AND_RECEIPT, {"consultation_id": consultation_id, "code_hash": code_hash}
                                 ).one_or_none()
    if current is None or availability(*current[:3], today) != "open":
        raise IntakeError("not_open")
    if current[3] is not None:
        return code, False
    response_id = random_id()
    answers = [a | {"id": random_id(), "response_id": response_id} for a in _answers_for(consultation, submission)]
    segment_answers = [s | {"id": random_id(), "response_id": response_id}
                       for s in _segment_answers_for(consultation, submission)]
    try:
        connection.execute(_INSERT_RECEIPT, {"code_hash": code_hash, "consultation_id": consultation_id})
        connection.execute(_INSERT_RESPONSE, {
            "id": response_id, "consultation_id": consultation_id, "channel": channel, "submitted_on": today,
            "language": submission.language, "is_demo": False,
        })
        if answers:
            connection.execute(_INSERT_ANSWERS, answers)
        if segment_answers:
            connection.execute(_INSERT_SEGMENT_ANSWERS, segment_answers)
    except IntegrityError:
        # PostgreSQL: a concurrent duplicate won the race on the receipt's primary key.
        db.session.rollback()
        return code, False
    return code, True


# Whether the consultation is open now, and the receipt if this form was stored already: one query.
_STATE_AND_RECEIPT = select(
    Consultation.status, Consultation.opens_on, Consultation.closes_on,
    select(Receipt.code_hash).where(Receipt.code_hash == bindparam("code_hash")).scalar_subquery(),
).where(Consultation.id == bindparam("consultation_id"))
_INSERT_RECEIPT = insert(Receipt.__table__)
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_ANSWERS = insert(Answer.__table__)
_INSERT_SEGMENT_ANSWERS = insert(SegmentAnswer.__table__)


def _answers_for(consultation: ConsultationView, submission: Submission) -> list[dict]:
    answers: list[dict] = []
    for question in consultation.questions:
        valid_options = {o.id for o in question.options}
        if question.kind == QuestionKind.TEXT.value:
            text = submission.texts.get(question.id, "").strip()
            if text:
                answers.append(_answer_row(question.id, text=text))
        elif question.kind == QuestionKind.SCALE.value:
            value = submission.scales.get(question.id)
            if value is not None:
                answers.append(_answer_row(question.id, scale_value=value))
        else:
            for option_id in submission.choices.get(question.id, []):
                if option_id in valid_options:
                    answers.append(_answer_row(question.id, option_id=option_id))
    return answers


def _answer_row(question_id: int, *, text=None, scale_value=None, option_id=None) -> dict:
    return {"question_id": question_id, "text": text, "scale_value": scale_value, "option_id": option_id,
            "redacted_text": None}


def _segment_answers_for(consultation: ConsultationView, submission: Submission) -> list[dict]:
    rows: list[dict] = []
    for segment_field in consultation.segment_fields:
        if segment_field.id not in submission.segments:
            continue
        chosen = submission.segments[segment_field.id]
        if chosen is None:
            rows.append({"field_id": segment_field.id, "option_id": None})
            continue
        valid = {o.id for o in segment_field.options}
        rows.extend({"field_id": segment_field.id, "option_id": o} for o in chosen if o in valid)
    return rows
