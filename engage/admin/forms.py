"""Admin forms, shape only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from engage.models import ROLE_VALUES

# What each role is called on screen and what it lets someone do, in one line each.
ROLE_LABELS = {
    "admin": (_l("Administrator"),
              _l("Manages staff accounts, consultations, questions and access codes; reads the audit log.")),
    "facilitator": (_l("Facilitator"),
                    _l("Brings in what other channels heard: paper surveys, focus groups, roundtables and email.")),
    "reviewer": (_l("Reviewer"), _l("Analyses the comments: themes, coding, segments and the equity lens.")),
    "publisher": (_l("Publisher"), _l("Approves and publishes the What We Heard report.")),
    "advisor": (_l("Advisory board member"),
                _l("Reads approved drafts and protected figures for the reviews they are named on; never sees comments.")),
}


def role_label(role: str):
    return ROLE_LABELS.get(role, (role, ""))[0]


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        InputRequired(_l("Enter an email address.")),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid email address.")), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    roles = _Checkboxes(_l("Roles"), choices=[SelectChoice(r, role_label(r)) for r in ROLE_VALUES],
                        validators=[InputRequired(_l("Choose at least one role."))])
    consultations = _Checkboxes(_l("Limit to these consultations"),
                                description=_l("Leave all unticked for every consultation."), validators=[Optional()])


def build_invite_form(consultations, **kwargs) -> InviteForm:
    form = InviteForm(**kwargs)
    form.consultations.choices = [SelectChoice(str(c.id), c.title) for c in consultations]
    return form
