"""Double coding: blind samples for two reviewers, Cohen's kappa, disagreements, and machine-vs-human agreement."""
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    Answer, AuditEvent, Code, CodingSample, CodingSampleItem, Consultation, Role, SampleCoding, Suggestion,
    Theme, User,
)
from engage.services.audit import record_event
from engage.services.themes import active_themes, sample_answer_ids

MAX_SAMPLE = 500


class DoubleCodingError(Exception):
    """A double-coding request that cannot be done; the message is safe to show."""


# --- the maths (pure) ----------------------------------------------------------------------------------------

def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa for two raters' yes/no decisions on the same items.

    kappa = (p_o - p_e) / (1 - p_e), with p_e from each rater's own rate of saying yes. Returns None when
    it is undefined: no items, or chance agreement of 1 (both raters gave one and the same answer throughout).
    """
    if len(a) != len(b):
        raise ValueError("both raters must decide the same items")
    n = len(a)
    if n == 0:
        return None
    both = sum(1 for x, y in zip(a, b) if x and y)
    neither = sum(1 for x, y in zip(a, b) if not x and not y)
    p_o = (both + neither) / n
    p_a, p_b = sum(map(bool, a)) / n, sum(map(bool, b)) / n
    p_e = p_a * p_b + (1 - p_a) * (1 - p_b)
    if p_e >= 1:
        return None
    return (p_o - p_e) / (1 - p_e)


@dataclass
class Agreement:
    per_theme: dict  # theme id -> (kappa or None, items where either said yes, items where they agreed)
    pooled: float | None  # kappa over every (item, theme) decision pooled into one table
    mean: float | None  # unweighted mean of the defined per-theme kappas
    n_items: int


def agreement(sets_a: Sequence[set], sets_b: Sequence[set], theme_ids: Sequence[int]) -> Agreement:
    """Per-theme and overall kappa for two coders' multi-label codes of the same items (pure)."""
    per_theme = {}
    pooled_a, pooled_b = [], []
    for theme_id in theme_ids:
        a = [theme_id in s for s in sets_a]
        b = [theme_id in s for s in sets_b]
        pooled_a += a
        pooled_b += b
        per_theme[theme_id] = (cohen_kappa(a, b), sum(1 for x, y in zip(a, b) if x or y),
                               sum(1 for x, y in zip(a, b) if x == y))
    defined = [k for k, _, _ in per_theme.values() if k is not None]
    return Agreement(per_theme=per_theme, pooled=cohen_kappa(pooled_a, pooled_b),
                     mean=sum(defined) / len(defined) if defined else None, n_items=len(sets_a))


# --- samples -------------------------------------------------------------------------------------------------

def _eligible(user: User | None, consultation: Consultation) -> bool:
    return bool(user and user.active and user.has_role(Role.REVIEWER.value) and user.can_access_consultation(consultation.id))


def create_sample(*, consultation: Consultation, user: User | None, coder_a: User | None, coder_b: User | None,
                  size: int, seed: int) -> CodingSample:
    """Draw a reproducible random sample of comments for two different reviewers to code blind."""
    if coder_a is None or coder_b is None or coder_a.id == coder_b.id:
        raise DoubleCodingError(_("Choose two different reviewers."))
    if not (_eligible(coder_a, consultation) and _eligible(coder_b, consultation)):
        raise DoubleCodingError(_("Both coders must be active reviewers who can see this consultation."))
    if not 1 <= size <= MAX_SAMPLE:
        raise DoubleCodingError(_("Choose a sample size between 1 and %(limit)s.", limit=MAX_SAMPLE))
    ids = sample_answer_ids(consultation_id=consultation.id, size=size, seed=seed)
    if not ids:
        raise DoubleCodingError(_("This consultation has no comments to sample yet."))
    begin_write()
    sample = CodingSample(consultation_id=consultation.id, coder_a_id=coder_a.id, coder_b_id=coder_b.id,
                          created_by_id=user.id if user else None, seed=seed)
    sample.items = [CodingSampleItem(answer_id=answer_id) for answer_id in ids]
    db.session.add(sample)
    db.session.flush()
    record_event(actor=user, action="create_coding_sample", target_type="coding_sample", target_id=sample.id,
                 details={"consultation_id": consultation.id, "size": len(ids), "seed": seed,
                          "coders": [coder_a.id, coder_b.id]})
    db.session.flush()
    return sample


def sample_answer_order(sample: CodingSample) -> list:
    """The sample's comments in a fixed order (by id), so both coders and the report number them alike."""
    return sorted((item.answer_id for item in sample.items), key=str)


def is_coder(sample: CodingSample, user: User) -> bool:
    return user.id in (sample.coder_a_id, sample.coder_b_id)


def codings(sample: CodingSample, coder_id: int) -> dict:
    return {c.answer_id: set(c.theme_ids) for c in db.session.scalars(
        select(SampleCoding).where(SampleCoding.sample_id == sample.id, SampleCoding.coder_id == coder_id))}


def finished(sample: CodingSample, user: User) -> bool:
    return len(codings(sample, user.id)) >= len(sample.items)


def blind_answer_ids(*, consultation: Consultation, user: User) -> set:
    """Comments this user must code blind right now: their unfinished samples' items not yet coded by them."""
    ids = set()
    for sample in db.session.scalars(select(CodingSample).where(
            CodingSample.consultation_id == consultation.id,
            (CodingSample.coder_a_id == user.id) | (CodingSample.coder_b_id == user.id))):
        ids |= {item.answer_id for item in sample.items} - set(codings(sample, user.id))
    return ids


def save_sample_coding(*, sample: CodingSample, user: User, answer_id: uuid.UUID, theme_ids: set[int]) -> SampleCoding:
    """Record one coder's blind codes for one sampled comment (an empty set means none of the themes)."""
    if not is_coder(sample, user):
        raise DoubleCodingError(_("Only the two assigned coders code this sample."))
    if answer_id not in {item.answer_id for item in sample.items}:
        raise DoubleCodingError(_("That comment is not in this sample."))
    if not set(theme_ids) <= {t.id for t in active_themes(consultation_id=sample.consultation_id)}:
        raise DoubleCodingError(_("Choose themes from this consultation's codebook."))
    existing = db.session.get(SampleCoding, (sample.id, answer_id, user.id))
    begin_write()
    coding = existing or SampleCoding(sample_id=sample.id, answer_id=answer_id, coder_id=user.id)
    coding.theme_ids = sorted(theme_ids)
    db.session.add(coding)
    db.session.flush()
    record_event(actor=user, action="code_sample_item", target_type="coding_sample", target_id=sample.id,
                 details={"item": sample_answer_order(sample).index(answer_id) + 1, "themes": len(theme_ids)})
    db.session.flush()
    return coding


@dataclass
class Disagreement:
    number: int  # 1-based position in the sample
    answer_id: uuid.UUID
    text: str
    coder_a: set
    coder_b: set
    resolved: bool
    final: set = field(default_factory=set)


@dataclass
class SampleReport:
    agreement: Agreement
    themes: list
    disagreements: list
    complete: int  # items coded by both


def sample_report(*, sample: CodingSample) -> SampleReport:
    """Kappa over the items both coders have coded, and the items where they disagree."""
    from engage.services.themes import shown_text

    themes = active_themes(consultation_id=sample.consultation_id)
    a, b = codings(sample, sample.coder_a_id), codings(sample, sample.coder_b_id)
    order = sample_answer_order(sample)
    both = [answer_id for answer_id in order if answer_id in a and answer_id in b]
    result = agreement([a[i] for i in both], [b[i] for i in both], [t.id for t in themes])
    resolved = _resolved_items(sample)
    differing = [i for i in both if a[i] != b[i]]
    answers = {x.id: x for x in db.session.scalars(select(Answer).where(Answer.id.in_(differing)))} if differing else {}
    finals = {}
    for answer_id, theme_id in db.session.execute(
            select(Code.answer_id, Code.theme_id).where(Code.answer_id.in_(differing))) if differing else []:
        finals.setdefault(answer_id, set()).add(theme_id)
    disagreements = [
        Disagreement(number=order.index(i) + 1, answer_id=i, text=shown_text(answers[i]), coder_a=a[i], coder_b=b[i],
                     resolved=(order.index(i) + 1) in resolved, final=finals.get(i, set()))
        for i in differing
    ]
    return SampleReport(agreement=result, themes=themes, disagreements=disagreements, complete=len(both))


def _resolved_items(sample: CodingSample) -> set[int]:
    # Which items were resolved is read from the audit log: the schema has no column for it (see the report).
    return {e.details.get("item") for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "resolve_disagreement", AuditEvent.target_type == "coding_sample",
        AuditEvent.target_id == sample.id))}


def resolve_disagreement(*, sample: CodingSample, user: User | None, answer_id: uuid.UUID,
                         theme_ids: set[int]) -> tuple[int, int]:
    """Settle a disagreement: the final human codes among the disputed themes become `theme_ids`.

    Codes are written with origin "double_coding"; disputed themes not chosen lose any human code. Themes
    neither coder chose are left alone. Returns (added, removed).
    """
    a, b = codings(sample, sample.coder_a_id), codings(sample, sample.coder_b_id)
    if answer_id not in a or answer_id not in b or a[answer_id] == b[answer_id]:
        raise DoubleCodingError(_("That comment has no disagreement to resolve."))
    disputed = a[answer_id] | b[answer_id]
    active = {t.id for t in active_themes(consultation_id=sample.consultation_id)}
    if not set(theme_ids) <= active:
        raise DoubleCodingError(_("Choose themes from this consultation's codebook."))
    existing = {c.theme_id: c for c in db.session.scalars(select(Code).where(Code.answer_id == answer_id))}
    begin_write()
    added = removed = 0
    for theme_id in sorted(set(theme_ids) - set(existing)):
        db.session.add(Code(answer_id=answer_id, theme_id=theme_id, coder_id=user.id if user else None,
                            origin="double_coding"))
        added += 1
    for theme_id in (disputed - set(theme_ids)) & set(existing):
        db.session.delete(existing[theme_id])
        removed += 1
    db.session.flush()
    record_event(actor=user, action="resolve_disagreement", target_type="coding_sample", target_id=sample.id,
                 details={"item": sample_answer_order(sample).index(answer_id) + 1, "added": added, "removed": removed})
    db.session.flush()
    return added, removed


def machine_agreement(*, consultation: Consultation, threshold: float = 0.5) -> tuple[Agreement, list[Theme]]:
    """Kappa between the latest machine suggestion per comment and theme (at or above `threshold` = yes)
    and the human codes, over the comments that have at least one human code."""
    themes = active_themes(consultation_id=consultation.id)
    theme_ids = [t.id for t in themes]
    human: dict = {}
    for answer_id, theme_id in db.session.execute(
            select(Code.answer_id, Code.theme_id).where(Code.theme_id.in_(theme_ids))) if theme_ids else []:
        human.setdefault(answer_id, set()).add(theme_id)
    latest: dict = {}
    if human:
        for s_id, answer_id, theme_id, score in db.session.execute(
                select(Suggestion.id, Suggestion.answer_id, Suggestion.theme_id, Suggestion.score)
                .where(Suggestion.theme_id.in_(theme_ids), Suggestion.answer_id.in_(list(human)))
                .order_by(Suggestion.id)):
            latest[(answer_id, theme_id)] = score  # later rows win
    machine = {a: {t for t in theme_ids if latest.get((a, t), 0.0) >= threshold} for a in human}
    order = sorted(human, key=str)
    return agreement([machine[a] for a in order], [human[a] for a in order], theme_ids), themes


def samples_for(*, consultation: Consultation) -> list[CodingSample]:
    return list(db.session.scalars(
        select(CodingSample).where(CodingSample.consultation_id == consultation.id).order_by(CodingSample.id.desc())))


def sample_in(*, consultation: Consultation, sample_id: int) -> CodingSample | None:
    sample = db.session.get(CodingSample, sample_id)
    return sample if sample is not None and sample.consultation_id == consultation.id else None


def reviewers_for(*, consultation_id: int | None = None) -> list[User]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)).all()
    return [u for u in users if u.has_role(Role.REVIEWER.value)
            and (consultation_id is None or u.can_access_consultation(consultation_id))]
