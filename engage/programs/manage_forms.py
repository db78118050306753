"""Forms of the review management pages, the recommendations and the advisory board (shape only)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from engage.services.recommendations import STATUS_LABELS

REVIEW_STATUS_LABELS = {
    "draft": _l("Draft: being set up, nothing is public"),
    "active": _l("Active: the public page and tracker are live"),
    "closed": _l("Closed: finished, the public pages stay readable"),
}
DATE_HINT = _l("Optional. Use the format YYYY-MM-DD.")


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReviewForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give the review a title.")), Length(max=200)])
    slug = StringField(_l("Web address"), validators=[InputRequired(_l("Give the review a web address.")),
                                                      Length(max=80)],
                       description=_l("Lowercase letters, numbers and hyphens, for example sro-program-review. "
                                      "The public page will be /reviews/ followed by this."))
    description = TextAreaField(_l("What the review is about"), validators=[Length(max=5000)],
                                description=_l("Shown on the public page. Use plain language."))
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in REVIEW_STATUS_LABELS.items()])
    starts_on = DateField(_l("Start date"), validators=[Optional()], description=DATE_HINT)
    ends_on = DateField(_l("End date"), validators=[Optional()], description=DATE_HINT)
    lead_organisation = StringField(_l("Lead organisation"), validators=[Length(max=200)])
    partners = TextAreaField(_l("Partner organisations"), validators=[Length(max=4000)],
                             description=_l("One per line."))
    phases = TextAreaField(_l("Phases"), validators=[Length(max=2000)],
                           description=_l("One per line, in order, for example \u201cPhase 1\u201d."))


class StreamForm(FlaskForm):
    """Attach a consultation as a stream, or change a stream's tags."""

    consultation_id = SelectField(_l("Consultation"), coerce=int,
                                  validators=[InputRequired(_l("Choose a consultation."))])
    phase = SelectField(_l("Phase"), validate_choice=False)
    audience = StringField(
        _l("Audience"), validators=[Length(max=120)],
        description=_l("Who this stream heard from, for example \u201cGrade 5 and 6 students\u201d."))
    format = StringField(_l("Format"), validators=[Length(max=120)],
                         description=_l("How people took part, for example \u201cIn-person sessions\u201d."))
    partner = SelectField(_l("Partner"), validate_choice=False)


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


class RecommendationForm(FlaskForm):
    number = IntegerField(_l("Number"), validators=[InputRequired(_l("Give the recommendation a number.")),
                                                    NumberRange(min=1, max=100000,
                                                                message=_l("Use a number of 1 or more."))])
    title = StringField(_l("Recommendation"), validators=[InputRequired(_l("Give the recommendation a title.")),
                                                          Length(max=300)])
    description = TextAreaField(_l("More detail"), validators=[Length(max=5000)])
    owner = StringField(_l("Who is responsible"), validators=[Length(max=200)],
                        description=_l("An organisation or a role, never a person's name."))
    target_on = DateField(_l("Target date"), validators=[Optional()], description=DATE_HINT)
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()])
    reason = TextAreaField(_l("Public reason"), validators=[Length(max=2000)],
                           description=_l("Needed when a recommendation is not proceeding. Shown to the public."))
    themes = _Checkboxes(_l("Shared themes it answers"), coerce=int, validators=[Optional()])
    findings = _Checkboxes(_l("Findings it answers"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("Public note about this change"), validators=[Length(max=2000)],
                         description=_l("Optional. Shown on the public tracker with the date."))
    changed_on = DateField(_l("Date of the change"), validators=[Optional()],
                           description=_l("Leave blank for today. Use the format YYYY-MM-DD."))
    publish = BooleanField(_l("Publish now: show it on the public tracker"))


class AdvisorsForm(FlaskForm):
    advisors = _Checkboxes(_l("Advisory board members on this review"), coerce=int, validators=[Optional()])


class DraftCommentForm(FlaskForm):
    section_key = SelectField(_l("Section"), default="")
    body = TextAreaField(_l("Your comment"), validators=[InputRequired(_l("Write a comment first.")),
                                                         Length(max=5000)])
