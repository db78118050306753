"""The What We Heard report in the review workspace: drafting, editing, commitments, workflow, publishing.

Reviewers (and admins) draft and edit; publishers approve and publish. Routes are registered on the review
blueprint; their endpoint names start with "report" so that publishers are admitted to them and to no other page.
"""
import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from engage.extensions import db, limiter
from engage.models import COMMITMENT_STATUS_LABELS, COMMITMENT_STATUS_VALUES
from engage.review.views import bp, consultation_or_404
from engage.review.report_actions import restore_and_say
from engage.review.report_forms import ActionForm, PublishForm, ReturnForm
from engage.services import reports
from engage.services.themes import active_themes


# Commitment statuses in the page's language (the model keeps the English ones, which the public report uses).
STATUS_NAMES = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"),
                "not_proceeding": _l("Not proceeding")}


class SectionForm(FlaskForm):
    title = StringField(_l("Section title"), validators=[InputRequired(message=_l("Give the section a title.")),
                                                         Length(max=200)])
    body = TextAreaField(
        _l("Text (Markdown)"),
        description=_l("Numbers go in as tokens such as {{ respondents }}, so they stay true to the data. "
                       "Tables, charts and approved quotes go in as block tokens on a line of their own."),
        validators=[Length(max=reports.MAX_SECTION_CHARS,
                           message=_l("A section can be at most %(max)s characters.",
                                      max=f"{reports.MAX_SECTION_CHARS:,}"))],
    )


class SettingsForm(FlaskForm):
    title = StringField(_l("Report title"), validators=[InputRequired(message=_l("Give the report a title.")),
                                                        Length(max=300)])
    source = SelectField(_l("Counts come from"), choices=[
        SelectChoice("codes", _l("Reviewers' codes (recommended)")),
        SelectChoice("machine", _l("The latest analysis run's themes")),
    ])
    include_appendix = BooleanField(_l("Include an appendix of every approved comment"))


class CommitmentForm(FlaskForm):
    title = StringField(_l("What we will do"), validators=[InputRequired(message=_l("Say what will be done.")),
                                                           Length(max=300)])
    description = TextAreaField(_l("More detail"), validators=[Length(max=5000)])
    themes = SelectMultipleField(_l("Themes it answers"), coerce=int, validators=[Optional()],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    owner = StringField(_l("Who is responsible"), validators=[Length(max=200)])
    target_on = DateField(_l("Target date"), validators=[Optional()],
                          description=_l("Optional. Use the format YYYY-MM-DD."))
    status = SelectField(_l("Status"), choices=[SelectChoice(v, STATUS_NAMES.get(v, COMMITMENT_STATUS_LABELS[v]))
                                                for v in COMMITMENT_STATUS_VALUES])
    reason = TextAreaField(_l("Public reason or update"),
                           description=_l("Needed when a commitment is not going ahead. Shown to the public."),
                           validators=[Length(max=2000)])


def _report(slug: str):
    consultation = consultation_or_404(slug)
    report = reports.ensure_report(consultation=consultation, user=current_user)
    if db.session.new or db.session.dirty:
        db.session.commit()
    return consultation, report


def _fail(error: Exception, endpoint: str, **values):
    flash(str(error), "error")
    return redirect(url_for(endpoint, **values), code=303)


@bp.route("/<slug>/report")
def report_overview(slug: str):
    consultation, report = _report(slug)
    draft = reports.build_draft(report=report, consultation=consultation, user=current_user)
    db.session.commit()  # sections drafted on first view are kept
    settings = SettingsForm(obj=report)
    return render_template(
        "review/report_overview.html", consultation=consultation, report=report, draft=draft,
        settings_form=settings, action_form=ActionForm(), return_form=ReturnForm(), publish_form=PublishForm(),
        published=reports.latest_version(report), is_publisher=reports.is_publisher(current_user),
        is_drafter=reports.is_drafter(current_user),
    )


@bp.route("/<slug>/report/preview")
def report_preview(slug: str):
    consultation, report = _report(slug)
    draft = reports.build_draft(report=report, consultation=consultation, user=current_user)
    db.session.commit()
    return render_template("review/report_preview.html", consultation=consultation, report=report, draft=draft)


@bp.route("/<slug>/report/settings", methods=["POST"])
def report_settings(slug: str):
    consultation, report = _report(slug)
    if not reports.is_drafter(current_user):
        abort(403)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _fail(ValueError(next(iter(form.errors.values()))[0]), "review.report_overview", slug=slug)
    try:
        reports.update_settings(report=report, user=current_user, title=form.title.data,
                                include_appendix=form.include_appendix.data, source=form.source.data)
    except reports.ReportError as error:
        db.session.rollback()
        return _fail(error, "review.report_overview", slug=slug)
    db.session.commit()
    flash(_("Report settings saved."), "success")
    return redirect(url_for("review.report_overview", slug=slug), code=303)


@bp.route("/<slug>/report/sections/<key>", methods=["GET", "POST"])
def report_edit_section(slug: str, key: str):
    consultation, report = _report(slug)
    if key not in reports.SECTION_TITLES:
        abort(404)
    data = reports.report_data(report, consultation)
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
            flash(_("“%(title)s” saved. The report went back to draft: it needs approving again.",
                    title=section.title) if reopened else _("“%(title)s” saved.", title=section.title), "success")
            return redirect(url_for("review.report_edit_section", slug=slug, key=key), code=303)
    db.session.commit()
    fact_map = reports.facts(data)
    problems = reports.section_problems(key, form.body.data or "", data=data, fact_map=fact_map,
                                        facts_at_save=section.facts_at_save if section.edited else {},
                                        approved_texts={" ".join(q["text"].split()) for q in data["quotes"]})
    from engage.reporting.blocks import known_blocks

    return render_template(
        "review/report_section.html", consultation=consultation, report=report, section=section, form=form,
        facts=fact_map, blocks=known_blocks(data), problems=problems,
        revisions=(revisions := reports.revisions(report=report, key=key)),
        people=reports.revision_authors(revisions), can_edit=reports.is_drafter(current_user), action_form=ActionForm(),
        preview=reports.render_section(form.body.data or "", data, fact_map),
    ), 400 if form.errors else 200


@bp.route("/<slug>/report/sections/<key>/redraft", methods=["POST"])
def report_redraft_section(slug: str, key: str):
    consultation, report = _report(slug)
    if not reports.is_drafter(current_user) or not ActionForm().validate_on_submit():
        abort(403 if not reports.is_drafter(current_user) else 400)
    data = reports.report_data(report, consultation)
    reports.ensure_sections(report=report, data=data, user=current_user)
    section = reports.section_or_none(report, key) or abort(404)
    reports.redraft_section(report=report, section=section, user=current_user, data=data)
    db.session.commit()
    flash(_("“%(title)s” follows the data again. Your earlier text is kept in its history.", title=section.title),
          "success")
    return redirect(url_for("review.report_edit_section", slug=slug, key=key), code=303)


@bp.route("/<slug>/report/sections/<key>/restore/<int:number>", methods=["POST"])
def report_restore_revision(slug: str, key: str, number: int):
    consultation, report = _report(slug)
    if not reports.is_drafter(current_user) or not ActionForm().validate_on_submit():
        abort(403 if not reports.is_drafter(current_user) else 400)
    data = reports.report_data(report, consultation)
    reports.ensure_sections(report=report, data=data, user=current_user)
    section = reports.section_or_none(report, key) or abort(404)
    restore_and_say(report=report, section=section, number=number, data=data)
    return redirect(url_for("review.report_edit_section", slug=slug, key=key), code=303)


def _workflow(slug: str, action, message, form_class=ActionForm, **fields):
    consultation, report = _report(slug)
    form = form_class()
    if not form.validate_on_submit():
        return _fail(ValueError(_("The form had expired. Please try again.")), "review.report_overview", slug=slug)
    try:
        action(report=report, consultation=consultation, user=current_user,
               **{name: getattr(form, name).data or "" for name in fields})
    except reports.ReportError as error:
        db.session.commit()  # a publish refused because the data changed sends the report back; keep that
        return _fail(error, "review.report_overview", slug=slug)
    db.session.commit()
    flash(str(message), "success")
    return redirect(url_for("review.report_overview", slug=slug), code=303)


@bp.route("/<slug>/report/submit", methods=["POST"])
def report_submit(slug: str):
    return _workflow(slug, reports.submit_for_review, _l("Sent to a publisher for approval."))


@bp.route("/<slug>/report/return", methods=["POST"])
def report_return(slug: str):
    def send_back(*, report, consultation, user, note):
        reports.return_to_draft(report=report, user=user, note=note)

    return _workflow(slug, send_back, _l("The report is back in draft."), ReturnForm, note=True)


@bp.route("/<slug>/report/approve", methods=["POST"])
def report_approve(slug: str):
    return _workflow(slug, reports.approve, _l("Approved. A publisher can now publish it."))


@bp.route("/<slug>/report/publish", methods=["POST"])
def report_publish(slug: str):
    return _workflow(slug, reports.publish, _l("Published. The report is now public."), PublishForm,
                     correction_note=True)


@bp.route("/<slug>/report/commitments", methods=["GET", "POST"])
def report_commitments(slug: str):
    return _commitment_page(slug, None)


@bp.route("/<slug>/report/commitments/<int:commitment_id>", methods=["GET", "POST"])
def report_edit_commitment(slug: str, commitment_id: int):
    return _commitment_page(slug, commitment_id)


def _commitment_page(slug: str, commitment_id: int | None):
    consultation, report = _report(slug)
    commitment = None
    if commitment_id is not None:
        commitment = reports.commitment_or_none(consultation=consultation,
                                                commitment_id=commitment_id) or abort(404)
    themes = active_themes(consultation_id=consultation.id)
    form = CommitmentForm(obj=commitment) if request.method == "GET" else CommitmentForm()
    form.themes.choices = [SelectChoice(t.id, t.name) for t in themes]
    if request.method == "GET" and commitment is not None:
        form.themes.data = commitment.theme_ids
    if request.method == "POST":
        if not reports.is_drafter(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                saved = reports.save_commitment(
                    consultation=consultation, user=current_user, commitment=commitment, title=form.title.data,
                    description=form.description.data or "", status=form.status.data, reason=form.reason.data or "",
                    owner=form.owner.data or "", target_on=form.target_on.data, theme_ids=form.themes.data or [])
            except reports.ReportError as error:
                db.session.rollback()
                form.reason.errors = [str(error)]
            else:
                db.session.commit()
                flash(_("Commitment “%(title)s” saved.", title=saved.title), "success")
                return redirect(url_for("review.report_commitments", slug=slug), code=303)
    names = {t.id: t.name for t in themes}
    return render_template(
        "review/report_commitments.html", consultation=consultation, report=report, form=form,
        commitment=commitment, commitments=reports.commitments(consultation=consultation), theme_names=names,
        status_labels={v: STATUS_NAMES.get(v, label) for v, label in COMMITMENT_STATUS_LABELS.items()},
        today=dt.date.today(),
    ), 400 if form.errors else 200


def _export_key() -> str:
    return f"report-export:{current_user.get_id()}"


@bp.route("/<slug>/report/export.<fmt>")
@limiter.limit("30 per hour", key_func=_export_key)
def report_export(slug: str, fmt: str):
    """The current draft as PDF, HTML or CSV, for the review team (rate-limited per user: a PDF costs CPU)."""
    from engage.intake.reports import DOWNLOADS, file_response, render_export

    if fmt not in DOWNLOADS:
        abort(404)
    consultation, report = _report(slug)
    draft = reports.build_draft(report=report, consultation=consultation, user=current_user)
    db.session.commit()
    return file_response(render_export(draft.document, fmt, with_comments=report.include_appendix), fmt,
                         f"{slug}-what-we-heard-draft.{fmt}")
