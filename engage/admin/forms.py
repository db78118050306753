"""Admin forms, shape only."""
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from engage.models import ROLE_VALUES


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter an email address."), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter a valid email address."), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    roles = _Checkboxes("Roles", choices=[SelectChoice(r, r.capitalize()) for r in ROLE_VALUES],
                        validators=[InputRequired("Choose at least one role.")])
    consultations = _Checkboxes("Limit to these consultations", description="Leave all unticked for every consultation.",
                                validators=[Optional()])


def build_invite_form(consultations, **kwargs) -> InviteForm:
    form = InviteForm(**kwargs)
    form.consultations.choices = [SelectChoice(str(c.id), c.title) for c in consultations]
    return form
