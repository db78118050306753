"""Program reviews for staff: the review's details, its streams and their tags, its advisors and their comments.

A stream is an existing consultation attached to the review and tagged with one of the review's phases, an
audience, a format and a partner; detached, it stands alone again. Advisors (role ``advisor``) are named per
review and read only drafts that are waiting for approval or approved, and published reports.
"""
import datetime as dt
import re

from flask_babel import gettext as _
from sqlalchemy import select

from engage.database import begin_write
from engage.extensions import db
from engage.i18n import source_language
from engage.models import (
    REVIEW_STATUS_VALUES, Consultation, DraftComment, Report, ReportStatus, Review, ReviewAccess, Role, User, UserRole,
)
from engage.services.audit import record_event

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_LIST_ITEMS = 20
# Report states an advisor may read: waiting for approval, approved, or published.
ADVISOR_READABLE = (ReportStatus.IN_REVIEW.value, ReportStatus.APPROVED.value, ReportStatus.PUBLISHED.value)
ADVISOR_COMMENTABLE = (ReportStatus.IN_REVIEW.value, ReportStatus.APPROVED.value)


class ReviewAdminError(ValueError):
    """A change that cannot be made; the message is safe to show."""


def _line(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def clean_list(items, limit: int = 200) -> list[str]:
    """Names one per item, trimmed, without blanks or repeats (first spelling kept)."""
    found, seen = [], set()
    for item in items or ():
        name = _line(item, limit)
        if name and name.lower() not in seen:
            seen.add(name.lower())
            found.append(name)
    return found[:MAX_LIST_ITEMS]


# --- Reviews ----------------------------------------------------------------------------------------------------

def review_by_slug(slug: str) -> Review | None:
    return db.session.scalar(select(Review).where(Review.slug == slug))


def list_reviews() -> list[Review]:
    """Every review, newest first (the caller keeps those the user may read)."""
    return list(db.session.scalars(select(Review).order_by(Review.created_at.desc(), Review.id.desc())))


def _check_details(*, slug: str, title: str, status: str, starts_on, ends_on, review: Review | None) -> None:
    if not title:
        raise ReviewAdminError(_("Give the review a title."))
    if not SLUG.fullmatch(slug or "") or len(slug) > 80:
        raise ReviewAdminError(_("Use lowercase letters, numbers and single hyphens in the web address."))
    clash = review_by_slug(slug)
    if clash is not None and clash is not review:
        raise ReviewAdminError(_("Another review already uses that web address."))
    if status not in REVIEW_STATUS_VALUES:
        raise ReviewAdminError(_("Choose one of the statuses."))
    if starts_on and ends_on and ends_on < starts_on:
        raise ReviewAdminError(_("The review cannot end before it starts."))


def save_review(*, user: User | None, review: Review | None, slug: str, title: str, description: str = "",
                status: str = "draft", starts_on: dt.date | None = None, ends_on: dt.date | None = None,
                lead_organisation: str = "", partners=(), phases=()) -> Review:
    """Create a review (when `review` is None) or change its details. A phase still in use cannot be removed."""
    slug, title = (slug or "").strip().lower(), _line(title, 200)
    _check_details(slug=slug, title=title, status=status, starts_on=starts_on, ends_on=ends_on, review=review)
    partners, phases = clean_list(partners), clean_list(phases, 80)
    if review is not None:
        in_use = {c.stream_phase for c in streams_of(review) if c.stream_phase}
        missing = sorted(in_use - set(phases))
        if missing:
            raise ReviewAdminError(_("A stream is still tagged with the phase \u201c%(phase)s\u201d. "
                                     "Change that stream first.", phase=missing[0]))
    begin_write()
    created = review is None
    if created:
        review = Review(created_by_id=user.id if user else None)
        db.session.add(review)
    before = {} if created else _snapshot(review)
    review.slug, review.title, review.description, review.status = slug, title, (description or "").strip(), status
    review.starts_on, review.ends_on = starts_on, ends_on
    review.lead_organisation, review.partners, review.phases = _line(lead_organisation, 200), partners, phases
    db.session.flush()
    after = _snapshot(review)
    changed = sorted(k for k in after if before.get(k) != after[k])
    record_event(actor=user, action="create_review" if created else "update_review", target_type="review",
                 target_id=review.id, details={"slug": slug, "changed": changed, "status": status})
    return review


def _snapshot(review: Review) -> dict:
    return {"slug": review.slug, "title": review.title, "description": review.description, "status": review.status,
            "starts_on": review.starts_on, "ends_on": review.ends_on, "lead_organisation": review.lead_organisation,
            "partners": list(review.partners or []), "phases": list(review.phases or [])}


# --- Streams ------------------------------------------------------------------------------------------------------

def streams_of(review: Review) -> list[Consultation]:
    """The review's streams in phase order, then by opening day."""
    from engage.services.reviews import streams

    return streams(review)


def attachable(review: Review) -> list[Consultation]:
    """Consultations that stand alone and could become one of this review's streams."""
    return list(db.session.scalars(select(Consultation).where(Consultation.review_id.is_(None))
                                   .order_by(Consultation.title)))


def tag_stream(*, user: User | None, review: Review, consultation: Consultation, phase: str, audience: str = "",
               format: str = "", partner: str = "") -> Consultation:
    """Attach a standalone consultation to the review, or change an attached stream's tags."""
    if consultation.review_id not in (None, review.id):
        raise ReviewAdminError(_("That consultation is already a stream of another review."))
    phase = _line(phase, 80)
    if review.phases and phase not in review.phases:
        raise ReviewAdminError(_("Choose one of the review's phases."))
    partner = _line(partner, 200)
    organisations = [review.lead_organisation, *(review.partners or [])]
    if partner and partner not in organisations:
        raise ReviewAdminError(_("Choose the lead organisation or one of the review's partners."))
    begin_write()
    attaching = consultation.review_id is None
    consultation.review_id = review.id
    consultation.stream_phase, consultation.stream_audience = phase, _line(audience, 120)
    consultation.stream_format, consultation.stream_partner = _line(format, 120), partner
    db.session.flush()
    record_event(actor=user, action="attach_stream" if attaching else "tag_stream", target_type="review",
                 target_id=review.id, details={"consultation_id": consultation.id, "phase": phase,
                                               "audience": consultation.stream_audience,
                                               "format": consultation.stream_format, "partner": partner})
    return consultation


def detach_stream(*, user: User | None, review: Review, consultation: Consultation) -> None:
    """The consultation stands alone again; its responses, themes and report are untouched."""
    if consultation.review_id != review.id:
        raise ReviewAdminError(_("That consultation is not a stream of this review."))
    begin_write()
    consultation.review_id = None
    consultation.stream_phase = consultation.stream_audience = ""
    consultation.stream_format = consultation.stream_partner = ""
    db.session.flush()
    record_event(actor=user, action="detach_stream", target_type="review", target_id=review.id,
                 details={"consultation_id": consultation.id})


# --- Advisors -----------------------------------------------------------------------------------------------------

def advisor_candidates() -> list[User]:
    """Active users who have the advisor role."""
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                   .where(UserRole.role == Role.ADVISOR.value, User.active.is_(True))
                                   .order_by(User.email)))


def named_advisors(review: Review) -> list[User]:
    return list(db.session.scalars(select(User).join(ReviewAccess, ReviewAccess.user_id == User.id)
                                   .where(ReviewAccess.review_id == review.id).order_by(User.email)))


def set_advisors(*, user: User | None, review: Review, user_ids) -> tuple[list[int], list[int]]:
    """Name exactly these advisors on the review; returns (added, removed) user ids."""
    wanted = {int(i) for i in user_ids}
    allowed = {u.id for u in advisor_candidates()}
    if wanted - allowed:
        raise ReviewAdminError(_("Only active users with the advisor role can be named."))
    current = {u.id for u in named_advisors(review)}
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if not added and not removed:
        return [], []
    begin_write()
    for user_id in added:
        db.session.add(ReviewAccess(user_id=user_id, review_id=review.id))
    for user_id in removed:
        db.session.delete(db.session.get(ReviewAccess, (user_id, review.id)))
    db.session.flush()
    record_event(actor=user, action="set_review_advisors", target_type="review", target_id=review.id,
                 details={"added": added, "removed": removed})
    return added, removed


def advisor_reviews(user: User) -> list[Review]:
    """The reviews an advisor is named on."""
    return list(db.session.scalars(select(Review).join(ReviewAccess, ReviewAccess.review_id == Review.id)
                                   .where(ReviewAccess.user_id == user.id).order_by(Review.title)))


# --- Reports the board reads, and its comments --------------------------------------------------------------------

def review_reports(review: Review) -> list[tuple[Consultation | None, Report | None]]:
    """(stream, its report) for each stream, then (None, the overall report); a report may not exist yet."""
    found = []
    for consultation in streams_of(review):
        found.append((consultation, db.session.scalar(select(Report).where(Report.consultation_id == consultation.id))))
    found.append((None, db.session.scalar(select(Report).where(Report.review_id == review.id))))
    return found


def report_of_review(review: Review, report_id: int) -> Report | None:
    """The report if it is one of this review's (a stream's or the overall one), else None."""
    report = db.session.get(Report, report_id)
    if report is None:
        return None
    if report.review_id == review.id:
        return report
    consultation = db.session.get(Consultation, report.consultation_id) if report.consultation_id else None
    return report if consultation is not None and consultation.review_id == review.id else None


def advisor_can_read(report: Report | None) -> bool:
    return report is not None and report.status in ADVISOR_READABLE


def advisor_draft(report: Report, consultation: Consultation):
    """A stream report's draft as the board reads it: figures from the suppressed report data, and no
    participant's words at all. Approved quotes and the appendix are left out until publication, since board
    members (parents, students, staff) may know the writer."""
    from engage.services import reports

    data = dict(reports.report_data(report, consultation), quotes=[], appendix=[])
    fact_map = reports.facts(data)
    sections = [{"key": s.key, "title": s.title,
                 "html": reports.render_section(reports.current_body(s, data), data, fact_map)}
                for s in sorted(report.sections, key=lambda s: s.position) if s.key != "appendix"]
    return reports.Document(slug=consultation.slug, title=report.title, sections=sections, data=data, draft=True,
                            language=source_language(consultation))


def add_comment(*, user: User, report: Report, body: str, section_key: str = "") -> DraftComment:
    """An advisor's comment on a draft waiting for approval or approved (not on a draft still being written)."""
    body = (body or "").strip()[:5000]
    if not body:
        raise ReviewAdminError(_("Write a comment first."))
    if report.status not in ADVISOR_COMMENTABLE:
        raise ReviewAdminError(_("Comments are open only while a draft is waiting for approval or approved."))
    begin_write()
    comment = DraftComment(report_id=report.id, section_key=_line(section_key, 40), author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    record_event(actor=user, action="comment_on_draft", target_type="report", target_id=report.id,
                 details={"section": comment.section_key})
    return comment


def comments_on(report: Report | None) -> list[dict]:
    """The draft's comments, oldest first, with their author's name or email (for the board and for staff)."""
    if report is None:
        return []
    rows = db.session.execute(select(DraftComment, User).outerjoin(User, User.id == DraftComment.author_id)
                              .where(DraftComment.report_id == report.id)
                              .order_by(DraftComment.created_at, DraftComment.id)).all()
    return [{"id": c.id, "section_key": c.section_key, "body": c.body, "created_at": c.created_at,
             "resolved": c.resolved_at is not None, "author": (u.name or u.email) if u else ""} for c, u in rows]
