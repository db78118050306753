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

from sqlalchemy import bindparam, delete, func, or_, select, text

from engage.database import begin_write
from engage.extensions import db
from engage.models import Answer, Consultation, Report, ReportQuote, ReportVersion, Response
from engage.models.report import QuoteStatus
from engage.models.user import utcnow
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
    """Comments chosen for one purge transaction, and where SQLite's full-text index holds them."""

    ids: list
    index_rows: list[int] | None


def choose_batch(*, plan: PurgePlan, limit: int = 500) -> Batch | None:
    """Pick up to `limit` of the planned comments (None when none are left). Takes no lock: these searches
    get slower as the data grows, so they stay out of the write transaction."""
    ids = list(db.session.scalars(_comments(plan.consultation_id, plan.before).limit(limit)))
    return Batch(ids=ids, index_rows=_index_rows(ids)) if ids else None


def purge_batch(*, batch: Batch) -> int:
    """Delete a chosen batch; returns how many comments went. The caller commits, one transaction per batch,
    so a large purge never holds SQLite's write lock for long and participants' submissions keep flowing."""
    begin_write()
    # Unapproved quotes are unpublished copies of these comments; approved ones stay (answer_id SET NULL).
    db.session.execute(delete(ReportQuote).where(ReportQuote.answer_id.in_(batch.ids),
                                                 ReportQuote.status != QuoteStatus.APPROVED.value))
    deleted = _delete_comments(batch.ids, batch.index_rows)
    db.session.flush()
    return deleted


# SQLite's full-text index of comments (see the codebook migration): FTS5 cannot index its answer_id column, so
# its delete trigger scans the whole index once per deleted comment. A purge of 100k comments that way takes
# over an hour, holding the write lock 50 ms per comment. The purge instead finds the index rows before taking
# the lock, and inside one write transaction sets the trigger aside, deletes those rows by rowid, deletes the
# comments and puts the trigger back unchanged: no other connection ever sees it missing, and a failure rolls
# everything back together.
_FTS_TRIGGER = "answers_fts_delete"


def _uuids(name: str):
    return bindparam(name, expanding=True, type_=Answer.__table__.c.id.type)


def _fts_trigger() -> str | None:
    if db.engine.dialect.name != "sqlite":
        return None
    return db.session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                             {"name": _FTS_TRIGGER})


def _index_rows(ids: list) -> list[int] | None:
    if not _fts_trigger():
        return None
    return list(db.session.scalars(
        text("SELECT rowid FROM answers_fts WHERE answer_id IN (SELECT id FROM answers WHERE id IN :ids)")
        .bindparams(_uuids("ids")), {"ids": ids}))


def _delete_comments(ids: list, index_rows: list[int] | None) -> int:
    """Delete these answers and their full-text index rows; returns how many answers went."""
    trigger = _fts_trigger()
    if trigger:
        db.session.execute(text(f"DROP TRIGGER {_FTS_TRIGGER}"))
        of_these = "answer_id IN (SELECT id FROM answers WHERE id IN :ids)"
        removed = db.session.execute(
            text(f"DELETE FROM answers_fts WHERE rowid IN :rows AND {of_these}")
            .bindparams(_uuids("ids"), bindparam("rows", expanding=True)),
            {"ids": ids, "rows": index_rows or [-1]}).rowcount
        # Each comment with text has exactly one index row. If a comment was edited since its row was found,
        # the counts differ: then find this batch's rows the slow way, so no purged words stay in the index.
        indexed = db.session.scalar(text("SELECT count(*) FROM answers WHERE id IN :ids AND text IS NOT NULL")
                                    .bindparams(_uuids("ids")), {"ids": ids})
        if removed != indexed:
            db.session.execute(text(f"DELETE FROM answers_fts WHERE {of_these}").bindparams(_uuids("ids")), {"ids": ids})
    # Counted by the delete itself: a comment removed by someone else since it was chosen is not counted.
    deleted = db.session.execute(delete(Answer).where(Answer.id.in_(ids)),
                                 execution_options={"synchronize_session": False}).rowcount
    if trigger:
        db.session.execute(text(trigger))
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
