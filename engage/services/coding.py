"""Coding comments: reviewers' codes, decisions on machine suggestions, and the "least certain next" queue."""
import threading
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import Answer, AuditEvent, Code, Consultation, Response, Suggestion, Theme, User
from engage.models.user import utcnow
from engage.services.audit import record_event
from engage.services.themes import active_themes, shown_text

# Assisted coding needs a few coded comments per theme before its suggestions mean anything.
MIN_CODED_COMMENTS = 10
MIN_THEMES_USED = 2
RETRAIN_EVERY = 5  # new or removed codes before the queue retrains on its own
SUGGESTIONS_PER_COMMENT = 3
MIN_STORED_SCORE = 0.1


class CodingError(Exception):
    """A coding request that cannot be done; the message is safe to show."""


def consultation_answer(*, consultation: Consultation, answer_id: uuid.UUID) -> Answer | None:
    """A text answer of this consultation, or None (so another consultation's comment is a 404)."""
    return db.session.scalar(
        select(Answer).join(Response, Response.id == Answer.response_id)
        .where(Answer.id == answer_id, Response.consultation_id == consultation.id, Answer.text.is_not(None))
    )


@dataclass
class CommentState:
    text: str
    coded_theme_ids: set
    suggestions: list  # pending Suggestion rows for active themes, best first


def comment_state(*, consultation: Consultation, answer: Answer) -> CommentState:
    theme_ids = {t.id for t in active_themes(consultation_id=consultation.id)}
    coded = set(db.session.scalars(select(Code.theme_id).where(Code.answer_id == answer.id)))
    suggestions = db.session.scalars(
        select(Suggestion).where(Suggestion.answer_id == answer.id, Suggestion.status == "pending")
        .order_by(Suggestion.score.desc())
    ).all()
    return CommentState(text=shown_text(answer), coded_theme_ids=coded & theme_ids,
                        suggestions=[s for s in suggestions if s.theme_id in theme_ids and s.theme_id not in coded])


def code_comment(*, consultation: Consultation, answer: Answer, user: User | None, theme_ids: set[int]) -> tuple[int, int]:
    """Set a comment's codes among the active themes to exactly `theme_ids`; returns (added, removed).

    Pending suggestions for the comment are decided by the same act: accepted when their theme was
    chosen, rejected when it was not, because the reviewer saw them beside the checkboxes.
    """
    active = {t.id for t in active_themes(consultation_id=consultation.id)}
    if not set(theme_ids) <= active:
        raise CodingError(_("Choose themes from this consultation's codebook."))
    existing = {c.theme_id: c for c in db.session.scalars(select(Code).where(Code.answer_id == answer.id))}
    begin_write()
    added = removed = 0
    for theme_id in sorted(set(theme_ids) - set(existing)):
        db.session.add(Code(answer_id=answer.id, theme_id=theme_id, coder_id=user.id if user else None, origin="manual"))
        added += 1
    for theme_id, code in existing.items():
        if theme_id in active and theme_id not in theme_ids:
            db.session.delete(code)
            removed += 1
    now = utcnow()
    for suggestion in db.session.scalars(
        select(Suggestion).where(Suggestion.answer_id == answer.id, Suggestion.status == "pending",
                                 Suggestion.theme_id.in_(active))
    ):
        suggestion.status = "accepted" if suggestion.theme_id in theme_ids else "rejected"
        suggestion.decided_by_id, suggestion.decided_at = (user.id if user else None), now
    db.session.flush()
    record_event(actor=user, action="code_comment", target_type="consultation", target_id=consultation.id,
                 details={"added": added, "removed": removed})
    db.session.flush()
    return added, removed


def _decide(suggestions: list[Suggestion], *, user: User | None, accept: bool) -> int:
    now = utcnow()
    coded = {(a, t) for a, t in db.session.execute(
        select(Code.answer_id, Code.theme_id).where(Code.answer_id.in_({s.answer_id for s in suggestions}))
    )} if suggestions else set()
    for suggestion in suggestions:
        suggestion.status = "accepted" if accept else "rejected"
        suggestion.decided_by_id, suggestion.decided_at = (user.id if user else None), now
        if accept and (suggestion.answer_id, suggestion.theme_id) not in coded:
            db.session.add(Code(answer_id=suggestion.answer_id, theme_id=suggestion.theme_id,
                                coder_id=user.id if user else None, origin="suggestion"))
            coded.add((suggestion.answer_id, suggestion.theme_id))
    return len(suggestions)


def _pending_query(consultation: Consultation):
    return (select(Suggestion).join(Theme, Theme.id == Suggestion.theme_id)
            .where(Theme.consultation_id == consultation.id, Theme.archived_at.is_(None), Suggestion.status == "pending"))


def decide_suggestions(*, consultation: Consultation, user: User | None, accept: bool,
                       suggestion_ids: list[int] | None = None, theme_id: int | None = None,
                       min_score: float | None = None) -> int:
    """Accept or reject pending suggestions: the chosen ones, or all of a theme's at or above a score.

    Accepting writes a Code with origin "suggestion". Returns how many were decided.
    """
    query = _pending_query(consultation)
    if suggestion_ids is not None:
        if not suggestion_ids:
            raise CodingError(_("Choose at least one suggestion."))
        query = query.where(Suggestion.id.in_(suggestion_ids))
    elif theme_id is not None:
        query = query.where(Suggestion.theme_id == theme_id)
        if min_score is not None:
            query = query.where(Suggestion.score >= min_score)
    else:
        raise CodingError(_("Choose suggestions, or a theme and a score."))
    suggestions = db.session.scalars(query).all()
    if suggestion_ids is not None and len(suggestions) != len(set(suggestion_ids)):
        raise CodingError(_("Some of those suggestions were already decided or are not in this consultation."))
    if not suggestions:
        raise CodingError(_("No pending suggestions match."))
    begin_write()
    n = _decide(suggestions, user=user, accept=accept)
    db.session.flush()
    record_event(actor=user, action="accept_suggestions" if accept else "reject_suggestions",
                 target_type="consultation", target_id=consultation.id,
                 details={"count": n, "theme_id": theme_id, "min_score": min_score})
    db.session.flush()
    return n


def pending_by_theme(*, consultation: Consultation, theme_id: int, min_score: float = 0.0, limit: int = 200):
    """Pending suggestions of one theme, best first, with the comment text reviewers may see."""
    rows = db.session.execute(
        _pending_query(consultation).add_columns(Answer)
        .join(Answer, Answer.id == Suggestion.answer_id)
        .where(Suggestion.theme_id == theme_id, Suggestion.score >= min_score)
        .order_by(Suggestion.score.desc(), Suggestion.id).limit(limit)
    ).all()
    return [(suggestion, shown_text(answer)) for suggestion, answer in rows]


# --- assisted coding: the "least certain next" queue --------------------------------------------------------

# Least-certain order from the last training in this process, keyed by that training's audit event.
_orders: dict[tuple, list] = {}
_orders_lock = threading.Lock()


@dataclass
class QueueState:
    answer_ids: list  # least certain first
    message: str = ""
    retrained: bool = False


def _codes_fingerprint(theme_ids: list[int]) -> tuple[int, int]:
    if not theme_ids:
        return (0, 0)
    count, top = db.session.execute(
        select(func.count(Code.id), func.coalesce(func.max(Code.id), 0)).where(Code.theme_id.in_(theme_ids))
    ).one()
    return int(count), int(top)


def _last_training(consultation: Consultation) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "train_assisted_coding", AuditEvent.target_type == "consultation",
                                 AuditEvent.target_id == consultation.id)
        .order_by(AuditEvent.id.desc()).limit(1)
    )


def codes_changed_since_training(*, consultation: Consultation) -> int | None:
    """How many codes were added or removed since assisted coding last trained (None: never trained)."""
    last = _last_training(consultation)
    if last is None:
        return None
    count, top = _codes_fingerprint([t.id for t in active_themes(consultation_id=consultation.id)])
    return max(abs(count - last.details.get("codes", 0)), top - last.details.get("top_code_id", 0))


def refresh_assisted_suggestions(*, consultation: Consultation, user: User | None, min_changes: int = 1,
                                 force: bool = False, exclude: set | None = None) -> QueueState:
    """Retrain assisted coding when at least `min_changes` codes changed since it last trained; return the queue.

    Retraining replaces earlier pending "assisted" suggestions; codes and decided suggestions are never
    touched. The training's code count is kept in its audit event, so every process agrees on staleness.
    """
    themes = active_themes(consultation_id=consultation.id)
    theme_ids = [t.id for t in themes]
    changed = codes_changed_since_training(consultation=consultation)
    message, retrained = "", False
    if force or changed is None or changed >= min_changes:
        try:
            _retrain(consultation=consultation, themes=themes, user=user)
            retrained = True
        except CodingError as error:
            message = str(error)
    last = _last_training(consultation)
    order = _orders.get((consultation.id, last.id, last.at)) if last is not None else None
    if order is None:
        order = _order_from_stored(consultation)
    coded = set(db.session.scalars(select(Code.answer_id).where(Code.theme_id.in_(theme_ids)))) if theme_ids else set()
    excluded = exclude or set()
    return QueueState(answer_ids=[a for a in order if a not in coded and a not in excluded],
                      message=message, retrained=retrained)


def _order_from_stored(consultation: Consultation) -> list:
    """Least certain first from stored assisted scores: the closer a comment's scores sit to 0.5, the less sure."""
    margin: dict = {}
    for answer_id, score in db.session.execute(
        _pending_query(consultation).with_only_columns(Suggestion.answer_id, Suggestion.score)
        .where(Suggestion.source == "assisted")
    ):
        margin[answer_id] = min(margin.get(answer_id, 1.0), abs(score - 0.5))
    return sorted(margin, key=lambda a: (margin[a], str(a)))


def _retrain(*, consultation: Consultation, themes: list[Theme], user: User | None) -> list:
    by_id = {t.id: t for t in themes}
    labels: dict = {}
    for answer_id, theme_id in db.session.execute(select(Code.answer_id, Code.theme_id).where(Code.theme_id.in_(list(by_id)))):
        labels.setdefault(answer_id, set()).add(by_id[theme_id].name)
    used = {name for names in labels.values() for name in names}
    if len(labels) < MIN_CODED_COMMENTS or len(used) < MIN_THEMES_USED:
        raise CodingError(_("Assisted coding learns from your codes: code at least %(comments)s comments with at "
                            "least %(themes)s different themes first (so far %(coded)s comments and %(used)s themes).",
                            comments=MIN_CODED_COMMENTS, themes=MIN_THEMES_USED, coded=len(labels), used=len(used)))
    answers = db.session.scalars(
        select(Answer).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Answer.text.is_not(None))
    ).all()
    answers.sort(key=lambda a: str(a.id))
    train = [a for a in answers if a.id in labels]
    todo = [a for a in answers if a.id not in labels]
    fingerprint = _codes_fingerprint(list(by_id))
    scores, order = assisted_predictions([shown_text(a) for a in train], [sorted(labels[a.id]) for a in train],
                                         [shown_text(a) for a in todo])
    name_to_id = {t.name: t.id for t in themes}
    begin_write()
    db.session.execute(delete(Suggestion).where(
        Suggestion.source == "assisted", Suggestion.status == "pending", Suggestion.theme_id.in_(list(by_id))
    ).execution_options(synchronize_session=False))
    stored = 0
    for answer, label_scores in zip(todo, scores):
        ranked = sorted(label_scores.items(), key=lambda kv: -kv[1])[:SUGGESTIONS_PER_COMMENT]
        for rank, (name, score) in enumerate(ranked):
            if (rank == 0 or score >= MIN_STORED_SCORE) and name in name_to_id:
                db.session.add(Suggestion(answer_id=answer.id, theme_id=name_to_id[name], source="assisted",
                                          score=float(score), status="pending"))
                stored += 1
    db.session.flush()
    record_event(actor=user, action="train_assisted_coding", target_type="consultation", target_id=consultation.id,
                 details={"coded_comments": len(train), "suggestions": stored, "codes": fingerprint[0],
                          "top_code_id": fingerprint[1]})
    db.session.flush()
    event = _last_training(consultation)
    with _orders_lock:
        for key in [k for k in _orders if k[0] == consultation.id]:
            del _orders[key]  # only the latest training's order is worth keeping
        _orders[(consultation.id, event.id, event.at)] = [todo[i].id for i in order]
    return [todo[i].id for i in order]


def assisted_predictions(train_texts: list[str], train_labels: list[list[str]], texts: list[str]):
    """Fit the analysis library's AssistedCoder; return per-text {label: score} and indexes least certain first."""
    from engage.analysis.coding import AssistedCoder

    if not texts:
        return [], []
    try:
        coder = AssistedCoder(random_state=0).fit(train_texts, train_labels)
    except ValueError as error:  # e.g. too few coded comments for its cross-validation
        raise CodingError(_("Assisted coding could not learn from the codes yet (%(error)s).", error=error)) from None
    return coder.predict_proba(texts), coder.least_certain(texts, k=len(texts))
