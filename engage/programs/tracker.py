"""Public pages of a program review: what it is with its streams, and the recommendations tracker.

No sign-in. Nothing here shows an internal draft, an unsuppressed figure or who on staff made a change. A review
still in draft does not exist for the public (404).
"""
import datetime as dt

from flask import abort, current_app, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engage.extensions import db
from engage.reporting.blocks import long_date
from engage.models import ConsultationStatus, Report, ReportVersion, Review, ReviewStatus
from engage.programs.views import bp, review_or_404
from engage.services import recommendations as recs
from engage.services import reports
from engage.services.reviews import participation

# Reviews have no translations yet: their wording is shown as written, marked as English on French pages.
WRITTEN_IN = "en"


def _public_review_or_404(slug: str) -> Review:
    review = review_or_404(slug, staff=False)
    if review.status == ReviewStatus.DRAFT.value:
        abort(404)
    return review


def overall_report_url(review: Review) -> str | None:
    """The public overall report's address once a version of it is published, else None."""
    if "programs.show_report" not in current_app.view_functions:
        return None
    published = db.session.scalar(select(ReportVersion.id).join(Report, Report.id == ReportVersion.report_id)
                                  .where(Report.review_id == review.id).limit(1))
    return url_for("programs.show_report", slug=review.slug) if published else None


def public_streams(review: Review) -> dict:
    """The participation table (suppressed at the public minimum) with each stream's public links."""
    table = participation(review, public=True)
    for row in table["rows"]:
        consultation = row["consultation"]
        public = consultation.status != ConsultationStatus.DRAFT.value
        row["page_url"] = url_for("intake.show_consultation", slug=consultation.slug) if public else None
        published = public and reports.published_version(consultation=consultation) is not None
        row["report_url"] = url_for("intake.show_report", slug=consultation.slug) if published else None
    return table


@bp.route("/reviews/<slug>")
def review_public(slug: str):
    review = _public_review_or_404(slug)
    items = recs.public_recommendations(review)
    phases = list(review.phases or [])
    table = public_streams(review)
    extra = [row["phase"] for row in table["rows"] if row["phase"] and row["phase"] not in phases]
    return render_template("programs/tracker_review.html", review=review, table=table, phases=phases + extra,
                           overall_url=overall_report_url(review), counts=recs.status_counts(items),
                           status_labels=recs.STATUS_LABELS, written_in=WRITTEN_IN)


def _value(field: str, value: str) -> str:
    if field in ("status", "created", "published"):
        return str(recs.STATUS_LABELS.get(value, value))
    if field == "target_on" and value:
        return long_date(dt.date.fromisoformat(value))
    return value


def describe(entry: recs.HistoryEntry) -> str:
    """One dated change in words, for the public (no staff names)."""
    old, new = _value(entry.field, entry.old_value), _value(entry.field, entry.new_value)
    if entry.field in ("created", "published"):
        return _("Published with the status %(status)s.", status=new)
    if entry.field == "status":
        return _("Status changed from %(old)s to %(new)s.", old=old, new=new)
    if entry.field == "target_on":
        if not new:
            return _("Target date removed.")
        if not old:
            return _("Target date set to %(new)s.", new=new)
        return _("Target date changed from %(old)s to %(new)s.", old=old, new=new)
    if entry.field == "owner":
        if not new:
            return _("No one is named as responsible any more.")
        if not old:
            return _("%(new)s is now responsible.", new=new)
        return _("Responsibility moved from %(old)s to %(new)s.", old=old, new=new)
    if entry.field == "title":
        return _("Wording changed from \u201c%(old)s\u201d to \u201c%(new)s\u201d.", old=old, new=new)
    if entry.field == "description":
        return _("The details were updated.")
    if entry.field == "reason":
        return _("Public reason: %(new)s", new=new) if new else _("Public reason removed.")
    return _("Update.")


@bp.route("/reviews/<slug>/tracker")
def tracker(slug: str):
    review = _public_review_or_404(slug)
    items = recs.public_recommendations(review)
    history = recs.public_history(review)
    by_rec: dict[int, list] = {}
    for entry in history:
        by_rec.setdefault(entry.recommendation_id, []).append(entry)
    theme_names = {t.id: t.name for t in review.themes}
    return render_template("programs/tracker_show.html", review=review, items=items, history=history,
                           by_rec=by_rec, theme_names=theme_names, counts=recs.status_counts(items),
                           status_labels=recs.STATUS_LABELS, describe=describe, written_in=WRITTEN_IN,
                           overall_url=overall_report_url(review))
