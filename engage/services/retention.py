"""Retention: deleting participants' raw comments from closed consultations, keeping what was published.

A purge deletes the comment rows themselves (answers with text, typed online or imported), and with them, through
the database's ON DELETE rules, everything derived from a single comment: reviewers' codes, machine suggestions,
per-comment analysis, flags and double-coding samples. On SQLite the full-text index is kept in step. Deleting rather than blanking the text means no screen or export can meet a comment row with no text.

What is kept: each response with its date, channel, choice and scale answers and "about you" answers (so
participation counts stay), the codebook, analysis runs' theme summaries, approved quotes (their link to the
comment is set to empty) and every published ReportVersion, which is frozen and never read from comments.
Quotes that were never approved are copies of raw comments that no one published, so they go too.
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import Answer, Consultation, Report, ReportQuote, ReportVersion, Response
from engage.models.report import QuoteStatus
from engage.models.user import utcnow
from engage.services import search_index
from engage.services.audit import record_event


class RetentionError(Exception):
    """A purge that cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class PurgePlan:
    """Which comments of one consultation a purge would delete (`before` None: all of them)."""

    consultation_id: int
    slug: str
    before: dt.date | None
    comments: int


def _comments(consultation_id: int, before: dt.date | None):
    query = (select(Answer.id).join(Response, Response.id == Answer.response_id)
             .where(Response.consultation_id == consultation_id,
                    or_(Answer.text.is_not(None), Answer.redacted_text.is_not(None))))
    if before is not None:
        query = query.where(Response.submitted_on < before)
    return query


def plan_purge(*, consultation: Consultation, before: dt.date | None, today: dt.date) -> PurgePlan:
    """Count what a purge would delete. Only closed consultations can be purged: new comments may still come."""
    if consultation.availability(today) != "closed":
        raise RetentionError(f"'{consultation.slug}' is not closed, so its comments are not purged.")
    count = db.session.scalar(select(func.count()).select_from(_comments(consultation.id, before).subquery()))
    return PurgePlan(consultation_id=consultation.id, slug=consultation.slug, before=before, comments=count)


@dataclass(frozen=True)
class Batch:
    """Comments chosen for one purge transaction."""

    ids: list


def choose_batch(*, plan: PurgePlan, limit: int = 500) -> Batch | None:
    """Pick up to `limit` of the planned comments (None when none are left). Takes no lock: this search gets
    slower as the data grows, so it stays out of the write transaction."""
    ids = list(db.session.scalars(_comments(plan.consultation_id, plan.before).limit(limit)))
    return Batch(ids=ids) if ids else None


def purge_batch(*, batch: Batch) -> int:
    """Delete a chosen batch; returns how many comments went. The caller commits, one transaction per batch,
    so a large purge never holds SQLite's write lock for long and participants' submissions keep flowing."""
    begin_write()
    # Unapproved quotes are unpublished copies of these comments; approved ones stay (answer_id SET NULL).
    db.session.execute(delete(ReportQuote).where(ReportQuote.answer_id.in_(batch.ids),
                                                 ReportQuote.status != QuoteStatus.APPROVED.value))
    # Counted by the delete itself: a comment removed by someone else since it was chosen is not counted.
    deleted = db.session.execute(delete(Answer).where(Answer.id.in_(batch.ids)),
                                 execution_options={"synchronize_session": False}).rowcount
    # SQLite's full-text index drops the purged words in this same transaction, not at the next search.
    search_index.catch_up()
    db.session.flush()
    return deleted


def finish_purge(*, plan: PurgePlan, deleted: int, due: bool) -> None:
    """Record the purge on the consultation and in the audit log (counts only, never words)."""
    begin_write()
    consultation = db.session.get(Consultation, plan.consultation_id)
    consultation.comments_purged_at = utcnow()
    record_event(actor=None, action="purge_comments", target_type="consultation", target_id=consultation.id,
                 details={"before": plan.before.isoformat() if plan.before else None, "due": due,
                          "comments": deleted})
    db.session.flush()


def first_published_at(consultation_id: int) -> dt.datetime | None:
    return db.session.scalar(
        select(func.min(ReportVersion.published_at)).join(Report, Report.id == ReportVersion.report_id)
        .where(Report.consultation_id == consultation_id)
    )


def purge_due_at(consultation: Consultation) -> dt.datetime | None:
    """When the consultation's retention period ends: first publication + retention_days (None: never set)."""
    if consultation.retention_days is None:
        return None
    published = first_published_at(consultation.id)
    return published + dt.timedelta(days=consultation.retention_days) if published else None


def consultations_due(*, now: dt.datetime) -> list[Consultation]:
    """Consultations whose retention period has ended, with or without comments left."""
    candidates = db.session.scalars(
        select(Consultation).where(Consultation.retention_days.is_not(None)).order_by(Consultation.slug))
    return [c for c in candidates if (due := purge_due_at(c)) is not None and due <= now]
