"""Managing consultations: their settings, questions, "about you" fields and access codes.

A question that already has answers keeps its meaning: its kind and options cannot change and it cannot be
deleted. It can be reworded (the change is recorded) or closed.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.i18n import LANGUAGES
from engage.models import (
    AccessCode,
    Answer,
    Consultation,
    Question,
    QuestionKind,
    QuestionOption,
    QuestionRevision,
    SegmentAnswer,
    SegmentField,
    SegmentOption,
    User,
)
from engage.services.audit import record_event
from engage.services.snapshots import clear_consultation_views

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SETTINGS = ("title", "slug", "summary", "description", "purpose", "audience", "status", "opens_on", "closes_on",
            "requires_access_code", "min_group_size", "safeguarding_role", "safeguarding_guidance",
            "retention_days", "languages")


class ConsultationError(Exception):
    """A change that cannot be made; the message is safe to show."""


def save_consultation(*, actor: User, values: dict, consultation: Consultation | None = None) -> Consultation:
    """Create a consultation, or update one, from the settings in `values`."""
    slug = values["slug"]
    if not SLUG.match(slug):
        raise ConsultationError(_("The web address may use lower-case letters, digits and single dashes only."))
    if values.get("opens_on") and values.get("closes_on") and values["closes_on"] < values["opens_on"]:
        raise ConsultationError(_("The closing date must be on or after the opening date."))
    values = dict(values)
    values["languages"] = _clean_languages(values.get("languages") or getattr(consultation, "languages", None))
    begin_write()
    clash = db.session.scalar(select(Consultation.id).where(Consultation.slug == slug))
    if clash is not None and (consultation is None or clash != consultation.id):
        raise ConsultationError(_("Another consultation already uses that web address."))
    created = consultation is None
    consultation = consultation or Consultation()
    changed = sorted(k for k in SETTINGS if getattr(consultation, k, None) != values[k])
    for key in SETTINGS:
        setattr(consultation, key, values[key])
    db.session.add(consultation)
    db.session.flush()
    record_event(actor=actor, action="create_consultation" if created else "update_consultation",
                 target_type="consultation", target_id=consultation.id, details={"changed": changed})
    clear_consultation_views()
    return consultation


def _clean_languages(languages) -> list[str]:
    """The consultation's languages, source first, each known and listed once."""
    cleaned = []
    for code in languages or ["en"]:
        if code not in LANGUAGES:
            raise ConsultationError(_("Choose languages from the list."))
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def _answer_count(question_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Answer).where(Answer.question_id == question_id))


def _clean_options(lines: list[str]) -> list[str]:
    options = [line.strip() for line in lines if line.strip()]
    if len({o.lower() for o in options}) != len(options):
        raise ConsultationError(_("Each option must be different."))
    return options


def add_question(*, actor: User, consultation: Consultation, kind: str, prompt: str, help_text: str = "",
                 required: bool = False, max_length: int = 5000, options: list[str] = (), for_younger: bool = False,
                 simple_help: str = "") -> Question:
    if kind not in {k.value for k in QuestionKind}:
        raise ConsultationError(_("Choose a kind of question."))
    options = _clean_options(list(options))
    if kind in (QuestionKind.SINGLE.value, QuestionKind.MULTIPLE.value) and len(options) < 2:
        raise ConsultationError(_("A choice question needs at least two options, one per line."))
    begin_write()
    position = (db.session.scalar(select(func.max(Question.position)).where(Question.consultation_id == consultation.id)) or 0) + 1
    question = Question(
        consultation_id=consultation.id, kind=kind, prompt=prompt, help_text=help_text, required=required,
        max_length=max_length, position=position, for_younger=for_younger, simple_help=simple_help,
        options=[QuestionOption(position=i, label=o) for i, o in enumerate(options)] if kind in ("single", "multiple") else [],
    )
    db.session.add(question)
    db.session.flush()
    record_event(actor=actor, action="add_question", target_type="question", target_id=question.id, details={"kind": kind})
    clear_consultation_views()
    return question


def update_question(*, actor: User, question: Question, prompt: str, help_text: str, required: bool,
                    max_length: int, kind: str | None = None, options: list[str] | None = None,
                    for_younger: bool | None = None, simple_help: str | None = None) -> Question:
    """Reword a question (recorded), or, while it has no answers, also change its kind and options."""
    answered = _answer_count(question.id) > 0
    begin_write()
    if answered and ((kind and kind != question.kind) or
                     (options is not None and _clean_options(options) != [o.label for o in question.options])):
        raise ConsultationError(
            _("This question already has answers, so its kind and options cannot change: that would change what "
              "people answered. You can reword it, or close it and add a new question.")
        )
    for field, new in (("prompt", prompt), ("help_text", help_text), ("simple_help", simple_help)):
        old = getattr(question, field)
        if new is not None and old != new:
            if answered:
                db.session.add(QuestionRevision(question_id=question.id, field=field, old_value=old, new_value=new,
                                                changed_by_id=actor.id if actor else None))
            setattr(question, field, new)
    question.required, question.max_length = required, max_length
    if for_younger is not None:
        question.for_younger = for_younger
    if not answered:
        if kind:
            question.kind = kind
        if options is not None and question.kind in ("single", "multiple"):
            question.options = [QuestionOption(position=i, label=o) for i, o in enumerate(_clean_options(options))]
    db.session.flush()
    record_event(actor=actor, action="update_question", target_type="question", target_id=question.id,
                 details={"answered": answered})
    clear_consultation_views()
    return question


def set_question_closed(*, actor: User, question: Question, closed: bool) -> None:
    begin_write()
    if question.closed != closed:
        db.session.add(QuestionRevision(question_id=question.id, field="closed", old_value=str(question.closed),
                                        new_value=str(closed), changed_by_id=actor.id if actor else None))
        question.closed = closed
    record_event(actor=actor, action="close_question" if closed else "reopen_question", target_type="question",
                 target_id=question.id)
    clear_consultation_views()


def delete_question(*, actor: User, question: Question) -> None:
    if _answer_count(question.id):
        raise ConsultationError(_("This question has answers, so it cannot be deleted. You can close it instead."))
    begin_write()
    record_event(actor=actor, action="delete_question", target_type="question", target_id=question.id)
    db.session.delete(question)
    db.session.flush()
    clear_consultation_views()


def move_question(*, actor: User, question: Question, direction: int) -> None:
    """Swap a question with its neighbour above (-1) or below (+1)."""
    begin_write()
    ordered = sorted(question.consultation.questions, key=lambda q: (q.position, q.id))
    index = ordered.index(question)
    other = index + direction
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, q in enumerate(ordered):
            q.position = position
        record_event(actor=actor, action="reorder_question", target_type="question", target_id=question.id)
    db.session.flush()
    clear_consultation_views()


def parse_segment_options(lines: list[str]) -> list[tuple[str, float | None]]:
    """Options one per line, each optionally followed by "| share" (a fraction or a percentage)."""
    parsed = []
    for line in lines:
        if not line.strip():
            continue
        label, _separator, share = line.partition("|")
        value, raw = None, share.strip()
        if raw:
            try:
                number = float(raw.rstrip("%"))
            except ValueError:
                raise ConsultationError(_('"%(value)s" is not a share. Use a number like 0.25 or 25%%.', value=raw)) from None
            value = number / 100 if raw.endswith("%") or number > 1 else number
            if not 0 <= value <= 1:
                raise ConsultationError(_("Shares must be between 0 and 1 (or 0% and 100%)."))
        parsed.append((label.strip(), value))
    if len(parsed) < 2:
        raise ConsultationError(_('An "about you" question needs at least two options, one per line.'))
    if len({p[0].lower() for p in parsed}) != len(parsed):
        raise ConsultationError(_("Each option must be different."))
    return parsed


def save_segment_field(*, actor: User, consultation: Consultation, key: str, label: str, help_text: str,
                       multiple: bool, is_identity: bool, options: list[tuple[str, float | None]],
                       field: SegmentField | None = None) -> SegmentField:
    """Add or edit an "about you" question. Options that people have chosen cannot be removed."""
    if not re.match(r"^[a-z][a-z0-9_]{0,39}$", key):
        raise ConsultationError(_("The key may use lower-case letters, digits and underscores, starting with a letter."))
    begin_write()
    clash = db.session.scalar(select(SegmentField.id).where(SegmentField.consultation_id == consultation.id, SegmentField.key == key))
    if clash is not None and (field is None or clash != field.id):
        raise ConsultationError(_('Another "about you" question already uses that key.'))
    created = field is None
    if field is None:
        position = (db.session.scalar(select(func.max(SegmentField.position)).where(SegmentField.consultation_id == consultation.id)) or 0) + 1
        field = SegmentField(consultation_id=consultation.id, position=position)
        db.session.add(field)
    field.key, field.label, field.help_text, field.multiple, field.is_identity = key, label, help_text, multiple, is_identity
    existing = {o.label.lower(): o for o in field.options}
    wanted = {label.lower() for label, _ in options}
    for lower, option in existing.items():
        if lower not in wanted and db.session.scalar(
            select(func.count()).select_from(SegmentAnswer).where(SegmentAnswer.option_id == option.id)
        ):
            raise ConsultationError(_('"%(option)s" has been chosen by participants, so it cannot be removed.',
                                      option=option.label))
    kept = []
    for position, (option_label, share) in enumerate(options):
        option = existing.get(option_label.lower()) or SegmentOption(label=option_label)
        option.label, option.position, option.expected_share = option_label, position, share
        kept.append(option)
    field.options = kept
    db.session.flush()
    record_event(actor=actor, action="add_segment_field" if created else "update_segment_field",
                 target_type="segment_field", target_id=field.id)
    clear_consultation_views()
    return field


def add_access_code(*, actor: User, consultation: Consultation, code: str, label: str) -> AccessCode:
    code = code.strip().upper()
    if not re.match(r"^[A-Z0-9-]{4,40}$", code):
        raise ConsultationError(_("An access code needs 4 to 40 letters, digits or dashes."))
    begin_write()
    if any(c.code.upper() == code for c in consultation.access_codes):
        raise ConsultationError(_("That access code already exists for this consultation."))
    access_code = AccessCode(consultation_id=consultation.id, code=code, label=label.strip())
    db.session.add(access_code)
    db.session.flush()
    record_event(actor=actor, action="add_access_code", target_type="access_code", target_id=access_code.id)
    clear_consultation_views()
    return access_code


def set_access_code_active(*, actor: User, access_code: AccessCode, active: bool) -> None:
    begin_write()
    access_code.active = active
    record_event(actor=actor, action="activate_access_code" if active else "deactivate_access_code",
                 target_type="access_code", target_id=access_code.id)
    clear_consultation_views()


# Wording that can be given per language, per kind of object (the first is the consultation's own).
TRANSLATABLE = {
    "consultation": ("title", "summary", "description", "purpose", "audience"),
    "question": ("prompt", "help_text", "simple_help"),
    "option": ("label",),
    "segment_field": ("label", "help_text"),
    "segment_option": ("label",),
}


def translatable_items(consultation: Consultation) -> list[tuple[str, object]]:
    """(kind, object) for everything whose wording can be translated, in the order the form shows them."""
    items = [("consultation", consultation)]
    for question in consultation.questions:
        items.append(("question", question))
        items.extend(("option", option) for option in question.options)
    for field in consultation.segment_fields:
        items.append(("segment_field", field))
        items.extend(("segment_option", option) for option in field.options)
    return items


def translation_progress(consultation: Consultation, language: str) -> tuple[int, int]:
    """(translated, total): the wordings written in the source language and how many have a `language` version."""
    done = total = 0
    for kind, obj in translatable_items(consultation):
        wording = (obj.translations or {}).get(language) or {}
        for field in TRANSLATABLE[kind]:
            if (getattr(obj, field) or "").strip():
                total += 1
                done += bool((wording.get(field) or "").strip())
    return done, total


def save_translations(*, actor: User, consultation: Consultation, language: str,
                      wording: dict[tuple[str, int], dict[str, str]]) -> int:
    """Store the `language` wording of a consultation's content; returns how many texts changed.

    `wording` maps (kind, id) to {field: text}, kinds and fields as in TRANSLATABLE (the consultation's id is
    its own). An empty text removes that translation, so the original wording shows. A changed translation of an
    answered question is recorded like a rewording.
    """
    if language not in LANGUAGES or language not in (consultation.languages or [])[1:]:
        raise ConsultationError(_("Add this language to the consultation's languages first."))
    begin_write()
    answered = dict(db.session.execute(
        select(Answer.question_id, func.count()).join(Question).where(Question.consultation_id == consultation.id)
        .group_by(Answer.question_id)).all())
    changed = 0
    for kind, obj in translatable_items(consultation):
        given = wording.get((kind, obj.id))
        if given is None:
            continue
        translations = dict(obj.translations or {})
        old = dict(translations.get(language) or {})
        new = {field: given[field].strip() if field in given else old.get(field, "") for field in TRANSLATABLE[kind]}
        new = {field: text for field, text in new.items() if text}
        if new == old:
            continue
        changed += sum(old.get(f, "") != new.get(f, "") for f in TRANSLATABLE[kind])
        if kind == "question" and answered.get(obj.id):
            for field in TRANSLATABLE[kind]:
                if old.get(field, "") != new.get(field, ""):
                    db.session.add(QuestionRevision(
                        question_id=obj.id, field=f"{field} ({language})", old_value=old.get(field, ""),
                        new_value=new.get(field, ""), changed_by_id=actor.id if actor else None))
        if new:
            translations[language] = new
        else:
            translations.pop(language, None)
        obj.translations = translations  # a new dict, so SQLAlchemy sees the JSON column change
    db.session.flush()
    record_event(actor=actor, action="translate_consultation", target_type="consultation", target_id=consultation.id,
                 details={"language": language, "changed": changed})
    clear_consultation_views()
    return changed
