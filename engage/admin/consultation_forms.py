"""Forms for managing consultations; shape only (state checks live in services.consultations)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from engage.i18n import LANGUAGES


def _lines(value):
    return [line for line in (value or "").splitlines()]


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


_LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGES.items()]


class ConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Give it a title.")), Length(max=200)])
    slug = StringField(_l("Web address"),
                       description=_l("Used in links: /c/this-part. Lower-case letters, digits and dashes."),
                       validators=[InputRequired(_l("Give it a web address.")), Length(max=80)])
    source_language = SelectField(_l("Written in"), choices=_LANGUAGE_CHOICES, default="en",
                                  description=_l("The language you write the wording above in."))
    other_languages = _Checkboxes(_l("Also offered in"), choices=_LANGUAGE_CHOICES, validators=[Optional()],
                                  description=_l("You add the wording in each of these languages on the "
                                                 "translation page. Until then, people see the original wording."))
    summary = StringField(_l("One-line summary"), validators=[Optional(), Length(max=500)])
    description = TextAreaField(_l("What is this about?"), description=_l("Plain words a grade 5 student can follow."),
                                validators=[InputRequired(_l("Explain what it is about.")), Length(max=5000)])
    purpose = TextAreaField(_l("Why are we asking?"),
                            validators=[InputRequired(_l("Say why you are asking.")), Length(max=5000)])
    audience = TextAreaField(_l("Who will read the answers?"),
                             validators=[InputRequired(_l("Say who reads the answers.")), Length(max=5000)])
    status = SelectField(_l("Status"), choices=[SelectChoice("draft", _l("Draft (not public)")),
                                                SelectChoice("open", _l("Open")), SelectChoice("closed", _l("Closed"))])
    opens_on = DateField(_l("Opens on"), validators=[Optional()])
    closes_on = DateField(_l("Closes on"), validators=[Optional()])
    requires_access_code = BooleanField(_l("People need an access code to answer"))
    min_group_size = IntegerField(_l("Smallest group size shown"),
                                  description=_l("Counts for smaller groups are hidden everywhere."), default=10,
                                  validators=[InputRequired(), NumberRange(min=5, max=100, message=_l("Use 5 to 100."))])
    # Only roles that can open the review workspace's flags page can be the safeguarding contacts.
    safeguarding_role = SelectField(_l("Who receives possible safeguarding concerns"),
                                    choices=[SelectChoice("admin", _l("Admins")), SelectChoice("reviewer", _l("Reviewers"))],
                                    default="admin")
    safeguarding_guidance = TextAreaField(_l("Guidance for them"), validators=[Optional(), Length(max=5000)])
    retention_days = IntegerField(
        _l("Delete the written comments this many days after the report is first published"),
        description=_l("Leave empty to keep them until someone deletes them. When the time is up, the server's daily "
                       "clean-up deletes the words people wrote; the published report, its numbers and its approved "
                       "quotes stay."),
        validators=[Optional(), NumberRange(min=0, max=3650, message=_l("Use 0 to 3,650 days, or leave it empty."))])

    def values(self) -> dict:
        data = {name: self[name].data for name in (
            "title", "slug", "summary", "description", "purpose", "audience", "status", "opens_on", "closes_on",
            "requires_access_code", "min_group_size", "safeguarding_role", "safeguarding_guidance",
            "retention_days")}
        data["summary"] = data["summary"] or ""
        data["safeguarding_guidance"] = data["safeguarding_guidance"] or ""
        data["slug"] = (data["slug"] or "").strip().lower()
        source = self.source_language.data or "en"
        data["languages"] = [source] + [code for code in LANGUAGES
                                        if code in (self.other_languages.data or ()) and code != source]
        return data


def build_consultation_form(consultation=None, **kwargs) -> ConsultationForm:
    """The settings form; its language fields come from the consultation's list (the first is the source)."""
    languages = list(getattr(consultation, "languages", None) or ["en"])
    return ConsultationForm(obj=consultation, source_language=languages[0], other_languages=languages[1:], **kwargs)


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("text", _l("Open text")), SelectChoice("single", _l("Single choice")),
        SelectChoice("multiple", _l("Multiple choice")), SelectChoice("scale", _l("Agreement scale 1-5"))])
    prompt = StringField(_l("Question"), validators=[InputRequired(_l("Write the question.")), Length(max=500)])
    help_text = TextAreaField(_l("Help text"), validators=[Optional(), Length(max=2000)])
    for_younger = BooleanField(_l("For younger students"))
    simple_help = TextAreaField(
        _l("Simple help"), validators=[Optional(), Length(max=1000)],
        description=_l("Short words and short sentences. Shown first on questions for younger students."))
    required = BooleanField(_l("An answer is required"))
    max_length = IntegerField(_l("Longest answer (characters)"), default=5000,
                              validators=[Optional(), NumberRange(min=50, max=5000, message=_l("Use 50 to 5,000."))])
    options = TextAreaField(_l("Options, one per line"), description=_l("For choice questions only."),
                            validators=[Optional(), Length(max=5000)])

    def option_lines(self) -> list[str]:
        return _lines(self.options.data)


class SegmentFieldForm(FlaskForm):
    key = StringField(_l("Key"), description=_l("A short name for exports, e.g. role or grade_band."),
                      validators=[InputRequired(_l("Give it a key.")), Length(max=40)])
    label = StringField(_l("Question"), validators=[InputRequired(_l("Write the question.")), Length(max=300)])
    help_text = TextAreaField(_l("Why we ask (shown to participants)"), validators=[Optional(), Length(max=2000)])
    multiple = BooleanField(_l("People can choose more than one"))
    is_identity = BooleanField(_l("This is about identity (racialized, Indigenous, 2SLGBTQ+, disability ...)"))
    options = TextAreaField(_l("Options, one per line"),
                            description=_l('Optionally add "| share" for the expected population share, '
                                           'e.g. "Student | 60%". "Prefer not to say" is added for you.'),
                            validators=[InputRequired(_l("List the options.")), Length(max=5000)])

    def option_lines(self) -> list[str]:
        return _lines(self.options.data)


class AccessCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(_l("Type a code.")), Length(max=40)])
    label = StringField(_l("Label"),
                        description=_l("For you only, e.g. the school or session. Never stored with answers."),
                        validators=[Optional(), Length(max=200)])
