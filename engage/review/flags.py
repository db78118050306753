"""Review workspace: flags, redaction and safeguarding (routes are registered on engage.review.views.bp)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from engage.extensions import db
from engage.review.views import bp, consultation_or_404
from engage.services import flags

STATUSES = ("open", "resolved", "dismissed")


class RedactForm(FlaskForm):
    text = TextAreaField(_l("The comment as everyone but admins will see it"),
                         description=_l("Check the proposal: personal details are replaced by placeholders such as "
                                        "[name]."),
                         validators=[InputRequired(message=_l("Enter the comment as it should be shown."))])
    reason = TextAreaField(_l("Reason for the redaction"), description=_l("This is kept in the audit log."),
                           validators=[InputRequired(message=_l("Give a reason for the redaction.")),
                                       Length(max=flags.MAX_REASON)])


class CloseFlagForm(FlaskForm):
    status = SelectField(_l("Decision"), choices=[SelectChoice("resolved", _l("Resolved")),
                                                  SelectChoice("dismissed", _l("Nothing to do (dismiss)"))])
    note = TextAreaField(_l("Note"), description=_l("What was done. Do not write anything that could identify anyone."),
                         validators=[InputRequired(message=_l("Add a short note about what was done.")),
                                     Length(max=flags.MAX_REASON)])


@bp.route("/<slug>/flags")
def list_flags(slug: str):
    consultation = consultation_or_404(slug)
    kind, status = request.args.get("kind", "pii"), request.args.get("status", "open")
    sees = flags.sees_safeguarding(user=current_user, consultation=consultation)
    if kind not in flags.FLAG_KINDS or status not in STATUSES or (kind == "safeguarding" and not sees):
        kind, status, problem = "pii", "open", _("That list is not available. Showing open personal-details flags.")
    else:
        problem = None
    rows = flags.list_flags(consultation=consultation, user=current_user, kind=kind, status=status)
    return render_template(
        "review/flags_list.html", consultation=consultation, kind=kind, status=status, rows=rows, sees=sees,
        problem=problem, counts=flags.count_open_flags(consultation=consultation, user=current_user),
        close_form=CloseFlagForm(), statuses=STATUSES,
    ), 400 if problem else 200


@bp.route("/<slug>/flags/<int:flag_id>/redact", methods=["GET", "POST"])
def redact_comment(slug: str, flag_id: int):
    consultation = consultation_or_404(slug)
    flag = flags.flag_in_consultation(consultation=consultation, flag_id=flag_id, user=current_user) or abort(404)
    answer = flags.answer_in_consultation(consultation=consultation, answer_id=flag.answer_id) or abort(404)
    form = RedactForm()
    if flag.kind != "pii" or flag.status != "open":
        abort(404)
    if request.method == "GET":
        form.text.data = flags.propose_redaction(consultation=consultation, answer=answer)
    elif form.validate_on_submit():
        try:
            flags.redact_comment(flag=flag, text=form.text.data, reason=form.reason.data, user=current_user)
        except flags.FlagError as error:
            db.session.rollback()
            form.text.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Redacted. Everyone but admins now sees the redacted text."))
            return redirect(url_for("review.list_flags", slug=slug), code=303)
    return render_template(
        "review/flags_redact.html", consultation=consultation, flag=flag, answer=answer, form=form,
        close_form=CloseFlagForm(status="dismissed"),
    ), 422 if form.errors else 200


@bp.post("/<slug>/flags/<int:flag_id>/close")
def close_flag(slug: str, flag_id: int):
    consultation = consultation_or_404(slug)
    flag = flags.flag_in_consultation(consultation=consultation, flag_id=flag_id, user=current_user) or abort(404)
    form = CloseFlagForm()
    back = url_for("review.list_flags", slug=slug, kind=flag.kind)
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0] if form.errors else _("Check the form."), "error")
        return redirect(back, code=303)
    try:
        flags.close_flag(flag=flag, status=form.status.data, note=form.note.data, user=current_user)
    except flags.FlagError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back, code=303)
    db.session.commit()
    flash(_("The flag is closed."))
    return redirect(back, code=303)
