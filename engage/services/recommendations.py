"""A program review's recommendations and their dated public history.

Every change is kept as a ``RecommendationChange`` dated to the day, so the public tracker can say what happened
and when. A recommendation stays internal until it is published; its public history starts at publication, so
the wording it had while it was still a draft never reaches the public. Who made a change is kept for staff
and never returned by the public functions here.
"""
import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    RECOMMENDATION_STATUS_VALUES,
    Recommendation,
    RecommendationChange,
    RecommendationFinding,
    RecommendationStatus,
    RecommendationTheme,
    Review,
    ReviewFinding,
    ReviewTheme,
    User,
)
from engage.reporting.blocks import STATUS_LABELS  # noqa: F401 (the public wording; staff pages read it here too)
from engage.services.audit import record_event


FIELD_LABELS = {
    "created": _l("Added"), "published": _l("Published"), "status": _l("Status"), "target_on": _l("Target date"),
    "owner": _l("Who is responsible"), "title": _l("Wording"), "description": _l("Details"),
    "reason": _l("Public reason"), "note": _l("Public update"),
}

# The fields whose changes are dated and shown to the public, in the order a change lists them.
TRACKED_FIELDS = ("status", "target_on", "owner", "title", "description", "reason")

MAX_TITLE, MAX_OWNER, MAX_TEXT, MAX_NOTE = 300, 200, 5000, 2000


class RecommendationError(ValueError):
    """A change that cannot be made; the message is safe to show."""


@dataclass(frozen=True)
class HistoryEntry:
    """One dated public event of a recommendation. Holds no staff identity."""

    id: int
    changed_on: dt.date
    recommendation_id: int
    number: int
    title: str
    field: str          # "created", "published", "note" or one of TRACKED_FIELDS
    old_value: str
    new_value: str
    note: str


def _clean_line(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def _check_status(status: str, reason: str) -> None:
    if status not in RECOMMENDATION_STATUS_VALUES:
        raise RecommendationError(_("Choose one of the statuses."))
    if status == RecommendationStatus.NOT_PROCEEDING.value and not reason.strip():
        raise RecommendationError(_("Give the public a reason when a recommendation is not proceeding."))


def _as_text(field: str, value) -> str:
    if value is None:
        return ""
    if field == "target_on":
        return value.isoformat()
    return str(value)


def _check_number(review: Review, number: int, *, exclude_id: int | None = None) -> None:
    if not isinstance(number, int) or number < 1:
        raise RecommendationError(_("Give the recommendation a number of 1 or more."))
    query = select(Recommendation.id).where(Recommendation.review_id == review.id, Recommendation.number == number)
    if exclude_id is not None:
        query = query.where(Recommendation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise RecommendationError(_("Another recommendation of this review already has that number."))


def next_number(review: Review) -> int:
    """The number after the review's highest."""
    highest = db.session.scalar(select(func.max(Recommendation.number)).where(Recommendation.review_id == review.id))
    return (highest or 0) + 1


def _links(review: Review, theme_ids, finding_ids) -> tuple[list[int], list[int]]:
    themes, findings = sorted(set(int(i) for i in theme_ids)), sorted(set(int(i) for i in finding_ids))
    valid_themes = set(db.session.scalars(select(ReviewTheme.id).where(ReviewTheme.review_id == review.id)))
    if set(themes) - valid_themes:
        raise RecommendationError(_("Link only this review's shared themes."))
    valid_findings = set(db.session.scalars(select(ReviewFinding.id).where(ReviewFinding.review_id == review.id)))
    if set(findings) - valid_findings:
        raise RecommendationError(_("Link only this review's pinned findings."))
    return themes, findings


def create(review: Review, *, number: int, title: str, description: str = "", owner: str = "",
           target_on: dt.date | None = None, status: str = "planned", reason: str = "", theme_ids=(),
           finding_ids=(), publish: bool = False, user: User | None = None,
           on: dt.date | None = None) -> Recommendation:
    """Add a recommendation (internal until published), dated `on` (default today)."""
    on = on or dt.date.today()
    title = _clean_line(title, MAX_TITLE)
    if not title:
        raise RecommendationError(_("Give the recommendation a title."))
    reason = (reason or "").strip()[:MAX_NOTE]
    _check_status(status, reason)
    _check_number(review, number)
    themes, findings = _links(review, theme_ids, finding_ids)
    begin_write()
    rec = Recommendation(
        review_id=review.id, number=number, title=title, description=(description or "").strip()[:MAX_TEXT],
        owner=_clean_line(owner, MAX_OWNER), target_on=target_on, status=status, reason=reason,
        published_on=on if publish else None, created_by_id=user.id if user else None,
    )
    rec.theme_links = [RecommendationTheme(review_theme_id=t) for t in themes]
    rec.finding_links = [RecommendationFinding(review_finding_id=f) for f in findings]
    db.session.add(rec)
    db.session.flush()
    db.session.add(RecommendationChange(recommendation_id=rec.id, changed_on=on, field="created",
                                        new_value=status, changed_by_id=user.id if user else None))
    record_event(actor=user, action="add_recommendation", target_type="recommendation", target_id=rec.id,
                 details={"review": review.slug, "number": number, "published": publish})
    db.session.flush()
    return rec


def change(rec: Recommendation, *, user: User | None = None, on: dt.date | None = None, note: str = "",
           **fields) -> list[RecommendationChange]:
    """Change some of title, description, owner, target_on, status and reason; one dated row per changed field.

    `note` is a public explanation, kept on the status row when the status changed, else on the first row.
    A note with no changed field is recorded on its own as a public update.
    """
    unknown = set(fields) - set(TRACKED_FIELDS)
    if unknown:
        raise TypeError(f"change() got unknown fields: {', '.join(sorted(unknown))}")
    on = on or dt.date.today()
    note = (note or "").strip()[:MAX_NOTE]
    cleaners = {"title": lambda v: _clean_line(v, MAX_TITLE), "owner": lambda v: _clean_line(v, MAX_OWNER),
                "description": lambda v: (v or "").strip()[:MAX_TEXT], "reason": lambda v: (v or "").strip()[:MAX_NOTE],
                "status": lambda v: v, "target_on": lambda v: v}
    new = {name: cleaners[name](value) for name, value in fields.items()}
    if "title" in new and not new["title"]:
        raise RecommendationError(_("Give the recommendation a title."))
    _check_status(new.get("status", rec.status), new.get("reason", rec.reason))
    changed = [name for name in TRACKED_FIELDS if name in new and new[name] != getattr(rec, name)]
    if not changed and not note:
        return []
    begin_write()
    rows = []
    for name in changed:
        rows.append(RecommendationChange(recommendation_id=rec.id, changed_on=on, field=name,
                                         old_value=_as_text(name, getattr(rec, name)),
                                         new_value=_as_text(name, new[name]),
                                         changed_by_id=user.id if user else None))
        setattr(rec, name, new[name])
    if not rows:
        rows.append(RecommendationChange(recommendation_id=rec.id, changed_on=on, field="note",
                                         changed_by_id=user.id if user else None))
    if note:
        rows[0].note = note  # status comes first in TRACKED_FIELDS, so a status change carries the note
    db.session.add_all(rows)
    record_event(actor=user, action="change_recommendation", target_type="recommendation", target_id=rec.id,
                 details={"fields": changed or ["note"]})
    db.session.flush()
    return rows


def set_links(rec: Recommendation, *, theme_ids=(), finding_ids=(), user: User | None = None) -> bool:
    """Replace the shared themes and pinned findings the recommendation answers. True if anything changed."""
    review = db.session.get(Review, rec.review_id)
    themes, findings = _links(review, theme_ids, finding_ids)
    if (themes == sorted(link.review_theme_id for link in rec.theme_links)
            and findings == sorted(link.review_finding_id for link in rec.finding_links)):
        return False
    begin_write()
    rec.theme_links = [RecommendationTheme(review_theme_id=t) for t in themes]
    rec.finding_links = [RecommendationFinding(review_finding_id=f) for f in findings]
    record_event(actor=user, action="link_recommendation", target_type="recommendation", target_id=rec.id,
                 details={"themes": themes, "findings": findings})
    db.session.flush()
    return True


def publish(rec: Recommendation, *, user: User | None = None, on: dt.date | None = None) -> RecommendationChange | None:
    """Make the recommendation public from `on` (default today). None if it was already public."""
    if rec.published_on is not None:
        return None
    on = on or dt.date.today()
    begin_write()
    rec.published_on = on
    row = RecommendationChange(recommendation_id=rec.id, changed_on=on, field="published", new_value=rec.status,
                               changed_by_id=user.id if user else None)
    db.session.add(row)
    record_event(actor=user, action="publish_recommendation", target_type="recommendation", target_id=rec.id,
                 details={"number": rec.number})
    db.session.flush()
    return row


def recommendations(review: Review) -> list[Recommendation]:
    """All of the review's recommendations, drafts included, in number order (for staff)."""
    return list(db.session.scalars(select(Recommendation).where(Recommendation.review_id == review.id)
                                   .order_by(Recommendation.number)))


def recommendation_or_none(review: Review, rec_id: int) -> Recommendation | None:
    rec = db.session.get(Recommendation, rec_id)
    return rec if rec is not None and rec.review_id == review.id else None


def public_recommendations(review: Review) -> list[Recommendation]:
    """The published recommendations in number order."""
    return list(db.session.scalars(select(Recommendation).where(Recommendation.review_id == review.id,
                                                                Recommendation.published_on.is_not(None))
                                   .order_by(Recommendation.number)))


def _public_rows(recs: list[Recommendation]) -> list[HistoryEntry]:
    if not recs:
        return []
    by_id = {r.id: r for r in recs}
    rows = db.session.scalars(select(RecommendationChange)
                              .where(RecommendationChange.recommendation_id.in_(by_id))
                              .order_by(RecommendationChange.id)).all()
    # A recommendation's public history starts at its "published" row, or at "created" if it was created public.
    start: dict[int, int] = {}
    for row in rows:
        if row.field == "published" or (row.field == "created" and row.recommendation_id not in start):
            start[row.recommendation_id] = row.id
    entries = []
    for row in rows:
        rec = by_id[row.recommendation_id]
        first = start.get(rec.id)
        if first is None or row.id < first:
            continue
        entries.append(HistoryEntry(id=row.id, changed_on=row.changed_on, recommendation_id=rec.id,
                                    number=rec.number, title=rec.title, field=row.field, old_value=row.old_value,
                                    new_value=row.new_value, note=row.note))
    # Newest day first; within a day, in the order things were done (a status change before its reason).
    entries.sort(key=lambda e: (-e.changed_on.toordinal(), e.id))
    return entries


def public_history(review: Review) -> list[HistoryEntry]:
    """Every public dated change of the review's published recommendations, newest day first."""
    return _public_rows(public_recommendations(review))


def public_history_of(rec: Recommendation) -> list[HistoryEntry]:
    """One published recommendation's public history, newest first (empty while it is a draft)."""
    return _public_rows([rec]) if rec.published_on is not None else []


def staff_history(rec: Recommendation) -> list[RecommendationChange]:
    """Every change, drafts included, newest first (for staff pages)."""
    return sorted(rec.changes, key=lambda c: (c.changed_on, c.id), reverse=True)


def status_counts(recs: list[Recommendation]) -> dict[str, int]:
    """How many recommendations have each status, in the statuses' order."""
    counts = {status: 0 for status in RECOMMENDATION_STATUS_VALUES}
    for rec in recs:
        counts[rec.status] += 1
    return counts
