"""Review forms, shape only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from engage.models import CHANNEL_LABELS, CHANNEL_VALUES

# The channels' names as staff read them, in the page's language (the model keeps the English ones).
CHANNEL_NAMES = {"online": _l("Online form"), "paper": _l("Paper survey"), "focus_group": _l("Focus group"),
                 "roundtable": _l("Roundtable"), "email": _l("Email")}


class StartRunForm(FlaskForm):
    question = SelectField(_l("Which answers"), coerce=int)
    n_themes = IntegerField(
        _l("Number of themes"), description=_l("Leave empty to let the analysis choose."),
        validators=[Optional(), NumberRange(min=2, max=60, message=_l("Choose between 2 and 60, or leave it empty."))],
    )
    channels = SelectMultipleField(
        _l("Channels to include"), description=_l("Leave all unticked to include every channel."),
        choices=[SelectChoice(c, CHANNEL_NAMES.get(c, CHANNEL_LABELS[c])) for c in CHANNEL_VALUES],
        validators=[Optional()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )


def build_start_run_form(text_questions, languages=(), **kwargs) -> StartRunForm:
    """The start-run form; `languages` lists (code, name) of the languages the consultation's comments are in."""
    from flask_babel import lazy_gettext as _l

    class _StartRunForm(StartRunForm):
        language = SelectField(
            _l("Language of the comments"),
            description=_l("Each language's comments are analysed with its own word lists and get their own "
                           "themes. Sentiment scores exist for English only."),
            choices=[SelectChoice("", _l("All languages"))] + [SelectChoice(code, name) for code, name in languages],
            default="",
        )

    form = _StartRunForm(**kwargs)
    form.question.choices = [SelectChoice(0, _l("All open-text questions"))] + [
        SelectChoice(q.id, q.prompt) for q in text_questions
    ]
    return form
