"""Form classes built at request time from a consultation's questions; they check shape only."""
import functools
import re
import time
import unicodedata
from dataclasses import dataclass

from flask_babel import LazyString, format_number
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engage.i18n import current_language, tr
from engage.models import QuestionKind
from engage.services.snapshots import ConsultationView

PREFER_NOT = "prefer_not"
# The agreement scale's wording (the stored values are 1-5; engage.models.SCALE_LABELS holds the English).
SCALE_CHOICES = {
    1: _l("Strongly disagree"),
    2: _l("Disagree"),
    3: _l("Neither agree nor disagree"),
    4: _l("Agree"),
    5: _l("Strongly agree"),
}
# Control (Cc, but newline and tab), surrogate (Cs) and private-use (Co) characters: Unicode never changes
# these categories' members. One regular expression instead of a category lookup per character.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff"
                      "\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def clean_text(value: str | None) -> str | None:
    """Normalise newlines and Unicode, and drop control characters that have no place in an answer."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _DROPPED.sub("", value).strip()


class ReadableText:
    """Reject text that arrived garbled (U+FFFD replacement characters from bad encoding)."""

    def __call__(self, form, field):
        if field.data and "\ufffd" in field.data:
            raise ValidationError(
                _l("We could not read part of this answer. Please check it, type any odd letters again, and send.")
            )


def has_words(text: str | None) -> bool:
    """Whether an answer has something to read: not only spaces, line breaks or invisible characters (a
    zero-width space, a joiner), which a required question must not accept as an answer."""
    return bool(text) and any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def words_or_nothing(text: str | None) -> str | None:
    """An answer of only invisible characters is no answer: stored as empty, like one left blank."""
    return text if text is None or has_words(text) else ""


class RequiredText:
    """InputRequired for open text, judged on the cleaned answer: spaces alone do not answer a question."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not has_words(field.data):
            field.errors[:] = []
            raise StopValidation(self.message)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MaxChars:
    """Length(max=...) with the limit written the reader's way (1,000 or 1 000)."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field):
        if field.data and len(field.data) > self.limit:
            raise ValidationError(_l("This answer is too long. Please keep it to %(limit)s characters or fewer.",
                                     limit=LazyString(format_number, self.limit)))


class RequiredChoice:
    """InputRequired for choice fields, with a message that says what to do."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not field.data:
            # Replace the generic "Not a valid choice" from the choice check with what to do.
            field.errors[:] = []
            raise StopValidation(self.message)


class ResponseFormBase(FlaskForm):
    """Fields every consultation form has: the one-time key, the start time and the bot trap."""

    submission_key = HiddenField()
    started_at = HiddenField()
    # Humans never see this field (hidden with CSS and from screen readers); simple bots fill it in.
    website = StringField(_l("Leave this empty"), validators=[Optional()])


def question_field_name(question_id: int) -> str:
    return f"q{question_id}"


def segment_field_name(field_id: int) -> str:
    return f"s{field_id}"


def build_response_form(consultation: ConsultationView, *, text_limit: int, formdata=None, **kwargs) -> ResponseFormBase:
    """Instantiate the form for this consultation's questions and "about you" fields."""
    form = response_form_class(consultation, text_limit, current_language())(formdata=formdata, **kwargs)
    if not form.started_at.data:
        form.started_at.data = str(int(time.time()))
    return form


@functools.lru_cache(maxsize=64)
def response_form_class(consultation: ConsultationView, text_limit: int, language: str) -> type[ResponseFormBase]:
    """Make the form class once per snapshot and language: an edited snapshot gets a new class.

    Labels are the consultation's wording in `language` (see engage.i18n.tr); the form's own messages are lazy,
    so they follow the page's language when shown.
    """

    class ResponseForm(ResponseFormBase):
        pass

    if consultation.requires_access_code:
        ResponseForm.access_code = StringField(
            _l("Access code"),
            description=_l("Your school or group leader gave you this code. It does not say who you are."),
            filters=[clean_text],
            validators=[InputRequired(_l("Please type the access code you were given.")), Length(max=40)],
        )

    for question in consultation.questions:
        setattr(ResponseForm, question_field_name(question.id), _question_field(question, text_limit, language))
    for seg in consultation.segment_fields:
        choices = [SelectChoice(str(o.id), tr(o, "label", language)) for o in seg.options]
        choices.append(SelectChoice(PREFER_NOT, _l("Prefer not to say")))
        field_class = MultiCheckboxField if seg.multiple else RadioField
        setattr(
            ResponseForm,
            segment_field_name(seg.id),
            field_class(tr(seg, "label", language), description=tr(seg, "help_text", language), choices=choices,
                        validators=[Optional()]),
        )
    return ResponseForm


def _question_field(question, text_limit: int, language: str) -> Field:
    label, help_text = tr(question, "prompt", language), tr(question, "help_text", language)
    # For younger students: a short, simple explanation shown first ("In short: ...").
    render_kw = {"simple_help": tr(question, "simple_help", language)} if question.for_younger else {}
    if question.kind == QuestionKind.TEXT.value:
        limit = min(question.max_length or text_limit, text_limit)
        validators = [RequiredText(_l("Please answer this question."))] if question.required else [Optional()]
        validators += [ReadableText(), MaxChars(limit)]
        return TextAreaField(
            label,
            description=help_text,
            filters=[clean_text, words_or_nothing],
            validators=validators,
            # No maxlength: browsers silently cut pasted text at it. The counter and the server say "too long".
            render_kw=render_kw | {"data-limit": limit, "rows": 6},
        )
    if question.kind == QuestionKind.SCALE.value:
        choices = [SelectChoice(str(v), text) for v, text in SCALE_CHOICES.items()]
        render_kw["data-scale"] = 1
    else:
        choices = [SelectChoice(str(o.id), tr(o, "label", language)) for o in question.options]
    required = RequiredChoice(
        _l("Please choose one or more answers.") if question.kind == QuestionKind.MULTIPLE.value
        else _l("Please choose an answer.")
    )
    validators = [required] if question.required else [Optional()]
    field_class = MultiCheckboxField if question.kind == QuestionKind.MULTIPLE.value else RadioField
    return field_class(label, description=help_text, choices=choices, validators=validators,
                       render_kw=render_kw or None)


# The fast reading of a submitted form. Building and validating the WTForms form above costs more CPU than
# storing the answers, so a POST is first read by these rules, which accept only what the form would accept
# without any message and give the same data the form would give. Anything else (a missing or invalid
# answer, a choice that is not offered, text the form would refuse, a bad CSRF token, the bot trap) returns
# None, and the view builds the real form, which finds the problem and says so.
@dataclass(frozen=True)
class _Rule:
    name: str
    target: str  # "text", "scale", "choice" (questions) or "segment"
    item_id: int
    many: bool
    required: bool
    choices: frozenset[str]
    limit: int


@dataclass
class ReadAnswers:
    texts: dict
    scales: dict
    choices: dict
    segments: dict
    access_code: str
    submission_key: str
    started_at: str


@functools.lru_cache(maxsize=64)
def _rules(consultation: ConsultationView, text_limit: int) -> tuple[_Rule, ...]:
    rules = []
    for question in consultation.questions:
        name = question_field_name(question.id)
        if question.kind == QuestionKind.TEXT.value:
            limit = min(question.max_length or text_limit, text_limit)
            rules.append(_Rule(name, "text", question.id, False, question.required, frozenset(), limit))
        elif question.kind == QuestionKind.SCALE.value:
            rules.append(_Rule(name, "scale", question.id, False, question.required,
                               frozenset(str(v) for v in SCALE_CHOICES), 0))
        else:
            rules.append(_Rule(name, "choice", question.id, question.kind == QuestionKind.MULTIPLE.value,
                               question.required, frozenset(str(o.id) for o in question.options), 0))
    for seg in consultation.segment_fields:
        rules.append(_Rule(segment_field_name(seg.id), "segment", seg.id, seg.multiple, False,
                           frozenset([str(o.id) for o in seg.options] + [PREFER_NOT]), 0))
    return tuple(rules)


def read_valid_answers(consultation: ConsultationView, formdata, *, text_limit: int) -> ReadAnswers | None:
    """The answers in `formdata` when the response form would accept them as they are, else None.

    Checks shape only, as the form does (CSRF, the access code's presence and the start time are the view's).
    """
    if formdata.get("website"):
        return None
    key = formdata.get("submission_key")
    if not key or len(key) > 64:
        return None
    access_code = ""
    if consultation.requires_access_code:
        raw = formdata.getlist("access_code")
        if not raw or not raw[0]:
            return None
        access_code = clean_text(raw[0])
        if len(access_code) > 40:
            return None
    texts, scales, choices, segments = {}, {}, {}, {}
    for rule in _rules(consultation, text_limit):
        values = formdata.getlist(rule.name)
        if rule.target == "text":
            text = clean_text(values[0]) if values else None
            if rule.required:
                if not has_words(text):
                    return None  # the form says "Please answer this question."
            elif not values or not has_words(text):  # Optional() stops here: nothing else is checked
                texts[rule.item_id] = ""
                continue
            if "\ufffd" in text or len(text) > rule.limit:
                return None
            texts[rule.item_id] = text
            continue
        chosen = values if rule.many else values[:1]
        if not chosen or (not rule.many and chosen[0] == ""):
            if rule.required:
                return None
            if rule.target == "choice" and rule.many:
                choices[rule.item_id] = []  # as the form gives it: an empty list
            continue  # left empty: nothing stored, as the form's Optional() allows
        if any(value not in rule.choices for value in chosen):
            return None
        if rule.target == "segment":
            segments[rule.item_id] = None if PREFER_NOT in chosen else [int(v) for v in chosen]
        elif rule.target == "scale":
            scales[rule.item_id] = int(chosen[0])
        else:
            choices[rule.item_id] = [int(v) for v in chosen]
    return ReadAnswers(texts, scales, choices, segments, access_code, key, formdata.get("started_at") or "")
