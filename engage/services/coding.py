"""Coding comments: reviewers' codes, decisions on machine suggestions, and the "least certain next" queue."""
import datetime as dt
import threading
import uuid
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import Answer, AuditEvent, Code, CommentAnalysis, Consultation, Response, Suggestion, Theme, User
from engage.models.user import utcnow
from engage.services.audit import record_event
from engage.services.themes import active_themes, analysis_embeddings, latest_done_run, shown_text

# Assisted coding needs a few coded comments per theme before its suggestions mean anything.
MIN_CODED_COMMENTS = 10
MIN_THEMES_USED = 2
RETRAIN_EVERY = 5  # new or removed codes before the queue retrains on its own
SUGGESTIONS_PER_COMMENT = 3
MIN_STORED_SCORE = 0.1


class CodingError(Exception):
    """A coding request that cannot be done; the message is safe to show.

    `details` says why in a form an audit event can keep (no participant's words), so the message can be
    rebuilt later in the reader's language.
    """

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.details = details or {}


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
#
# Training takes seconds to a minute on a large consultation, so the web only decides that it is due and queues
# it (`request_assisted_training`, then `dispatch_assisted_training`); `train_assisted_coding` does it on a thread
# or an RQ worker. Audit events keep the state every process shares: a training queued, done, or failed.

_QUEUED, _TRAINED, _FAILED = "queue_assisted_coding", "train_assisted_coding", "fail_assisted_coding"
# A queued training with no outcome after this long lost its worker (a killed job or a restarted web process).
TRAINING_STALE_AFTER = dt.timedelta(minutes=10)
_STOPPED = _l("Updating the suggestions stopped because of an error. Try again with \u201cUpdate suggestions now\u201d.")

# Least-certain order from the last training in this process, keyed by that training's audit event.
_orders: dict[tuple, list] = {}
_orders_lock = threading.Lock()


@dataclass
class QueueState:
    answer_ids: list  # least certain first, then uncoded comments without assisted suggestions
    message: str = ""
    retrained: bool = False
    updating: bool = False  # a training is queued or running in the background


def _codes_fingerprint(theme_ids: list[int]) -> tuple[int, int]:
    if not theme_ids:
        return (0, 0)
    count, top = db.session.execute(
        select(func.count(Code.id), func.coalesce(func.max(Code.id), 0)).where(Code.theme_id.in_(theme_ids))
    ).one()
    return int(count), int(top)


def _latest_event(consultation: Consultation, *actions: str) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action.in_(actions), AuditEvent.target_type == "consultation",
                                 AuditEvent.target_id == consultation.id)
        .order_by(AuditEvent.id.desc()).limit(1)
    )


def _last_training(consultation: Consultation) -> AuditEvent | None:
    return _latest_event(consultation, _TRAINED)


def _changes_since(event: AuditEvent, theme_ids: list[int]) -> int:
    count, top = _codes_fingerprint(theme_ids)
    return max(abs(count - event.details.get("codes", 0)), top - event.details.get("top_code_id", 0))


def codes_changed_since_training(*, consultation: Consultation) -> int | None:
    """How many codes were added or removed since assisted coding last trained (None: never trained)."""
    last = _last_training(consultation)
    if last is None:
        return None
    return _changes_since(last, [t.id for t in active_themes(consultation_id=consultation.id)])


def training_in_flight(*, consultation: Consultation, now: dt.datetime | None = None) -> AuditEvent | None:
    """The queued training not yet done or failed, unless it is older than TRAINING_STALE_AFTER (its worker is gone)."""
    queued = _latest_event(consultation, _QUEUED)
    if queued is None or (now or utcnow()) - queued.at > TRAINING_STALE_AFTER:
        return None
    outcome = _latest_event(consultation, _TRAINED, _FAILED)
    return queued if outcome is None or outcome.id < queued.id else None


def _labels(themes: list[Theme]) -> dict:
    by_id = {t.id: t for t in themes}
    labels: dict = {}
    for answer_id, theme_id in db.session.execute(select(Code.answer_id, Code.theme_id).where(Code.theme_id.in_(list(by_id)))):
        labels.setdefault(answer_id, set()).add(by_id[theme_id].name)
    return labels


def _too_few_message(coded: int, used: int) -> str:
    return _("Assisted coding learns from your codes: code at least %(comments)s comments with at "
             "least %(themes)s different themes first (so far %(coded)s comments and %(used)s themes).",
             comments=MIN_CODED_COMMENTS, themes=MIN_THEMES_USED, coded=coded, used=used)


def _require_enough_codes(labels: dict) -> None:
    used = {name for names in labels.values() for name in names}
    if len(labels) < MIN_CODED_COMMENTS or len(used) < MIN_THEMES_USED:
        raise CodingError(_too_few_message(len(labels), len(used)),
                          details={"reason": "too_few", "coded": len(labels), "used": len(used)})


def _failure_message(details: dict) -> str:
    """A failed training's message, rebuilt in the reader's language from what its audit event kept."""
    if details.get("reason") == "too_few":
        return _too_few_message(details.get("coded", 0), details.get("used", 0))
    if details.get("reason") == "fit":
        return _("Assisted coding could not learn from the codes yet (%(error)s).", error=details.get("error", ""))
    return str(_STOPPED)


def request_assisted_training(*, consultation: Consultation, user: User | None, min_changes: int = 1,
                              force: bool = False) -> AuditEvent | None:
    """Queue a training when one is due and none is in flight; returns its audit event, or None.

    Due means at least `min_changes` codes changed since the last training or failed attempt (or `force`).
    Too few codes raise CodingError at once, without queueing. The caller commits, then calls
    `dispatch_assisted_training`. At most one training is in flight per consultation, across processes: the
    check and the record happen under the write lock (SQLite) and a lock on the consultation's row (PostgreSQL).
    """
    themes = active_themes(consultation_id=consultation.id)
    if not force:
        last = _latest_event(consultation, _TRAINED, _FAILED)
        if last is not None and _changes_since(last, [t.id for t in themes]) < min_changes:
            return None
    _require_enough_codes(_labels(themes))
    if training_in_flight(consultation=consultation):  # a quick look first, so most requests take no write lock
        return None
    begin_write()
    db.session.execute(select(Consultation.id).where(Consultation.id == consultation.id).with_for_update())
    if training_in_flight(consultation=consultation):
        return None
    count, top = _codes_fingerprint([t.id for t in themes])
    event = record_event(actor=user, action=_QUEUED, target_type="consultation", target_id=consultation.id,
                         details={"codes": count, "top_code_id": top})
    db.session.flush()
    return event


def dispatch_assisted_training(*, consultation_id: int, user_id: int | None, queued_event_id: int) -> str:
    """Train in the background: as an RQ job when REDIS_URL is set, else on a thread. Returns which."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        from engage.jobs import QUEUE_NAME

        try:
            Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
                "engage.jobs.train_assisted_coding_job", consultation_id, user_id, queued_event_id,
                job_timeout=int(TRAINING_STALE_AFTER.total_seconds()))
        except Exception:  # noqa: BLE001 (Redis down: say so on the queue page instead of "being updated" for minutes)
            current_app.logger.exception("Could not queue assisted coding for consultation %s", consultation_id)
            db.session.rollback()
            _record_failure(consultation_id, user_id, {"reason": "error"})
            return "failed"
        return "rq"
    thread = threading.Thread(target=_train_in_app, args=(app, consultation_id, user_id, queued_event_id),
                              name=f"assisted-coding-{consultation_id}", daemon=True)
    thread.start()
    return "thread"


def _train_in_app(app, consultation_id: int, user_id: int | None, queued_event_id: int) -> None:
    with app.app_context():
        try:
            train_assisted_coding(consultation_id=consultation_id, user_id=user_id, queued_event_id=queued_event_id)
        except Exception:  # noqa: BLE001 (even recording the failure failed, e.g. the database is gone: log it)
            app.logger.exception("Assisted coding for consultation %s could not record its outcome", consultation_id)


def train_assisted_coding(*, consultation_id: int, user_id: int | None, queued_event_id: int | None = None) -> bool:
    """Do a queued training and commit it; a failure is recorded as an audit event, not raised. Returns success.

    A job whose queued event was since replaced (it went stale and a later one was queued) does nothing.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        current_app.logger.warning("Assisted coding: consultation %s does not exist", consultation_id)
        return False
    if queued_event_id is not None:
        latest = _latest_event(consultation, _QUEUED)
        if latest is not None and latest.id != queued_event_id:
            return False
    user = db.session.get(User, user_id) if user_id is not None else None
    try:
        _retrain(consultation=consultation, themes=active_themes(consultation_id=consultation_id), user=user)
        db.session.commit()
        return True
    except CodingError as error:
        db.session.rollback()
        details = error.details or {"reason": "error"}
    except Exception:  # noqa: BLE001 (a failed training is shown to reviewers, never lost)
        db.session.rollback()
        current_app.logger.exception("Assisted coding for consultation %s failed", consultation_id)
        details = {"reason": "error"}
    _record_failure(consultation_id, user_id, details)
    return False


def _record_failure(consultation_id: int, user_id: int | None, details: dict) -> None:
    consultation = db.session.get(Consultation, consultation_id)
    user = db.session.get(User, user_id) if user_id is not None else None
    count, top = _codes_fingerprint([t.id for t in active_themes(consultation_id=consultation_id)])
    begin_write()
    record_event(actor=user, action=_FAILED, target_type="consultation", target_id=consultation.id,
                 details={**details, "codes": count, "top_code_id": top})
    db.session.commit()


def assisted_queue(*, consultation: Consultation, exclude: set | None = None) -> QueueState:
    """The queue from what is stored: least certain first, whichever process trained; no training here.

    Uncoded comments without assisted suggestions (none trained yet, or new since) follow in a stable order,
    so reviewers can keep coding while suggestions are made. A failed last attempt's message is in `message`.
    """
    theme_ids = [t.id for t in active_themes(consultation_id=consultation.id)]
    updating = training_in_flight(consultation=consultation) is not None
    outcome = _latest_event(consultation, _TRAINED, _FAILED)
    failed = outcome is not None and outcome.action == _FAILED and not updating
    message = _failure_message(outcome.details) if failed else ""
    last = _last_training(consultation)
    order = _orders.get((consultation.id, last.id, last.at)) if last is not None else None
    if order is None:  # trained in another process (an RQ worker, another web worker) or before a restart
        order = _order_from_stored(consultation)
    coded = set(db.session.scalars(select(Code.answer_id).where(Code.theme_id.in_(theme_ids)))) if theme_ids else set()
    excluded = (exclude or set()) | coded
    rest = db.session.scalars(
        select(Answer.id).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Answer.text.is_not(None)).order_by(Answer.id)
    )
    ranked = set(order)
    answer_ids = [a for a in order if a not in excluded] + [a for a in rest if a not in ranked and a not in excluded]
    # "No comment", "n/a", "see above": the model is least sure of these, yet they hold nothing to code. They go
    # last (still codable), as the latest analysis run marked them.
    run = latest_done_run(consultation_id=consultation.id)
    if run is not None:
        empty = set(db.session.scalars(select(CommentAnalysis.answer_id).where(
            CommentAnalysis.run_id == run.id, CommentAnalysis.non_answer.is_(True))))
        if empty:
            answer_ids = [a for a in answer_ids if a not in empty] + [a for a in answer_ids if a in empty]
    return QueueState(answer_ids=answer_ids, message=message, updating=updating)


def refresh_assisted_suggestions(*, consultation: Consultation, user: User | None, min_changes: int = 1,
                                 force: bool = False, exclude: set | None = None) -> QueueState:
    """Retrain assisted coding here and now when at least `min_changes` codes changed since it last trained; return the queue.

    For the command line, tests and demo data; web requests queue a background training instead.
    Retraining replaces earlier pending "assisted" suggestions; codes and decided suggestions are never
    touched. The training's code count is kept in its audit event, so every process agrees on staleness.
    """
    themes = active_themes(consultation_id=consultation.id)
    changed = codes_changed_since_training(consultation=consultation)
    message, retrained = "", False
    if force or changed is None or changed >= min_changes:
        try:
            _retrain(consultation=consultation, themes=themes, user=user)
            retrained = True
        except CodingError as error:
            message = str(error)
    state = assisted_queue(consultation=consultation, exclude=exclude)
    state.message, state.retrained = message or state.message, retrained
    return state


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
    # Counted before the codes are read, so a code added meanwhile makes the next look see a change.
    fingerprint = _codes_fingerprint(list(by_id))
    labels = _labels(themes)
    _require_enough_codes(labels)
    answers = db.session.scalars(
        select(Answer).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Answer.text.is_not(None))
    ).all()
    answers.sort(key=lambda a: str(a.id))
    train = [a for a in answers if a.id in labels]
    todo = [a for a in answers if a.id not in labels]
    scores, order = assisted_predictions([shown_text(a) for a in train], [sorted(labels[a.id]) for a in train],
                                         [shown_text(a) for a in todo],
                                         [_context(a) for a in train], [_context(a) for a in todo])
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
    record_event(actor=user, action=_TRAINED, target_type="consultation", target_id=consultation.id,
                 details={"coded_comments": len(train), "suggestions": stored, "codes": fingerprint[0],
                          "top_code_id": fingerprint[1]})
    db.session.flush()
    event = _last_training(consultation)  # as stored, so the key matches what other requests read back
    with _orders_lock:
        for key in [k for k in _orders if k[0] == consultation.id]:
            del _orders[key]  # only the latest training's order is worth keeping
        _orders[(consultation.id, event.id, event.at)] = [todo[i].id for i in order]
    return [todo[i].id for i in order]


def _context(answer: Answer) -> tuple[str, ...]:
    # The question an answer responds to changes what its words mean ("the officers" under "What works
    # well?" and under "What worries you?"). Who answered is left out on purpose: codes that leaned on
    # a segment would manufacture the very differences between groups that reviewers look for.
    return (f"question:{answer.question_id}",)


def assisted_predictions(train_texts: list[str], train_labels: list[list[str]], texts: list[str],
                         train_contexts: list[tuple[str, ...]] | None = None,
                         contexts: list[tuple[str, ...]] | None = None):
    """Fit the analysis library's AssistedCoder; return per-text {label: score} and indexes least certain first."""
    from engage.analysis.coding import AssistedCoder

    if not texts:
        return [], []
    try:
        coder = AssistedCoder(random_state=0, embeddings=analysis_embeddings()).fit(train_texts, train_labels,
                                                                                   train_contexts)
    except ValueError as error:  # e.g. too few coded comments for its cross-validation
        raise CodingError(_("Assisted coding could not learn from the codes yet (%(error)s).", error=error),
                          details={"reason": "fit", "error": str(error)[:300]}) from None
    suggestions = coder.suggest(texts, contexts)
    return list(suggestions.probabilities), list(suggestions.least_certain)
