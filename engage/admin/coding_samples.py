"""Admin: draw random double-coding samples and assign them to two reviewers (routes on engage.admin.views.bp)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from engage.admin.views import bp
from engage.extensions import db
from engage.models import CodingSample, Consultation, User
from engage.services import double_coding


class CodingSampleForm(FlaskForm):
    consultation = SelectField(_l("Consultation"), coerce=int, validators=[InputRequired(_l("Choose a consultation."))])
    coder_a = SelectField(_l("First coder"), coerce=int, validators=[InputRequired(_l("Choose the first coder."))])
    coder_b = SelectField(_l("Second coder"), coerce=int, validators=[InputRequired(_l("Choose the second coder."))])
    size = IntegerField(_l("Number of comments"), default=50, validators=[
        InputRequired(_l("Say how many comments to sample.")),
        NumberRange(min=1, max=double_coding.MAX_SAMPLE,
                    message=_l("Choose between 1 and %(max)s.", max=double_coding.MAX_SAMPLE))])
    seed = IntegerField(_l("Random seed"), default=0, description=_l("The same seed draws the same comments."),
                        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


def _form(**kwargs) -> CodingSampleForm:
    form = CodingSampleForm(**kwargs)
    form.consultation.choices = [SelectChoice(c.id, c.title) for c in db.session.scalars(select(Consultation).order_by(Consultation.title))]
    reviewers = [SelectChoice(u.id, u.name or u.email) for u in double_coding.reviewers_for()]
    form.coder_a.choices = form.coder_b.choices = reviewers
    return form


@bp.route("/coding-samples", methods=["GET", "POST"])
def list_coding_samples():
    form = _form()
    if form.validate_on_submit():
        consultation = db.session.get(Consultation, form.consultation.data) or abort(404)
        try:
            sample = double_coding.create_sample(
                consultation=consultation, user=current_user, coder_a=db.session.get(User, form.coder_a.data),
                coder_b=db.session.get(User, form.coder_b.data), size=form.size.data, seed=form.seed.data or 0)
        except double_coding.DoubleCodingError as error:
            form.coder_b.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Sample %(id)s of %(count)s comments is ready for its two coders.", id=sample.id,
                    count=len(sample.items)), "info")
            return redirect(url_for("admin.list_coding_samples"), code=303)
    samples = db.session.scalars(select(CodingSample).order_by(CodingSample.id.desc()).limit(200)).all()
    users = {u.id: u for u in db.session.scalars(select(User))}
    consultations = {c.id: c for c in db.session.scalars(select(Consultation))}
    return render_template("admin/list_coding_samples.html", form=form, samples=samples, users=users,
                           consultations=consultations), 422 if form.errors else 200
