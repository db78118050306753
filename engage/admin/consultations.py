"""Admin views for consultations: settings, questions, "about you" questions and access codes."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from engage.admin.consultation_forms import (
    AccessCodeForm, ConsultationForm, QuestionForm, SegmentFieldForm, build_consultation_form,
)
from engage.admin.views import bp
from engage.extensions import db
from engage.models import AccessCode, Answer, Consultation, Question, QuestionRevision, SegmentField
from engage.services import consultations as service


def _get(model, object_id):
    return db.session.get(model, object_id) or abort(404)


@bp.route("/consultations")
def list_consultations():
    consultations = db.session.scalars(select(Consultation).order_by(Consultation.title)).all()
    return render_template("admin/consultations_list.html", consultations=consultations)


@bp.route("/consultations/new", methods=["GET", "POST"])
def create_consultation():
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = service.save_consultation(actor=current_user, values=form.values())
        except service.ConsultationError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Consultation created. Now add its questions."), "info")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id), code=303)
    return render_template("admin/consultation_new.html", form=form), 422 if form.errors else 200


@bp.route("/consultations/<int:consultation_id>", methods=["GET", "POST"])
def edit_consultation(consultation_id: int):
    consultation = _get(Consultation, consultation_id)
    form = build_consultation_form(consultation)
    if form.validate_on_submit():
        try:
            service.save_consultation(actor=current_user, values=form.values(), consultation=consultation)
        except service.ConsultationError as error:
            db.session.rollback()
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Settings saved."), "info")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id), code=303)
    return _render_edit(consultation, form), 422 if form.errors else 200


def _render_edit(consultation, form, *, question_form=None, segment_form=None, code_form=None):
    answered = dict(db.session.execute(
        select(Answer.question_id, func.count()).join(Question).where(Question.consultation_id == consultation.id)
        .group_by(Answer.question_id)
    ).all())
    progress = {code: service.translation_progress(consultation, code) for code in (consultation.languages or [])[1:]}
    return render_template(
        "admin/consultation_edit.html", consultation=consultation, form=form, answered=answered, progress=progress,
        question_form=_distinct_ids(question_form or QuestionForm(formdata=None), "question"),
        segment_form=_distinct_ids(segment_form or SegmentFieldForm(formdata=None), "segment"),
        code_form=_distinct_ids(code_form or AccessCodeForm(formdata=None), "code"),
    )


def _distinct_ids(form, prefix: str):
    # The edit page holds four forms whose fields share names (help_text, options, label): the HTML ids, which
    # labels and error links point at, get a prefix; the field names posted stay as they are.
    for field in form:
        field.id = f"{prefix}-{field.name}"
    return form


@bp.route("/consultations/<int:consultation_id>/questions", methods=["POST"])
def add_question(consultation_id: int):
    consultation = _get(Consultation, consultation_id)
    question_form = QuestionForm()
    if question_form.validate_on_submit():
        try:
            service.add_question(
                actor=current_user, consultation=consultation, kind=question_form.kind.data, prompt=question_form.prompt.data,
                help_text=question_form.help_text.data or "", required=question_form.required.data,
                max_length=question_form.max_length.data or 5000, options=question_form.option_lines(),
                for_younger=question_form.for_younger.data, simple_help=question_form.simple_help.data or "",
            )
        except service.ConsultationError as error:
            db.session.rollback()
            question_form.options.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Question added."), "info")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id, _anchor="questions"), code=303)
    return _render_edit(consultation, build_consultation_form(consultation, formdata=None), question_form=question_form), 422


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def edit_question(question_id: int):
    question = _get(Question, question_id)
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.options.data = "\n".join(o.label for o in question.options)
    if form.validate_on_submit():
        try:
            service.update_question(
                actor=current_user, question=question, prompt=form.prompt.data, help_text=form.help_text.data or "",
                required=form.required.data, max_length=form.max_length.data or 5000, kind=form.kind.data,
                options=form.option_lines() if form.kind.data in ("single", "multiple") else None,
                for_younger=form.for_younger.data, simple_help=form.simple_help.data or "",
            )
        except service.ConsultationError as error:
            db.session.rollback()
            form.kind.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Question saved."), "info")
            return redirect(url_for("admin.edit_consultation", consultation_id=question.consultation_id, _anchor="questions"), code=303)
    answered = db.session.scalar(select(func.count()).select_from(Answer).where(Answer.question_id == question.id))
    revisions = db.session.scalars(
        select(QuestionRevision).where(QuestionRevision.question_id == question.id).order_by(QuestionRevision.id.desc())
    ).all()
    return render_template("admin/question_edit.html", question=question, form=form, answered=answered,
                           revisions=revisions), 422 if form.errors else 200


@bp.route("/questions/<int:question_id>/<any(close, reopen):action>", methods=["POST"])
def close_question(question_id: int, action: str):
    question = _get(Question, question_id)
    service.set_question_closed(actor=current_user, question=question, closed=action == "close")
    db.session.commit()
    flash(_("Question closed: it is no longer asked.") if action == "close" else _("Question reopened."), "info")
    return redirect(url_for("admin.edit_consultation", consultation_id=question.consultation_id, _anchor="questions"), code=303)


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
def delete_question(question_id: int):
    question = _get(Question, question_id)
    consultation_id = question.consultation_id
    try:
        service.delete_question(actor=current_user, question=question)
    except service.ConsultationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(_("Question deleted."), "info")
    return redirect(url_for("admin.edit_consultation", consultation_id=consultation_id, _anchor="questions"), code=303)


@bp.route("/questions/<int:question_id>/move/<any(up, down):direction>", methods=["POST"])
def move_question(question_id: int, direction: str):
    question = _get(Question, question_id)
    service.move_question(actor=current_user, question=question, direction=-1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("admin.edit_consultation", consultation_id=question.consultation_id, _anchor="questions"), code=303)


@bp.route("/consultations/<int:consultation_id>/segment-fields", methods=["POST"])
def add_segment_field(consultation_id: int):
    consultation = _get(Consultation, consultation_id)
    segment_form = SegmentFieldForm()
    if segment_form.validate_on_submit() and _save_segment_field(segment_form, consultation):
        return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id, _anchor="about-you"), code=303)
    return _render_edit(consultation, build_consultation_form(consultation, formdata=None), segment_form=segment_form), 422


@bp.route("/segment-fields/<int:field_id>", methods=["GET", "POST"])
def edit_segment_field(field_id: int):
    field = _get(SegmentField, field_id)
    form = SegmentFieldForm(obj=field)
    if request.method == "GET":
        form.options.data = "\n".join(
            o.label + (f" | {o.expected_share:.0%}" if o.expected_share is not None else "") for o in field.options
        )
    if form.validate_on_submit() and _save_segment_field(form, field.consultation, field=field):
        return redirect(url_for("admin.edit_consultation", consultation_id=field.consultation_id, _anchor="about-you"), code=303)
    return render_template("admin/segment_field_edit.html", field=field, form=form), 422 if form.errors else 200


def _save_segment_field(form, consultation, field=None) -> bool:
    try:
        service.save_segment_field(
            actor=current_user, consultation=consultation, key=form.key.data.strip(), label=form.label.data,
            help_text=form.help_text.data or "", multiple=form.multiple.data, is_identity=form.is_identity.data,
            options=service.parse_segment_options(form.option_lines()), field=field,
        )
    except service.ConsultationError as error:
        db.session.rollback()
        form.options.errors.append(str(error))
        return False
    db.session.commit()
    flash(_('"About you" question saved.'), "info")
    return True


@bp.route("/consultations/<int:consultation_id>/access-codes", methods=["POST"])
def add_access_code(consultation_id: int):
    consultation = _get(Consultation, consultation_id)
    code_form = AccessCodeForm()
    if code_form.validate_on_submit():
        try:
            service.add_access_code(actor=current_user, consultation=consultation, code=code_form.code.data,
                                    label=code_form.label.data or "")
        except service.ConsultationError as error:
            db.session.rollback()
            code_form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Access code added."), "info")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id, _anchor="access-codes"), code=303)
    return _render_edit(consultation, build_consultation_form(consultation, formdata=None), code_form=code_form), 422


@bp.route("/access-codes/<int:code_id>/<any(activate, deactivate):action>", methods=["POST"])
def toggle_access_code(code_id: int, action: str):
    access_code = _get(AccessCode, code_id)
    service.set_access_code_active(actor=current_user, access_code=access_code, active=action == "activate")
    db.session.commit()
    return redirect(url_for("admin.edit_consultation", consultation_id=access_code.consultation_id, _anchor="access-codes"), code=303)
