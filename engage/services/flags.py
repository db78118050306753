"""Flags on comments: personal details go to redaction, possible safeguarding concerns to the designated role."""
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import Answer, CommentFlag, Consultation, Question, Response, Role, User
from engage.models.user import utcnow
from engage.services.audit import record_event
from engage.services.comments import NO_QUESTION_LABEL
from engage.services.themes import shown_text

FLAG_KINDS = ("pii", "safeguarding")
MAX_REASON = 500


class FlagError(ValueError):
    """A flag action that cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class FlagRow:
    flag: CommentFlag
    question: str
    text: str  # redacted text when there is one; never the original unless the viewer is an admin
    original: str | None


def sees_safeguarding(*, user: User, consultation: Consultation) -> bool:
    """Whether this user receives the consultation's safeguarding flags: its designated role, or an admin."""
    return user.has_role(consultation.safeguarding_role, Role.ADMIN.value)


def answer_in_consultation(*, consultation: Consultation, answer_id: uuid.UUID) -> Answer | None:
    """A text answer of this consultation, or None (so a URL cannot reach another consultation's comment)."""
    return db.session.scalar(
        select(Answer).join(Response, Response.id == Answer.response_id)
        .where(Answer.id == answer_id, Response.consultation_id == consultation.id, Answer.text.is_not(None))
    )


def flag_in_consultation(*, consultation: Consultation, flag_id: int, user: User) -> CommentFlag | None:
    """The flag if it belongs to this consultation and the user may see its kind; else None."""
    flag = db.session.scalar(
        select(CommentFlag).join(Answer, Answer.id == CommentFlag.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(CommentFlag.id == flag_id, Response.consultation_id == consultation.id)
    )
    if flag is None or (flag.kind == "safeguarding" and not sees_safeguarding(user=user, consultation=consultation)):
        return None
    return flag


# Which safeguarding flags the designated person reads first: a person at risk before a possible threat, and a
# flag a reviewer raised by hand (they read the whole comment) before any the machine raised.
_SAFEGUARDING_ORDER = {"self_harm": 1, "sexual_abuse": 2, "abuse": 3, "violence": 4, "threat": 5}


def _urgency(flag: CommentFlag) -> tuple:
    if flag.source == "reviewer":
        return (0,)
    return (min((_SAFEGUARDING_ORDER.get(kind, 6) for kind in flag.details or []), default=6),)


def list_flags(*, consultation: Consultation, user: User, kind: str, status: str = "open") -> list[FlagRow]:
    """Flags of one kind and status, oldest first; open safeguarding flags most urgent first (self-harm and
    abuse before threats), then oldest first. Safeguarding flags only for those who receive them."""
    if kind not in FLAG_KINDS:
        raise FlagError(_("Choose personal details or safeguarding."))
    if kind == "safeguarding" and not sees_safeguarding(user=user, consultation=consultation):
        return []
    rows = db.session.execute(
        select(CommentFlag, func.coalesce(Question.prompt, _(NO_QUESTION_LABEL)), Answer.text, Answer.redacted_text)
        .join(Answer, Answer.id == CommentFlag.answer_id).join(Response, Response.id == Answer.response_id)
        .outerjoin(Question, Question.id == Answer.question_id)  # emails and session notes have no question
        .where(Response.consultation_id == consultation.id, CommentFlag.kind == kind, CommentFlag.status == status)
        .order_by(CommentFlag.created_at, CommentFlag.id).limit(500)
    )
    if kind == "safeguarding" and status == "open":
        rows = sorted(rows, key=lambda row: _urgency(row[0]))  # stable: oldest first within each level
    is_admin = user.has_role(Role.ADMIN.value)
    return [FlagRow(flag, prompt, redacted or text, text if is_admin and redacted else None)
            for flag, prompt, text, redacted in rows]


def count_open_flags(*, consultation: Consultation, user: User) -> dict[str, int]:
    """Open flags per kind this user may see."""
    kinds = FLAG_KINDS if sees_safeguarding(user=user, consultation=consultation) else ("pii",)
    rows = db.session.execute(
        select(CommentFlag.kind, func.count()).join(Answer, Answer.id == CommentFlag.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, CommentFlag.status == "open", CommentFlag.kind.in_(kinds))
        .group_by(CommentFlag.kind)
    )
    return {kind: 0 for kind in kinds} | dict(rows.all())


def propose_redaction(*, consultation: Consultation, answer: Answer) -> str:
    """The comment with personal details replaced by placeholders such as [name], for the reviewer to check."""
    from engage.analysis.pii import scrub_pii

    return scrub_pii(shown_text(answer), schools=consultation.school_names)


def flag_comment(*, answer: Answer, kind: str, user: User) -> CommentFlag:
    """Open a reviewer's flag on a comment, or return the open one of that kind it already has."""
    if kind not in FLAG_KINDS:
        raise FlagError(_("Choose personal details or a possible safeguarding concern."))
    begin_write()
    flag = db.session.scalar(
        select(CommentFlag).where(CommentFlag.answer_id == answer.id, CommentFlag.kind == kind, CommentFlag.status == "open")
    )
    if flag is not None:
        return flag
    flag = CommentFlag(answer_id=answer.id, kind=kind, source="reviewer", details=[], created_by_id=user.id)
    db.session.add(flag)
    db.session.flush()
    record_event(actor=user, action="flag_comment", target_type="comment_flag", target_id=flag.id, details={"kind": kind})
    return flag


def redact_comment(*, flag: CommentFlag, text: str, reason: str, user: User) -> Answer:
    """Replace what everyone but admins sees of a flagged comment, resolve the flag, and audit it (never the text)."""
    text, reason = (text or "").strip(), " ".join((reason or "").split())
    if flag.kind != "pii" or flag.status != "open":
        raise FlagError(_("Only an open personal-details flag can be redacted."))
    if not text:
        raise FlagError(_("Enter the comment as it should be shown, with the personal details taken out."))
    if not reason:
        raise FlagError(_("Give a reason for the redaction."))
    if len(reason) > MAX_REASON:
        raise FlagError(_("Keep the reason under %(limit)s characters.", limit=MAX_REASON))
    answer = db.session.get(Answer, flag.answer_id)
    if text == (answer.text or "").strip():
        raise FlagError(_("The text is the same as the original. Take the personal details out, or dismiss the flag."))
    if len(text) > max(len(answer.text or ""), 200) * 2:
        raise FlagError(_("The redacted text is much longer than the comment. Edit the proposal rather than adding to it."))
    begin_write()
    answer = db.session.get(Answer, flag.answer_id)
    answer.redacted_text = text
    flag = db.session.get(CommentFlag, flag.id)
    flag.status, flag.reason, flag.resolved_by_id, flag.resolved_at = "resolved", reason, user.id, utcnow()
    db.session.flush()
    record_event(actor=user, action="redact_comment", target_type="comment_flag", target_id=flag.id,
                 details={"flag_id": flag.id, "reason": reason})
    return answer


def close_flag(*, flag: CommentFlag, status: str, note: str, user: User) -> CommentFlag:
    """Mark a flag resolved (a safeguarding concern handled) or dismissed (nothing to do), with a note.

    The note stays on the flag; the audit event records only which flag and what was decided.
    """
    note = " ".join((note or "").split())
    if status not in ("resolved", "dismissed"):
        raise FlagError(_("Choose resolved or dismissed."))
    if flag.status != "open":
        raise FlagError(_("This flag is already closed."))
    if not note:
        raise FlagError(_("Add a short note about what was done."))
    if len(note) > MAX_REASON:
        raise FlagError(_("Keep the note under %(limit)s characters.", limit=MAX_REASON))
    begin_write()
    flag = db.session.get(CommentFlag, flag.id)
    flag.status, flag.reason, flag.resolved_by_id, flag.resolved_at = status, note, user.id, utcnow()
    db.session.flush()
    record_event(actor=user, action=f"{'resolve' if status == 'resolved' else 'dismiss'}_flag",
                 target_type="comment_flag", target_id=flag.id, details={"flag_id": flag.id, "kind": flag.kind})
    return flag
