"""Immutable, briefly cached snapshots of a consultation's public form, so the busiest page needs no queries.

Every participant sees the same questions, so the form is built from a snapshot that each worker keeps for
a few seconds (CONSULTATION_CACHE_SECONDS). Anything that must be exact, such as whether the consultation
is still open when an answer is stored, is checked again against the database in the write transaction.
"""
import dataclasses
import datetime as dt
import functools
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engage.database import UNAVAILABLE_ERRORS, rollback_quietly
from engage.extensions import db
from engage.models import Consultation, ConsultationStatus, Question, SegmentField
from engage.models.consultation import availability


class FrozenTranslations(dict):
    """Per-language wording ({"fr": {"label": ...}}) that can sit in a hashable, frozen snapshot."""

    def __hash__(self):
        return hash(tuple(sorted((k, tuple(sorted(v.items()))) for k, v in self.items())))


def _frozen(translations) -> FrozenTranslations:
    return FrozenTranslations({
        str(lang): {str(k): str(v) for k, v in (texts or {}).items() if isinstance(v, str)}
        for lang, texts in (translations or {}).items() if isinstance(texts, dict)
    })


@dataclass(frozen=True)
class OptionView:
    id: int
    label: str
    translations: FrozenTranslations = FrozenTranslations()
    source_language: str = "en"


@dataclass(frozen=True)
class QuestionView:
    id: int
    position: int
    kind: str
    prompt: str
    help_text: str
    required: bool
    max_length: int
    options: tuple[OptionView, ...]
    for_younger: bool = False
    simple_help: str = ""
    translations: FrozenTranslations = FrozenTranslations()
    source_language: str = "en"


@dataclass(frozen=True)
class SegmentFieldView:
    id: int
    key: str
    position: int
    label: str
    help_text: str
    multiple: bool
    is_identity: bool
    options: tuple[OptionView, ...]
    translations: FrozenTranslations = FrozenTranslations()
    source_language: str = "en"


@dataclass(frozen=True)
class ConsultationView:
    id: int
    slug: str
    title: str
    summary: str
    description: str
    purpose: str
    audience: str
    status: str
    opens_on: dt.date | None
    closes_on: dt.date | None
    requires_access_code: bool
    min_group_size: int
    is_demo: bool
    questions: tuple[QuestionView, ...]
    segment_fields: tuple[SegmentFieldView, ...]
    access_codes: frozenset[str]  # active codes, upper case
    languages: tuple[str, ...] = ("en",)  # the first is the language the content is written in
    translations: FrozenTranslations = FrozenTranslations()

    def availability(self, today: dt.date) -> str:
        return availability(self.status, self.opens_on, self.closes_on, today)

    # Snapshots key the per-language caches of form classes and pages, which hash them on every request; the
    # generated hash walks every question, option and translation each time. A snapshot never changes, so its
    # hash is worked out once (equal snapshots still hash alike, so a reloaded one finds the same entries).
    @functools.cached_property
    def _hash(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)))

    def __hash__(self) -> int:
        return self._hash


_cache: dict[str, tuple[float, ConsultationView | None]] = {}
_lock = threading.Lock()


def get_consultation_view(*, slug: str, max_age: float) -> ConsultationView | None:
    """The public snapshot of a consultation (None for unknown or draft), at most `max_age` seconds old."""
    now = time.monotonic()
    cached = _cache.get(slug)
    if cached is not None and now - cached[0] < max_age:
        return cached[1]
    try:
        view = _load(slug)
    except UNAVAILABLE_ERRORS:
        if cached is None:
            raise
        # The database is not answering (restarting, say): the last snapshot is only seconds old, and anything
        # stored is checked against the database again. Asked again on the next request.
        rollback_quietly()
        return cached[1]
    if cached is not None and view is not None and view == cached[1]:
        # Unchanged: keep the same object, so the caches it keys (form classes, rendered pages) find it by
        # identity instead of comparing every question and option on each request.
        view = cached[1]
    if max_age > 0:
        with _lock:
            if len(_cache) > 1000:  # unknown slugs are cached too; keep a bot from growing this forever
                _cache.clear()
            _cache[slug] = (now, view)
    return view


def clear_consultation_views() -> None:
    """Forget every snapshot in this process (after an edit made here)."""
    with _lock:
        _cache.clear()


def _load(slug: str) -> ConsultationView | None:
    consultation = db.session.scalar(
        select(Consultation)
        .where(Consultation.slug == slug, Consultation.status != ConsultationStatus.DRAFT.value)
        .options(
            selectinload(Consultation.questions).selectinload(Question.options),
            selectinload(Consultation.segment_fields).selectinload(SegmentField.options),
            selectinload(Consultation.access_codes),
        )
    )
    if consultation is None:
        return None
    languages = tuple(consultation.languages or ("en",))
    source = languages[0]
    return ConsultationView(
        id=consultation.id, slug=consultation.slug, title=consultation.title, summary=consultation.summary,
        description=consultation.description, purpose=consultation.purpose, audience=consultation.audience,
        status=consultation.status, opens_on=consultation.opens_on, closes_on=consultation.closes_on,
        requires_access_code=consultation.requires_access_code, min_group_size=consultation.min_group_size,
        is_demo=consultation.is_demo,
        questions=tuple(
            QuestionView(
                id=q.id, position=q.position, kind=q.kind, prompt=q.prompt, help_text=q.help_text,
                required=q.required, max_length=q.max_length,
                options=tuple(OptionView(o.id, o.label, _frozen(o.translations), source) for o in q.options),
                for_younger=bool(q.for_younger), simple_help=q.simple_help or "",
                translations=_frozen(q.translations), source_language=source,
            )
            for q in consultation.questions
            if not q.closed  # a closed question is no longer asked; its answers stay
        ),
        segment_fields=tuple(
            SegmentFieldView(
                id=f.id, key=f.key, position=f.position, label=f.label, help_text=f.help_text,
                multiple=f.multiple, is_identity=f.is_identity,
                options=tuple(OptionView(o.id, o.label, _frozen(o.translations), source) for o in f.options),
                translations=_frozen(f.translations), source_language=source,
            )
            for f in consultation.segment_fields
        ),
        access_codes=frozenset(c.code.upper() for c in consultation.access_codes if c.active),
        languages=languages, translations=_frozen(consultation.translations),
    )
