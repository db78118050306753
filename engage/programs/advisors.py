"""The advisory board: admins name advisors on a review; advisors read drafts awaiting approval, approved and
published reports (rendered from suppressed report data only) and leave comments on drafts.

An advisor-only account is confined everywhere by ``confine_advisors``: only its reviews' board pages, sign-in
and sign-out, and the public site answer it. It never reaches raw comments, quote candidates, segments with
unsuppressed numbers or exports.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engage.extensions import db
from engage.models import Consultation, ReportStatus, Role
from engage.programs.manage_forms import AdvisorsForm, DraftCommentForm
from engage.programs.views import STAFF_ROLES, bp, is_advisor_only, review_or_404, staff_only
from engage.services import review_admin, reports
from engage.services.reviews import participation

ADVISOR_ENDPOINTS = frozenset({"programs.index", "programs.advisor_home", "programs.advisor_report"})
# Pages anyone may read without signing in.
PUBLIC_BLUEPRINTS = frozenset({"auth", "intake", "ops"})
PUBLIC_PROGRAM_ENDPOINTS = frozenset({"programs.review_public", "programs.tracker", "programs.show_report",
                                      "programs.show_report_version", "programs.download_report"})
BOARD_ROLES = (*STAFF_ROLES, Role.ADVISOR.value)


@bp.before_app_request
def confine_advisors():
    """403 for an advisor-only account on every staff page but its board (checked before any blueprint guard)."""
    endpoint = request.endpoint or ""
    if (not endpoint or endpoint == "static" or endpoint in ADVISOR_ENDPOINTS or endpoint in PUBLIC_PROGRAM_ENDPOINTS
            or endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS):
        return None
    if is_advisor_only(current_user):
        if endpoint == "staff.dashboard":  # where sign-in lands: the board member's home is their reviews
            return redirect(url_for("programs.index"), code=303)
        abort(403)
    return None


@bp.route("/programs/<slug>/advisors", methods=["GET", "POST"])
@staff_only(Role.ADMIN.value)
def advisors(slug: str):
    review = review_or_404(slug)
    form = AdvisorsForm()
    candidates = review_admin.advisor_candidates()
    form.advisors.choices = [(u.id, f"{u.name} ({u.email})" if u.name else u.email) for u in candidates]
    if request.method == "GET":
        form.advisors.data = [u.id for u in review_admin.named_advisors(review)]
    if form.validate_on_submit():
        try:
            review_admin.set_advisors(user=current_user, review=review, user_ids=form.advisors.data or [])
        except review_admin.ReviewAdminError as error:
            db.session.rollback()
            form.advisors.errors = list(form.advisors.errors) + [str(error)]
        else:
            db.session.commit()
            flash(_("Advisory board saved."), "success")
            return redirect(url_for("programs.advisors", slug=slug), code=303)
    return render_template("programs/advisor_manage.html", review=review, form=form,
                           candidates=candidates), 422 if form.errors else 200


def _board_reports(review) -> list[dict]:
    """Each stream's report and the overall one, with whether the board may read it (never a draft in writing)."""
    found = []
    for consultation, report in review_admin.review_reports(review):
        found.append({"consultation": consultation, "report": report,
                      "readable": review_admin.advisor_can_read(report)})
    return found


@bp.route("/programs/<slug>/board")
@staff_only(*BOARD_ROLES)
def advisor_home(slug: str):
    review = review_or_404(slug)
    return render_template("programs/advisor_home.html", review=review, table=participation(review, public=True),
                           board_reports=_board_reports(review))


def _document(review, report):
    """The report as the board may read it: the published version, or the draft from suppressed data only
    (a stream's draft without participants' words)."""
    if report.consultation_id is not None:
        consultation = db.session.get(Consultation, report.consultation_id)
        if report.status == ReportStatus.PUBLISHED.value:
            version = reports.published_version(consultation=consultation)
            if version is not None:
                return reports.version_document(version, consultation=consultation)
        return review_admin.advisor_draft(report, consultation)
    return overall_document(review, report)


def overall_document(review, report):
    """The overall report's document: its published version, or its draft from suppressed data only."""
    from engage.services import review_reports

    if report.status == ReportStatus.PUBLISHED.value:
        version = review_reports.published_version(review=review)
        if version is not None:
            return review_reports.version_document(version, review=review)
    return review_reports.build_draft(report=report).document


@bp.route("/programs/<slug>/board/reports/<int:report_id>", methods=["GET", "POST"])
@staff_only(*BOARD_ROLES)
def advisor_report(slug: str, report_id: int):
    review = review_or_404(slug)
    report = review_admin.report_of_review(review, report_id)
    if not review_admin.advisor_can_read(report):
        abort(404)
    document = _document(review, report)
    form = DraftCommentForm()
    form.section_key.choices = [("", _("The whole draft"))] + [(s["key"], s["title"]) for s in document.sections]
    commentable = report.status in review_admin.ADVISOR_COMMENTABLE
    if request.method == "POST":
        if not commentable:
            abort(409)
        if form.validate_on_submit():
            try:
                review_admin.add_comment(user=current_user, report=report, body=form.body.data,
                                         section_key=form.section_key.data or "")
            except review_admin.ReviewAdminError as error:
                db.session.rollback()
                form.body.errors = list(form.body.errors) + [str(error)]
            else:
                db.session.commit()
                flash(_("Thank you. Your comment was sent to the review team."), "success")
                return redirect(url_for("programs.advisor_report", slug=slug, report_id=report.id) + "#comments",
                                code=303)
    db.session.commit()  # the overall draft's first look may add a missing section
    return render_template("programs/advisor_report.html", review=review, report=report, document=document,
                           form=form, comments=review_admin.comments_on(report), commentable=commentable,
                           is_advisor=is_advisor_only(current_user)), 422 if form.errors else 200
