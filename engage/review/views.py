"""The review blueprint and its analysis-run views; other review areas add their routes from sibling modules."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from engage.access import require_consultation, require_roles
from engage.extensions import db
from engage.models import AnalysisRun, Answer, Consultation, QuestionKind, Role, RunStatus
from engage.review.forms import build_start_run_form
from engage.services import analysis_runs
from engage.services.audit import record_event

bp = Blueprint("review", __name__, url_prefix="/review")
# Admins oversee the review (and are the default safeguarding contacts), so they are admitted too.
_reviewers_only = require_roles(Role.REVIEWER.value, Role.ADMIN.value)
# Publishers approve quotes and publish the report, so they reach those pages and no others.
_report_people = require_roles(Role.REVIEWER.value, Role.ADMIN.value, Role.PUBLISHER.value)
REPORT_ENDPOINT_PREFIXES = ("review.report", "review.quote")
# The languages comments are written in (Response.language) and what a run page says about each; whole
# sentences per language, since a language's name changes the words around it in French.
LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}
_THEMES_IN = {"en": _l("Themes in English comments"), "fr": _l("Themes in French comments")}
_ONLY_IN = {"en": _l("Only comments written in English were analysed."),
            "fr": _l("Only comments written in French were analysed.")}
_NO_SENTIMENT = {"fr": _l("Sentiment not available for French: the sentiment tool reads English only, so French "
                          "comments have no sentiment score.")}
RUN_STATUS_NAMES = {"queued": _l("Waiting"), "running": _l("Running"), "done": _l("Finished"), "failed": _l("Failed")}


@bp.before_request
def _guard():
    if (request.endpoint or "").startswith(REPORT_ENDPOINT_PREFIXES):
        return _report_people()
    return _reviewers_only()


def consultation_or_404(slug: str) -> Consultation:
    """The consultation for a review URL, or 404 when it is unknown or outside the user's scope."""
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug)) or abort(404)
    require_consultation(consultation.id)
    return consultation


def _run(consultation: Consultation, version: int) -> AnalysisRun:
    return db.session.scalar(
        select(AnalysisRun).where(AnalysisRun.consultation_id == consultation.id, AnalysisRun.version == version)
    ) or abort(404)


@bp.route("/<slug>/runs", methods=["GET", "POST"])
def list_runs(slug: str):
    consultation = consultation_or_404(slug)
    languages = [(code, LANGUAGE_NAMES[code]) for code in analysis_runs.comment_languages(consultation_id=consultation.id)]
    form = build_start_run_form([q for q in consultation.questions if q.kind == QuestionKind.TEXT.value], languages)
    if form.validate_on_submit():
        try:
            run = analysis_runs.start_analysis(
                consultation=consultation, user=current_user, question_id=int(form.question.data) or None,
                n_themes=form.n_themes.data, channels=form.channels.data or None, language=form.language.data or None,
            )
        except analysis_runs.RunError as error:
            form.question.errors.append(str(error))
        else:
            record_event(actor=current_user, action="start_analysis", target_type="analysis_run", target_id=run.id,
                         details={"version": run.version, "question_id": run.question_id,
                                  "language": run.params["language"]})
            db.session.commit()
            analysis_runs.dispatch_run(run_id=run.id)
            return redirect(url_for("review.show_run", slug=slug, version=run.version), code=303)
    runs = db.session.scalars(
        select(AnalysisRun).where(AnalysisRun.consultation_id == consultation.id).order_by(AnalysisRun.version.desc())
    ).all()
    return render_template("review/list_runs.html", consultation=consultation, runs=runs, form=form,
                           language_names=LANGUAGE_NAMES, status_names=RUN_STATUS_NAMES), 422 if form.errors else 200


@bp.route("/<slug>/runs/<int:version>")
def show_run(slug: str, version: int):
    consultation = consultation_or_404(slug)
    run = _run(consultation, version)
    quotes, groups = {}, []
    if run.status == RunStatus.DONE.value:
        quotes = _quote_texts(run, consultation)
        groups = _language_groups(run)
    language = run.params.get("language")
    return render_template("review/show_run.html", consultation=consultation, run=run, quotes=quotes, groups=groups,
                           language_name=LANGUAGE_NAMES.get(language, language), only_in=_ONLY_IN.get(language),
                           min_comments=analysis_runs.MIN_COMMENTS, stalled=analysis_runs.is_stalled(run))


@bp.route("/<slug>/runs/<int:version>/restart", methods=["POST"])
def restart_run(slug: str, version: int):
    consultation = consultation_or_404(slug)
    run = _run(consultation, version)
    if FlaskForm().validate_on_submit():
        try:
            analysis_runs.restart_run(run=run)
        except analysis_runs.RunError as error:
            flash(str(error), "warning")
        else:
            record_event(actor=current_user, action="restart_analysis", target_type="analysis_run", target_id=run.id,
                         details={"version": run.version})
            db.session.commit()
            analysis_runs.dispatch_run(run_id=run.id)
    return redirect(url_for("review.show_run", slug=slug, version=version), code=303)


def _language_groups(run: AnalysisRun) -> list[dict]:
    """The run's comments per language with that language's themes; one group for runs from before languages."""
    themes = {theme.position: theme for theme in run.themes}
    groups = run.params.get("groups")
    if groups is None:
        return [{"language": None, "comments": run.n_comments, "themes": list(run.themes), "sentiment": True}]
    return [
        {**group, "themes": [themes[p] for p in group["themes"] if p in themes],
         "heading": _THEMES_IN.get(group["language"]) or _l("Themes in comments in another language"),
         "no_sentiment": None if group["sentiment"] else _NO_SENTIMENT.get(group["language"])
         or _l("Sentiment not available for this language: the sentiment tool reads English only.")}
        for group in groups
    ]


@bp.route("/<slug>/runs/<int:version>/status.json")
def show_run_status(slug: str, version: int):
    run = _run(consultation_or_404(slug), version)
    return jsonify(status=run.status, progress=round(run.progress, 3), message=_(run.message))


def _quote_texts(run: AnalysisRun, consultation: Consultation) -> dict[str, str]:
    """Quotes as reviewers see them: a reviewer's redaction if there is one, and personal details scrubbed."""
    import uuid

    from engage.analysis.pii import scrub_pii

    ids = {uuid.UUID(i) for t in run.themes for i in t.quote_answer_ids}
    schools = consultation.school_names
    rows = db.session.execute(
        select(Answer.id, func.coalesce(Answer.redacted_text, Answer.text)).where(Answer.id.in_(ids))
    ) if ids else []
    return {str(answer_id): scrub_pii(text, schools=schools) for answer_id, text in rows}


# Each area of the workspace registers its routes on `bp` (they import it from here).
from engage.review import coding, comments, flags, quotes, reports, segments, themes  # noqa: E402,F401
