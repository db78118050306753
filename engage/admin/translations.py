"""Admin: a consultation's wording in its other languages (routes on engage.admin.views.bp).

The form is built at request time from the consultation's content: one field per text written in the source
language, grouped as the participant sees them (the introduction, each question with its options, each
"about you" question with its options).
"""
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from engage.admin.views import bp
from engage.extensions import db
from engage.models import Consultation
from engage.services import consultations as service

# (label, longest, multiline) per translatable field of each kind of object.
_FIELDS = {
    "consultation": {"title": (_l("Title"), 200, False), "summary": (_l("One-line summary"), 500, False),
                     "description": (_l("What is this about?"), 5000, True),
                     "purpose": (_l("Why are we asking?"), 5000, True),
                     "audience": (_l("Who will read the answers?"), 5000, True)},
    "question": {"prompt": (_l("Question"), 500, False), "help_text": (_l("Help text"), 2000, True),
                 "simple_help": (_l("Simple help"), 1000, True)},
    "option": {"label": (_l("Option"), 200, False)},
    "segment_field": {"label": (_l("Question"), 300, False),
                      "help_text": (_l("Why we ask (shown to participants)"), 2000, True)},
    "segment_option": {"label": (_l("Option"), 200, False)},
}


# The languages' names in the staff member's own language (engage.i18n.LANGUAGES names each in itself).
LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}


@dataclass
class Section:
    legend: str
    fields: list = field(default_factory=list)  # (form field name, original wording)


class TranslationForm(FlaskForm):
    def wording(self) -> dict[tuple[str, int], dict[str, str]]:
        """The typed wording keyed as services.consultations.save_translations expects."""
        result: dict[tuple[str, int], dict[str, str]] = {}
        for name in self._translatable:
            kind, object_id, attribute = name.split("__")
            result.setdefault((kind, int(object_id)), {})[attribute] = self[name].data or ""
        return result


def build_translation_form(consultation: Consultation, language: str) -> tuple[TranslationForm, list[Section]]:
    class Form(TranslationForm):
        pass

    sections, current, names = [], {}, []
    questions = 0
    for kind, obj in service.translatable_items(consultation):
        if kind == "consultation":
            sections.append(Section(_("Introduction")))
        elif kind == "question":
            questions += 1
            sections.append(Section(_("Question %(number)s", number=questions)))
        elif kind == "segment_field":
            sections.append(Section(_('"About you" question: %(key)s', key=obj.key)))
        for attribute, (label, longest, multiline) in _FIELDS[kind].items():
            original = getattr(obj, attribute) or ""
            if not original.strip():
                continue
            name = f"{kind}__{obj.id}__{attribute}"
            field_class = TextAreaField if multiline else StringField
            setattr(Form, name, field_class(label, validators=[Optional(), Length(max=longest)]))
            current[name] = ((obj.translations or {}).get(language) or {}).get(attribute, "")
            sections[-1].fields.append((name, original))
            names.append(name)
    Form._translatable = names
    return Form(data=current), [s for s in sections if s.fields]


@bp.route("/consultations/<int:consultation_id>/translations/<language>", methods=["GET", "POST"])
def edit_translations(consultation_id: int, language: str):
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    if language not in (consultation.languages or [])[1:]:
        abort(404)
    form, sections = build_translation_form(consultation, language)
    if form.validate_on_submit():
        service.save_translations(actor=current_user, consultation=consultation, language=language,
                                  wording=form.wording())
        db.session.commit()
        flash(_("Wording saved for %(language)s.", language=str(LANGUAGE_NAMES[language])), "info")
        return redirect(url_for("admin.edit_translations", consultation_id=consultation.id, language=language),
                        code=303)
    done, total = service.translation_progress(consultation, language)
    return render_template("admin/edit_translations.html", consultation=consultation, form=form, sections=sections,
                           language=language, source=(consultation.languages or ["en"])[0], done=done,
                           total=total), 422 if form.errors else 200
