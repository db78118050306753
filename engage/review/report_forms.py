"""Report workflow forms shared by a consultation's report (/review) and a program review's overall report
(/programs): the same buttons, the same limits, one definition."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class ActionForm(FlaskForm):
    """A workflow button: only the CSRF token."""


class ReturnForm(FlaskForm):
    note = TextAreaField(_l("What needs to change"), validators=[Length(max=500)])


class _RequiredWhenShown:
    """Marks a field required on the page without checking it here: the service refuses it empty, with its own
    message, in the one case it is needed (the correction note is shown only once a version is published)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class PublishForm(FlaskForm):
    correction_note = TextAreaField(
        _l("What changed (shown to the public)"),
        description=_l("Needed for every version after the first: say what was corrected and why."),
        validators=[_RequiredWhenShown(), Length(max=2000)],
    )
