"""Focus groups and roundtables: a session record and its notes, one response per comment, never per attendee."""
import datetime as dt
import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.imports import ImportFileError
from engage.models import Answer, Consultation, EngagementSession, ImportedRow, Response, User
from engage.services.imports import BulkWriter, ImportRejected, ImportResult, ParsedRow, Problem, finish_batch, start_batch

SESSION_CHANNELS = ("focus_group", "roundtable")


@dataclass(frozen=True)
class SessionDetails:
    channel: str
    held_on: dt.date | None = None
    organisation: str = ""
    attendees: int = 0
    language: str = "en"
    segment_description: str = ""


@dataclass(frozen=True)
class SessionSummary:
    """Comments from sessions, the sessions and who attended: attendees are never respondents."""

    comments: int
    sessions: int
    attendees: int

    def __str__(self) -> str:
        # Three counts, each with its own plural, put in a sentence whose order each language chooses.
        return _("%(comments)s from %(sessions)s with %(attendees)s",
                 comments=ngettext("%(count)s comment", "%(count)s comments", self.comments, count=f"{self.comments:,}"),
                 sessions=ngettext("%(count)s session", "%(count)s sessions", self.sessions, count=f"{self.sessions:,}"),
                 attendees=ngettext("%(count)s attendee", "%(count)s attendees", self.attendees,
                                    count=f"{self.attendees:,}"))


def check_comments(comments: list[str]) -> list[Problem]:
    """Every comment that is too long, numbered as the facilitator sees them (1 = first)."""
    limit = current_app.config["TEXT_ANSWER_LIMIT"]
    problems = [Problem(_("Comment %(number)s is %(length)s characters; the limit is %(limit)s. Split it into smaller "
                          "comments.", number=n, length=f"{len(c):,}", limit=f"{limit:,}"))
                for n, c in enumerate(comments, start=1) if len(c) > limit]
    if not comments:
        problems.append(Problem(_("There are no comments to save: paste or upload the notes.")))
    return problems


def notes_hash(details: SessionDetails, comments: list[str]) -> str:
    """One hash for a session's notes, so saving or importing the same notes twice adds nothing."""
    digest = hashlib.sha256(f"engage-session\x1f{details.channel}\x1f{details.held_on}\x1f{details.organisation}".encode())
    for comment in comments:
        digest.update(b"\x1e" + comment.encode())
    return digest.hexdigest()


def save_session(*, consultation: Consultation, details: SessionDetails, comments: list[str], user: User | None,
                 today: dt.date, filename: str = "") -> tuple[EngagementSession | None, ImportResult]:
    """Create the session and one response per comment (an answer tied to no question), in one transaction.

    Returns (None, result with skipped = comment count) when exactly these notes were saved before.
    Raises ImportRejected for bad comments; the caller rolls back.
    """
    if details.channel not in SESSION_CHANNELS:
        raise ImportFileError(_("A session's channel is focus_group or roundtable, not '%(channel)s'.",
                                channel=details.channel))
    problems = check_comments(comments)
    if problems:
        raise ImportRejected(problems)
    content_hash = notes_hash(details, comments)
    begin_write()
    batch = start_batch(consultation=consultation, channel=details.channel, filename=filename or "pasted notes", user=user)
    if db.session.get(ImportedRow, (consultation.id, content_hash)) is not None:
        return None, finish_batch(batch=batch, added=0, skipped=len(comments), user=user)
    session = EngagementSession(
        consultation_id=consultation.id, channel=details.channel, held_on=details.held_on,
        organisation=details.organisation, attendees=details.attendees, language=details.language,
        segment_description=details.segment_description, created_by_id=user.id if user else None,
    )
    db.session.add_all([session, ImportedRow(consultation_id=consultation.id, content_hash=content_hash)])
    db.session.flush()
    writer = BulkWriter(consultation_id=consultation.id, channel=details.channel, batch_id=batch.id,
                        today=details.held_on or today, language=details.language, session_id=session.id)
    for comment in comments:
        writer.add(ParsedRow(answers=[{"text": comment}]))
    writer.flush()
    return session, finish_batch(batch=batch, added=writer.added, skipped=0, user=user, session_id=session.id,
                                 attendees=details.attendees)


def session_summary(consultation: Consultation) -> SessionSummary:
    """"N comments from M sessions with K attendees" for a consultation's focus groups and roundtables."""
    sessions, attendees = db.session.execute(
        select(func.count(EngagementSession.id), func.coalesce(func.sum(EngagementSession.attendees), 0))
        .where(EngagementSession.consultation_id == consultation.id)
    ).one()
    comments = db.session.scalar(
        select(func.count(Response.id)).where(Response.consultation_id == consultation.id,
                                              Response.engagement_session_id.is_not(None))
    )
    return SessionSummary(comments=comments or 0, sessions=sessions or 0, attendees=int(attendees or 0))


def session_comments(session: EngagementSession) -> list[str]:
    """The session's comments as stored (a reviewer's redaction shown instead of the original)."""
    rows = db.session.execute(
        select(Answer.text, Answer.redacted_text).join(Response, Answer.response_id == Response.id)
        .where(Response.engagement_session_id == session.id).order_by(Answer.text)
    ).all()
    return [redacted or text for text, redacted in rows]
