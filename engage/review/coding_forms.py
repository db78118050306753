"""Forms for theme curation, coding and double coding: shape only (state and uniqueness live in services)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FloatField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token to check."""


class ThemeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Give the theme a name.")), Length(max=200)])
    description = TextAreaField(_l("Description"), description=_l("What belongs in this theme, in plain words."),
                                validators=[Optional(), Length(max=2000)])
    keywords = StringField(_l("Keywords"), description=_l("Separate them with commas."),
                           validators=[Optional(), Length(max=2000)])
    examples = TextAreaField(_l("Example comments"), description=_l(
        "One per line. Write them yourself: do not paste participants' words that could identify them."),
        validators=[Optional(), Length(max=10000)])


class MergeForm(FlaskForm):
    target = SelectField(_l("Merge into"), coerce=int, validators=[InputRequired(_l("Choose the theme to merge into."))])


class SplitForm(FlaskForm):
    name = StringField(_l("New theme's name"), validators=[InputRequired(_l("Give the new theme a name.")),
                                                           Length(max=200)])
    description = TextAreaField(_l("New theme's description"), validators=[Optional(), Length(max=2000)])
    answers = MultiCheckboxField(_l("Comments to move"),
                                 validators=[InputRequired(_l("Choose at least one comment to move."))])


class ReclusterForm(FlaskForm):
    n_themes = IntegerField(_l("Number of new themes"), default=2, validators=[
        InputRequired(_l("Say how many themes to split into.")),
        NumberRange(min=2, max=10, message=_l("Choose between 2 and 10."))])
    seed = IntegerField(_l("Random seed"), default=0, description=_l("The same seed gives the same split."),
                        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class MoveForm(FlaskForm):
    direction = RadioField(_l("Move"), choices=[SelectChoice("up", _l("Up")), SelectChoice("down", _l("Down"))],
                           validators=[InputRequired()])


class ImportForm(FlaskForm):
    file = FileField(_l("Codebook file (CSV or JSON)"), description=_l(
        "Columns or keys: name (required), description, keywords, examples. UTF-8, up to 100 kB."),
        validators=[FileRequired(_l("Choose a file to import."))])


class CodeCommentForm(FlaskForm):
    themes = MultiCheckboxField(_l("Themes for this comment"), coerce=int, validators=[Optional()])


DECISIONS = [SelectChoice("accept", _l("Accept")), SelectChoice("reject", _l("Reject"))]


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=DECISIONS, validators=[InputRequired(_l("Choose accept or reject."))])


class BulkDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=DECISIONS, validators=[InputRequired(_l("Choose accept or reject."))])
    suggestions = MultiCheckboxField(_l("Suggestions"), coerce=int, validators=[Optional()])
    min_score = FloatField(_l("Or every suggestion of this theme scoring at least"), validators=[
        Optional(), NumberRange(min=0, max=1, message=_l("Give a score between 0 and 1."))])


class SampleCodingForm(FlaskForm):
    themes = MultiCheckboxField(_l("Themes for this comment"), coerce=int, validators=[Optional()],
                                description=_l("Leave all unticked if none of the themes fit."))
