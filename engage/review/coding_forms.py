"""Forms for theme curation, coding and double coding: shape only (state and uniqueness live in services)."""
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
    name = StringField("Name", validators=[InputRequired("Give the theme a name."), Length(max=200)])
    description = TextAreaField("Description", description="What belongs in this theme, in plain words.",
                                validators=[Optional(), Length(max=2000)])
    keywords = StringField("Keywords", description="Separate them with commas.", validators=[Optional(), Length(max=2000)])
    examples = TextAreaField("Example comments", description="One per line. Write them yourself: do not paste "
                             "participants' words that could identify them.", validators=[Optional(), Length(max=10000)])


class MergeForm(FlaskForm):
    target = SelectField("Merge into", coerce=int, validators=[InputRequired("Choose the theme to merge into.")])


class SplitForm(FlaskForm):
    name = StringField("New theme's name", validators=[InputRequired("Give the new theme a name."), Length(max=200)])
    description = TextAreaField("New theme's description", validators=[Optional(), Length(max=2000)])
    answers = MultiCheckboxField("Comments to move", validators=[InputRequired("Choose at least one comment to move.")])


class ReclusterForm(FlaskForm):
    n_themes = IntegerField("Number of new themes", default=2, validators=[
        InputRequired("Say how many themes to split into."), NumberRange(min=2, max=10, message="Choose between 2 and 10.")])
    seed = IntegerField("Random seed", default=0, description="The same seed gives the same split.",
                        validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class MoveForm(FlaskForm):
    direction = RadioField("Move", choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")], validators=[InputRequired()])


class ImportForm(FlaskForm):
    file = FileField("Codebook file (CSV or JSON)", description="Columns or keys: name (required), description, "
                     "keywords, examples. UTF-8, up to 100 kB.", validators=[FileRequired("Choose a file to import.")])


class CodeCommentForm(FlaskForm):
    themes = MultiCheckboxField("Themes for this comment", coerce=int, validators=[Optional()])


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[SelectChoice("accept", "Accept"), SelectChoice("reject", "Reject")],
                          validators=[InputRequired("Choose accept or reject.")])


class BulkDecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[SelectChoice("accept", "Accept"), SelectChoice("reject", "Reject")],
                          validators=[InputRequired("Choose accept or reject.")])
    suggestions = MultiCheckboxField("Suggestions", coerce=int, validators=[Optional()])
    min_score = FloatField("Or every suggestion of this theme scoring at least", validators=[
        Optional(), NumberRange(min=0, max=1, message="Give a score between 0 and 1.")])


class SampleCodingForm(FlaskForm):
    themes = MultiCheckboxField("Themes for this comment", coerce=int, validators=[Optional()],
                                description="Leave all unticked if none of the themes fit.")
