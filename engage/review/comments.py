"""Review workspace: the comment browser (routes are registered on engage.review.views.bp)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from engage.extensions import db
from engage.models import Role
from engage.review.forms import CHANNEL_NAMES
from engage.review.views import bp, consultation_or_404
from engage.services import comments, flags


# The flag kinds' names in the page's language (the service keeps the English ones).
FLAG_NAMES = {"pii": _l("Personal details"), "safeguarding": _l("Possible safeguarding concern")}


class FlagCommentForm(FlaskForm):
    kind = SelectField(_l("Flag this comment for"), choices=[
        SelectChoice("pii", _l("Personal details to redact")),
        SelectChoice("safeguarding", _l("A possible safeguarding concern")),
    ], validators=[InputRequired()])


@bp.route("/<slug>/comments")
def list_comments(slug: str):
    consultation = consultation_or_404(slug)
    sees = flags.sees_safeguarding(user=current_user, consultation=consultation)
    choices = comments.filter_choices(consultation=consultation, sees_safeguarding=sees)
    filters, problems = comments.parse_filters(args=request.args, choices=choices)
    page = comments.browse_comments(consultation=consultation, filters=filters, sees_safeguarding=sees,
                                    is_admin=current_user.has_role(Role.ADMIN.value))
    return render_template(
        "review/comments_list.html", consultation=consultation, choices=choices, filters=filters, page=page,
        problems=problems, flag_form=FlagCommentForm(), labels=comments, channel_names=CHANNEL_NAMES, flag_names=FLAG_NAMES,
        can_code="review.code_comment" in current_app.view_functions,  # the coding page, from its own module
    ), 400 if problems else 200


@bp.post("/<slug>/comments/<uuid:answer_id>/flag")
def flag_comment(slug: str, answer_id):
    consultation = consultation_or_404(slug)
    answer = flags.answer_in_consultation(consultation=consultation, answer_id=answer_id) or abort(404)
    form = FlagCommentForm()
    back = url_for("review.list_comments", slug=slug, **request.args)
    if not form.validate_on_submit():
        flash(_("Choose what to flag the comment for."), "error")
        return redirect(back, code=303)
    flag = flags.flag_comment(answer=answer, kind=form.kind.data, user=current_user)
    db.session.commit()
    flash(_("Comment flagged for redaction.") if flag.kind == "pii" else
          _("Comment flagged for the people who handle safeguarding concerns."))
    return redirect(back, code=303)

