"""Form classes built at request time from a consultation's questions; they check shape only."""
import functools
import time
import unicodedata

from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from engage.models import SCALE_LABELS, QuestionKind
from engage.services.snapshots import ConsultationView

PREFER_NOT = "prefer_not"
_KEPT_CONTROLS = {"\n", "\t"}


def clean_text(value: str | None) -> str | None:
    """Normalise newlines and Unicode, and drop control characters that have no place in an answer."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(
        ch for ch in value if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    ).strip()


class ReadableText:
    """Reject text that arrived garbled (U+FFFD replacement characters from bad encoding)."""

    def __call__(self, form, field):
        if field.data and "\ufffd" in field.data:
            raise ValidationError(
                "Part of this answer could not be read. Please check it, retype any odd characters and send again."
            )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
    website = StringField("Leave this empty", validators=[Optional()])


def question_field_name(question_id: int) -> str:
    return f"q{question_id}"


def segment_field_name(field_id: int) -> str:
    return f"s{field_id}"


def build_response_form(consultation: ConsultationView, *, text_limit: int, formdata=None, **kwargs) -> ResponseFormBase:
    """Instantiate the form for this consultation's questions and "about you" fields."""
    form = response_form_class(consultation, text_limit)(formdata=formdata, **kwargs)
    if not form.started_at.data:
        form.started_at.data = str(int(time.time()))
    return form


@functools.lru_cache(maxsize=64)
def response_form_class(consultation: ConsultationView, text_limit: int) -> type[ResponseFormBase]:
    """Make the form class once per snapshot: equal snapshots share a class, an edited one gets a new class."""

    class ResponseForm(ResponseFormBase):
        pass

    if consultation.requires_access_code:
        ResponseForm.access_code = StringField(
            "Access code",
            description="Your school or group leader gave you this code. It does not say who you are.",
            filters=[clean_text],
            validators=[InputRequired("Please type the access code you were given."), Length(max=40)],
        )

    for question in consultation.questions:
        setattr(ResponseForm, question_field_name(question.id), _question_field(question, text_limit))
    for seg in consultation.segment_fields:
        choices = [SelectChoice(str(o.id), o.label) for o in seg.options] + [SelectChoice(PREFER_NOT, "Prefer not to say")]
        field_class = MultiCheckboxField if seg.multiple else RadioField
        setattr(
            ResponseForm,
            segment_field_name(seg.id),
            field_class(seg.label, description=seg.help_text, choices=choices, validators=[Optional()]),
        )
    return ResponseForm


def _question_field(question, text_limit: int) -> Field:
    label, help_text = question.prompt, question.help_text
    if question.kind == QuestionKind.TEXT.value:
        limit = min(question.max_length or text_limit, text_limit)
        validators = [InputRequired("Please answer this question.")] if question.required else [Optional()]
        validators += [
            ReadableText(),
            Length(max=limit, message=f"This answer is too long. Please keep it to {limit:,} characters or fewer."),
        ]
        return TextAreaField(
            label,
            description=help_text,
            filters=[clean_text],
            validators=validators,
            # No maxlength: browsers silently cut pasted text at it. The counter and the server say "too long".
            render_kw={"data-limit": limit, "rows": 6},
        )
    if question.kind == QuestionKind.SCALE.value:
        choices = [SelectChoice(str(v), text) for v, text in SCALE_LABELS.items()]
    else:
        choices = [SelectChoice(str(o.id), o.label) for o in question.options]
    required = RequiredChoice(
        "Please choose one or more answers." if question.kind == QuestionKind.MULTIPLE.value else "Please choose an answer."
    )
    validators = [required] if question.required else [Optional()]
    field_class = MultiCheckboxField if question.kind == QuestionKind.MULTIPLE.value else RadioField
    render_kw = {"data-scale": 1} if question.kind == QuestionKind.SCALE.value else None
    return field_class(label, description=help_text, choices=choices, validators=validators, render_kw=render_kw)
