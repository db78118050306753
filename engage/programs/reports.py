"""Program reviews: the overall What We Heard report (staff workflow under /programs, public pages under /reviews).

The working copy, revisions, approval fingerprint and frozen versions are those of every report
(``engage.services.reports``); only published versions have a public URL, so a draft is a 404 to the public.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from engage.extensions import db, limiter
from engage.models import DraftComment, Review, ReviewStatus
from engage.programs.views import bp, review_or_404, staff_only
from engage.review.report_actions import restore_and_say
from engage.review.report_forms import ActionForm, PublishForm, ReturnForm
from engage.services import review_reports, reports


class SectionForm(FlaskForm):
    title = StringField(_l("Section title"), validators=[InputRequired(message=_l("Give the section a title.")),
                                                         Length(max=200)])
    body = TextAreaField(
        _l("Text (Markdown)"),
        description=_l("Numbers go in as tokens such as {{ participants }}, so they stay true to the data. "
                       "Tables go in as block tokens on a line of their own."),
        validators=[Length(max=reports.MAX_SECTION_CHARS,
                           message=_l("A section can be at most %(max)s characters.",
                                      max=f"{reports.MAX_SECTION_CHARS:,}"))],
    )


class SettingsForm(FlaskForm):
    title = StringField(_l("Report title"), validators=[InputRequired(message=_l("Give the report a title.")),
                                                        Length(max=300)])
    include_appendix = BooleanField(_l("Include the appendix (the shared themes by phase)"))


def _report(slug: str):
    review = review_or_404(slug)
    report = review_reports.ensure_review_report(review=review, user=current_user)
    if db.session.new or db.session.dirty:
        db.session.commit()
    return review, report


def _back(slug: str, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("programs.report_overview", slug=slug), code=303)


@bp.route("/programs/<slug>/report")
@staff_only()
def report_overview(slug: str):
    review, report = _report(slug)
    draft = review_reports.build_draft(report=report, user=current_user)
    db.session.commit()  # sections drafted on first view are kept
    comments = db.session.scalars(select(DraftComment).where(DraftComment.report_id == report.id)
                                  .order_by(DraftComment.created_at.desc())).all()
    return render_template(
        "programs/report_overview.html", review=review, report=report, draft=draft, comments=comments,
        settings_form=SettingsForm(obj=report), action_form=ActionForm(), return_form=ReturnForm(),
        publish_form=PublishForm(), published=reports.latest_version(report),
        is_publisher=reports.is_publisher(current_user), is_drafter=reports.is_drafter(current_user))


@bp.route("/programs/<slug>/report/preview")
@staff_only()
def report_preview(slug: str):
    review, report = _report(slug)
    draft = review_reports.build_draft(report=report, user=current_user)
    db.session.commit()
    return render_template("programs/report_preview.html", review=review, report=report, draft=draft)


@bp.route("/programs/<slug>/report/settings", methods=["POST"])
@staff_only()
def report_settings(slug: str):
    review, report = _report(slug)
    if not reports.is_drafter(current_user):
        abort(403)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _back(slug, next(iter(form.errors.values()))[0], "error")
    try:
        reports.update_settings(report=report, user=current_user, title=form.title.data,
                                include_appendix=form.include_appendix.data, source=report.source)
    except reports.ReportError as error:
        db.session.rollback()
        return _back(slug, str(error), "error")
    db.session.commit()
    return _back(slug, _("Report settings saved."))


@bp.route("/programs/<slug>/report/sections/<key>", methods=["GET", "POST"])
@staff_only()
def report_edit_section(slug: str, key: str):
    review, report = _report(slug)
    if key not in review_reports.SECTION_TITLES:
        abort(404)
    data = reports.report_data(report, None)
    reports.ensure_sections(report=report, data=data, user=current_user)
    section = reports.section_or_none(report, key) or abort(404)
    if request.method == "POST" and not reports.is_drafter(current_user):
        abort(403)
    form = SectionForm()
    if request.method == "GET":
        form.title.data, form.body.data = section.title, reports.current_body(section, data)
    elif form.validate_on_submit():
        try:
            reopened = reports.save_section(report=report, section=section, title=form.title.data,
                                            body=form.body.data or "", user=current_user, data=data)
        except reports.ReportError as error:
            db.session.rollback()
            form.body.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("“%(title)s” saved.", title=section.title) + (
                " " + _("The report went back to draft: it needs approving again.") if reopened else ""), "success")
            return redirect(url_for("programs.report_edit_section", slug=slug, key=key), code=303)
    db.session.commit()
    from engage.reporting.blocks import known_blocks

    fact_map = reports.facts(data)
    problems = reports.section_problems(key, form.body.data or "", data=data, fact_map=fact_map,
                                        facts_at_save=section.facts_at_save if section.edited else {},
                                        approved_texts=set())
    revisions = reports.revisions(report=report, key=key)
    return render_template(
        "programs/report_section.html", review=review, report=report, section=section, form=form, facts=fact_map,
        blocks=known_blocks(data), problems=problems, revisions=revisions, people=reports.revision_authors(revisions),
        can_edit=reports.is_drafter(current_user), action_form=ActionForm(),
        preview=reports.render_section(form.body.data or "", data, fact_map),
    ), 400 if form.errors else 200


@bp.route("/programs/<slug>/report/sections/<key>/redraft", methods=["POST"])
@staff_only()
def report_redraft_section(slug: str, key: str):
    review, report = _report(slug)
    if not reports.is_drafter(current_user):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    data = reports.report_data(report, None)
    reports.ensure_sections(report=report, data=data, user=current_user)
    section = reports.section_or_none(report, key) or abort(404)
    reports.redraft_section(report=report, section=section, user=current_user, data=data)
    db.session.commit()
    flash(_("“%(title)s” follows the data again. Your earlier text is kept in its history.", title=section.title),
          "success")
    return redirect(url_for("programs.report_edit_section", slug=slug, key=key), code=303)


@bp.route("/programs/<slug>/report/sections/<key>/restore/<int:number>", methods=["POST"])
@staff_only()
def report_restore_revision(slug: str, key: str, number: int):
    """Make an earlier revision the newest one (a new revision: the history is never rewritten)."""
    review, report = _report(slug)
    if not reports.is_drafter(current_user):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    if key not in review_reports.SECTION_TITLES:
        abort(404)
    data = reports.report_data(report, None)
    reports.ensure_sections(report=report, data=data, user=current_user)
    section = reports.section_or_none(report, key) or abort(404)
    restore_and_say(report=report, section=section, number=number, data=data)
    return redirect(url_for("programs.report_edit_section", slug=slug, key=key), code=303)


def _workflow(slug: str, action, message: str, form_class=ActionForm, **fields):
    review, report = _report(slug)
    form = form_class()
    if not form.validate_on_submit():
        return _back(slug, _("The form had expired. Please try again."), "error")
    try:
        action(report=report, consultation=None, user=current_user,
               **{name: getattr(form, name).data or "" for name in fields})
    except reports.ReportError as error:
        db.session.commit()  # a publish refused because the data changed sends the report back; keep that
        return _back(slug, str(error), "error")
    db.session.commit()
    return _back(slug, message)


@bp.route("/programs/<slug>/report/submit", methods=["POST"])
@staff_only()
def report_submit(slug: str):
    return _workflow(slug, reports.submit_for_review, _("Sent to a publisher for approval."))


@bp.route("/programs/<slug>/report/return", methods=["POST"])
@staff_only()
def report_return(slug: str):
    def send_back(*, report, consultation, user, note):
        reports.return_to_draft(report=report, user=user, note=note)

    return _workflow(slug, send_back, _("The report is back in draft."), ReturnForm, note=True)


@bp.route("/programs/<slug>/report/approve", methods=["POST"])
@staff_only()
def report_approve(slug: str):
    return _workflow(slug, reports.approve, _("Approved. A publisher can now publish it."))


@bp.route("/programs/<slug>/report/publish", methods=["POST"])
@staff_only()
def report_publish(slug: str):
    return _workflow(slug, reports.publish, _("Published. The report is now public."), PublishForm,
                     correction_note=True)


def _export_key() -> str:
    return f"report-export:{current_user.get_id()}"


@bp.route("/programs/<slug>/report/export.<fmt>")
@staff_only()
@limiter.limit("30 per hour", key_func=_export_key)
def report_export(slug: str, fmt: str):
    """The current draft as PDF, HTML or CSV, for the review team (rate-limited per user: a PDF costs CPU)."""
    from engage.intake.reports import DOWNLOADS, file_response, render_export

    if fmt not in DOWNLOADS:
        abort(404)
    review, report = _report(slug)
    draft = review_reports.build_draft(report=report, user=current_user)
    db.session.commit()
    return file_response(render_export(draft.document, fmt), fmt, f"{slug}-what-we-heard-draft.{fmt}")


# --- Public pages: published versions only ------------------------------------------------------------------------

def _published(slug: str, number: int | None = None):
    review = db.session.scalar(select(Review).where(Review.slug == slug,
                                                    Review.status != ReviewStatus.DRAFT.value)) or abort(404)
    version = review_reports.published_version(review=review, number=number) or abort(404)
    return review, version


def _page(slug: str, number: int | None):
    review, version = _published(slug, number)
    latest = review_reports.published_version(review=review)
    document = review_reports.version_document(version, review=review)
    return render_template("programs/report_public.html", review=review, document=document, version=version,
                           latest=latest)


@bp.route("/reviews/<slug>/report")
def show_report(slug: str):
    return _page(slug, None)


@bp.route("/reviews/<slug>/report/v<int:number>")
def show_report_version(slug: str, number: int):
    return _page(slug, number)


@bp.route("/reviews/<slug>/report.<fmt>")
def download_report(slug: str, fmt: str):
    return _download(slug, None, fmt)


@bp.route("/reviews/<slug>/report/v<int:number>.<fmt>")
def download_report_version(slug: str, number: int, fmt: str):
    return _download(slug, number, fmt)


def _download(slug: str, number: int | None, fmt: str):
    from engage.intake.reports import DOWNLOADS, file_response

    if fmt not in DOWNLOADS:
        abort(404)
    review, version = _published(slug, number)
    body = review_reports.cached_export(version=version, review=review, fmt=fmt)
    response = file_response(body, fmt, f"{review.slug}-what-we-heard-v{version.number}.{fmt}", inline=fmt == "html")
    response.headers["Cache-Control"] = "public, max-age=3600"  # a published version never changes
    return response
