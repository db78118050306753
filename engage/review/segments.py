"""Review workspace: segments, where groups differ, participation (routes are registered on engage.review.views.bp)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length

from engage.extensions import db
from engage.models import QuestionKind
from engage.review.views import bp, consultation_or_404
from engage.security import whole_number
from engage.services import segments
from engage.services.engagement_sessions import session_summary


class PinFindingForm(FlaskForm):
    by = HiddenField(validators=[InputRequired()])
    value = HiddenField(validators=[InputRequired()])
    feature = HiddenField(validators=[InputRequired()])
    question = HiddenField()
    source = HiddenField()
    note = TextAreaField(_l("Note for the summary (optional)"), validators=[Length(max=1000)])


def _choices(consultation):
    """Read the shared query-string choices; a bad one raises SegmentError with a message to show."""
    raw_question = request.args.get("question", "")
    question_id = whole_number(raw_question)
    if raw_question and question_id is None:
        raise segments.SegmentError(_("Choose one of this consultation's open-text questions."))
    source = request.args.get("source", "codes")
    units, names = segments.load_units(consultation=consultation, question_id=question_id, source=source)
    return question_id, source, units, names


def _context(consultation, **extra):
    texts = [(q.id, q.prompt) for q in consultation.questions if q.kind == QuestionKind.TEXT.value]
    return {"consultation": consultation, "questions": texts, "args": request.args,
            "dimensions": segments.dimensions(consultation=consultation)} | extra


@bp.route("/<slug>/segments")
def show_segments(slug: str):
    consultation = consultation_or_404(slug)
    dims = segments.dimensions(consultation=consultation)
    try:
        question_id, source, units, names = _choices(consultation)
        first = segments.find_dimension(consultation=consultation, key=request.args.get("by") or dims[0].key) if dims else None
        second = segments.find_dimension(consultation=consultation, key=request.args["and"]) if request.args.get("and") else None
        table = first and segments.theme_table(consultation=consultation, units=units, theme_ids=list(names),
                                               first=first, second=second)
    except segments.SegmentError as error:
        return render_template("review/segments_table.html", **_context(consultation, problem=str(error), table=None)), 400
    charts = segments.theme_charts(table=table, names=names) if table else []
    return render_template("review/segments_table.html", **_context(
        consultation, problem=None, table=table, names=names, first=first, second=second, charts=charts,
        question_id=question_id, source=source, findings=segments.pinned_findings(consultation=consultation),
    ))


@bp.route("/<slug>/segments/differences")
def show_group_differences(slug: str):
    consultation = consultation_or_404(slug)
    try:
        question_id, source, units, names = _choices(consultation)
        dimension = segments.find_dimension(consultation=consultation, key=request.args.get("by", ""))
        table = segments.theme_table(consultation=consultation, units=units, theme_ids=list(names), first=dimension)
    except segments.SegmentError as error:
        return render_template("review/segments_differences.html", **_context(consultation, problem=str(error))), 400
    value = request.args.get("value", "")
    differences = segments.group_differences(consultation=consultation, units=units, table=table, value=value,
                                             names=names, dimension=dimension)
    return render_template("review/segments_differences.html", **_context(
        consultation, problem=None, dimension=dimension, value=value, differences=differences, table=table,
        question_id=question_id, source=source, form=PinFindingForm(),
    ))


@bp.post("/<slug>/segments/findings")
def pin_finding(slug: str):
    consultation = consultation_or_404(slug)
    form = PinFindingForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("review.show_group_differences", slug=slug, by=form.by.data, value=form.value.data,
                   question=form.question.data or None, source=form.source.data or None)
    try:
        dimension = segments.find_dimension(consultation=consultation, key=form.by.data)
        segments.pin_finding(
            consultation=consultation, user=current_user, dimension=dimension, value=form.value.data,
            feature=form.feature.data, question_id=whole_number(form.question.data),
            source=form.source.data or "codes", note=form.note.data or "",
        )
    except segments.SegmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(_("Pinned for the summary."))
    return redirect(back, code=303)


@bp.route("/<slug>/participation")
def show_participation(slug: str):
    consultation = consultation_or_404(slug)
    total, tables = segments.participation(consultation=consultation)
    return render_template("review/participation.html", consultation=consultation, total=total, tables=tables,
                           bars=segments.participation_bars, sessions=session_summary(consultation))
