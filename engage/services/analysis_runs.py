"""Analysis runs: start one, execute it in the background (a thread, or an RQ worker with Redis), store results.

Machine output (themes, per-comment scores) belongs to its run and is never written over by a later run;
reviewers' own codes live elsewhere and are untouched.

A run may cover one language or all of them. Comments are analysed per language (French stopwords and stems for
French), so a run over mixed languages has separate themes for each language; sentiment exists for English only.
What a run covered is kept in its `params`: "language" (None for all) and "groups", one per language.

Results are written in short transactions of a few hundred rows, so participants' answers are saved in between
(SQLite has one writer at a time), and the run becomes "done" only in the last one: until then, and for good if
the worker dies midway, it is not shown as finished or used anywhere. A run that stops moving for STALLED_AFTER can
be started again from its page (or an RQ job re-queued); running it again discards the partial rows first.
"""
import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable
from statistics import fmean

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    CHANNEL_VALUES,
    AnalysisRun,
    Answer,
    CommentAnalysis,
    CommentFlag,
    Consultation,
    MachineTheme,
    Question,
    QuestionKind,
    Response,
    RunStatus,
    User,
)
from engage.models.user import utcnow
from engage.services.themes import analysis_embeddings

# Response.language codes the analysis library reads (its stopwords, stemmer and sentence splitter).
ANALYSED_LANGUAGES = ("en", "fr")
# Theme discovery needs a few comments to work with; fewer in one language leaves that language without themes.
MIN_COMMENTS = 5
# How long one chunk of results may hold the write lock; chunks are resized to stay near it.
_CHUNK_SECONDS = 0.1
_CHUNK_FIRST, _CHUNK_MIN, _CHUNK_MAX = 500, 50, 5000
# SQLite: the pause between chunks in which participants' submissions take the write lock. A web process that finds
# the lock taken retries after a random 0.5-3 ms nap (engage.database), so a worker that began its next chunk at
# once won nearly every time: bench/analysis_under_load.py saw POSTs wait 1.4 s while a 100k-comment run saved.
_CHUNK_PAUSE = 0.02
# A run whose progress has not moved for this long has lost its worker (a restarted web process or a killed job).
STALLED_AFTER = dt.timedelta(minutes=10)

# Progress messages are stored in English and translated when shown (`_(run.message)` in the run page).
_READING, _SCORING, _THEMES = _l("Reading comments"), _l("Scoring sentiment"), _l("Finding themes")
_CHECKING, _SAVING, _FINISHED = _l("Checking for personal details and safety concerns"), _l("Saving results"), _l("Finished")
_STOPPED = _l("The analysis stopped because of an error.")
_WAITING = _l("Waiting to start")
_TOO_FEW = _l("There are too few comments to analyse: at least 5 are needed.")

ChunkHook = Callable[[int, int], None]


class RunError(Exception):
    """A run that cannot be started; the message is safe to show."""


def comment_languages(*, consultation_id: int) -> list[str]:
    """Language codes of the comments in a consultation that the analysis can read, in a fixed order."""
    present = set(db.session.scalars(
        select(Response.language).join(Answer, Answer.response_id == Response.id)
        .where(Response.consultation_id == consultation_id, Answer.text.is_not(None)).distinct()
    ))
    return [code for code in ANALYSED_LANGUAGES if code in present]


def start_analysis(*, consultation: Consultation, user: User | None, question_id: int | None = None,
                   n_themes: int | None = None, channels: list[str] | None = None,
                   language: str | None = None) -> AnalysisRun:
    """Create a queued run with the next version number for this consultation.

    `channels` limits the run to comments that came in through those channels (None: all of them), and
    `language` ("en", "fr") to comments written in that language (None: all, each analysed in its own language).
    """
    if channels is not None and (not channels or set(channels) - set(CHANNEL_VALUES)):
        raise RunError(_l("Choose at least one channel to analyse."))
    if question_id is not None:
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != consultation.id or question.kind != QuestionKind.TEXT.value:
            raise RunError(_l("Choose one of this consultation's open-text questions."))
    if n_themes is not None and not 2 <= n_themes <= 60:
        raise RunError(_l("The number of themes must be between 2 and 60, or left empty to choose automatically."))
    if language is not None and language not in ANALYSED_LANGUAGES:
        raise RunError(_l("The analysis reads English and French comments only."))
    begin_write()
    latest = db.session.scalar(select(func.max(AnalysisRun.version)).where(AnalysisRun.consultation_id == consultation.id))
    run = AnalysisRun(
        consultation_id=consultation.id, version=(latest or 0) + 1, question_id=question_id,
        params={"n_themes": n_themes, "channels": sorted(channels) if channels else None, "language": language},
        started_by_id=user.id if user else None,
    )
    db.session.add(run)
    db.session.flush()
    return run


def is_stalled(run: AnalysisRun, *, now: dt.datetime | None = None) -> bool:
    """Whether a queued or running run has shown no progress for STALLED_AFTER (its worker is gone)."""
    if run.status not in (RunStatus.QUEUED.value, RunStatus.RUNNING.value):
        return False
    beat = (run.params or {}).get("heartbeat")
    last = dt.datetime.fromisoformat(beat) if beat else run.created_at
    return (now or utcnow()) - last > STALLED_AFTER


def restart_run(*, run: AnalysisRun) -> AnalysisRun:
    """Queue a failed or stalled run again; the caller commits and dispatches it. Its partial output goes when it runs."""
    if not (run.status == RunStatus.FAILED.value or is_stalled(run)):
        raise RunError(_l("Only a run that failed or stopped moving can be started again."))
    begin_write()
    run.status, run.progress, run.message, run.error, run.finished_at = RunStatus.QUEUED.value, 0.0, str(_WAITING), "", None
    run.params = {**run.params, "heartbeat": utcnow().isoformat()}
    db.session.flush()
    return run


def dispatch_run(*, run_id: int) -> str:
    """Run in the background: as an RQ job when REDIS_URL is set, else on a thread. Returns which."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        from engage.jobs import QUEUE_NAME

        Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
            "engage.jobs.execute_run_job", run_id, job_timeout=3600
        )
        return "rq"
    thread = threading.Thread(target=_execute_in_app, args=(app, run_id), name=f"analysis-run-{run_id}", daemon=True)
    thread.start()
    return "thread"


def _execute_in_app(app, run_id: int) -> None:
    with app.app_context():
        execute_run(run_id=run_id)


def execute_run(*, run_id: int, chunk_size: int | None = None, on_chunk: ChunkHook | None = None) -> AnalysisRun | None:
    """Do the analysis for a queued run and store its output; failures are recorded on the run, not raised.

    Results are committed in chunks (`chunk_size` rows, or sized to hold the write lock about 0.1 s), calling
    `on_chunk(rows_stored, rows_total)` after each commit. A run left half-stored by a worker that
    died is started over: its partial output is discarded first. A finished run is left as it is.
    """
    run = db.session.get(AnalysisRun, run_id)
    if run is None:  # deleted, or a job for another database: nothing to do
        current_app.logger.warning("Analysis run %s does not exist", run_id)
        return None
    if run.status == RunStatus.DONE.value:  # a duplicate job
        return run
    last_report = [0.0]

    def report(fraction: float, message, *, force: bool = False) -> None:
        # Progress is committed at most twice a second, so a fast run does not spend its time writing it.
        if force or time.monotonic() - last_report[0] > 0.5:
            last_report[0] = time.monotonic()
            begin_write()
            run = db.session.get(AnalysisRun, run_id)
            run.status = RunStatus.RUNNING.value
            run.progress, run.message = max(0.0, min(1.0, fraction)), str(message)[:200]
            run.params = {**run.params, "heartbeat": utcnow().isoformat()}
            db.session.commit()

    try:
        if _has_output(run_id):  # an earlier attempt died midway
            _discard_output(run_id)
        report(0.0, _READING, force=True)
        run = db.session.get(AnalysisRun, run_id)
        found = _analyse(run, report)
        report(0.95, _SAVING, force=True)
        _store(run_id, found, chunk_size=chunk_size, on_chunk=on_chunk,
               progress=lambda f: report(0.95 + 0.05 * f, _SAVING))
        begin_write()
        run = db.session.get(AnalysisRun, run_id)
        run.params = {**run.params, "groups": found["groups"]}
        run.status, run.progress, run.message = RunStatus.DONE.value, 1.0, str(_FINISHED)
        run.n_comments, run.finished_at = len(found["ids"]), utcnow()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 (a failed run is shown to reviewers, never lost)
        db.session.rollback()
        if not isinstance(error, RunError):
            current_app.logger.exception("Analysis run %s failed", run_id)
        _discard_output(run_id)
        begin_write()
        run = db.session.get(AnalysisRun, run_id)
        run.status, run.finished_at = RunStatus.FAILED.value, utcnow()
        run.message = str(error)[:200] if isinstance(error, RunError) else str(_STOPPED)
        run.error = "" if isinstance(error, RunError) else traceback.format_exc(limit=5)[-4000:]
        db.session.commit()
    return run


def _analyse(run: AnalysisRun, report) -> dict:
    """Themes per language group, sentiment where the language has it, and personal details for every comment."""
    from engage.analysis.pii import find_safeguarding, pii_kinds
    from engage.analysis.sentiment import score_sentiment, sentiment_available
    from engage.analysis.themes import discover_themes

    comments = _load_comments(run)
    if len(comments) < MIN_COMMENTS:
        raise RunError(_TOO_FEW)
    ids = [c[0] for c in comments]
    texts = [c[1] for c in comments]
    by_language: dict[str, list[int]] = {}
    for row, (_, _, language) in enumerate(comments):
        by_language.setdefault(language, []).append(row)
    if max(len(rows) for rows in by_language.values()) < MIN_COMMENTS:
        raise RunError(_TOO_FEW)
    schools = db.session.get(Consultation, run.consultation_id).school_names
    sentiment: list[float | None] = [None] * len(texts)
    memberships: list[tuple] = [()] * len(texts)
    non_answer = [False] * len(texts)
    themes, groups = [], []
    order = {code: n for n, code in enumerate(ANALYSED_LANGUAGES)}
    languages = sorted(by_language, key=lambda code: (order.get(code, len(order)), code))
    for n, language in enumerate(languages):
        rows = by_language[language]
        step = lambda f, n=n: (0.05 + 0.8 * (n + f) / len(languages))  # noqa: E731
        group = {"language": language, "comments": len(rows), "themes": [],
                 "sentiment": sentiment_available(language)}
        groups.append(group)
        if language not in ANALYSED_LANGUAGES or len(rows) < MIN_COMMENTS:
            continue  # stored without themes; the run page says why
        group_texts = [texts[row] for row in rows]
        report(step(0.0), _SCORING)
        for row, score in zip(rows, score_sentiment(group_texts, language=language, workers=1)):
            sentiment[row] = score
        report(step(0.15), _THEMES)
        result = discover_themes(group_texts, n_themes=run.params.get("n_themes"), random_state=run.version,
                                 language=language, embeddings=analysis_embeddings(language),
                                 progress=lambda f, m, step=step: report(step(0.15 + 0.85 * f), _THEMES))
        offset = len(themes)
        for row, members, empty in zip(rows, result.memberships, result.non_answer):
            memberships[row] = tuple((offset + t, score) for t, score in members)
            non_answer[row] = bool(empty)
        for theme in result.themes:
            member_scores = [sentiment[rows[i]] for i, m in enumerate(result.memberships) if any(t == theme.id for t, _ in m)]
            member_scores = [s for s in member_scores if s is not None]
            themes.append({"position": offset + theme.id, "label": theme.label, "keywords": list(theme.keywords),
                           "size": theme.size, "mean_sentiment": fmean(member_scores) if member_scores else None,
                           "quote_answer_ids": [str(ids[rows[q]]) for q in theme.quotes]})
            group["themes"].append(offset + theme.id)
    report(0.88, _CHECKING)
    pii = [pii_kinds(t, schools=schools) for t in texts]
    flags = [[f.kind for f in find_safeguarding(t)] for t in texts]
    return {"ids": ids, "sentiment": sentiment, "memberships": memberships, "non_answer": non_answer, "pii": pii,
            "flags": flags, "themes": themes, "groups": groups}


def _load_comments(run: AnalysisRun) -> list[tuple]:
    """(answer id, text, language code) of the comments the run covers, in a stable order."""
    query = (
        select(Answer.id, Answer.text, Response.language)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == run.consultation_id, Answer.text.is_not(None))
        .order_by(Answer.id)  # a stable order, so a run is reproducible
    )
    if run.question_id is not None:
        query = query.where(Answer.question_id == run.question_id)
    if run.params.get("channels"):
        query = query.where(Response.channel.in_(run.params["channels"]))
    if run.params.get("language"):
        query = query.where(Response.language == run.params["language"])
    return [(answer_id, text, (language or "en").lower()) for answer_id, text, language in db.session.execute(query)]


def _flag_comments(ids, pii, flags) -> None:
    """Open a flag for personal details or a possible safeguarding concern, once per comment and kind."""
    wanted = {(answer_id, "pii"): kinds for answer_id, kinds in zip(ids, pii) if kinds}
    wanted |= {(answer_id, "safeguarding"): kinds for answer_id, kinds in zip(ids, flags) if kinds}
    if not wanted:
        return
    existing = {tuple(row) for row in db.session.execute(
        select(CommentFlag.answer_id, CommentFlag.kind).where(CommentFlag.answer_id.in_({a for a, _ in wanted}))
    )}
    db.session.add_all(
        CommentFlag(answer_id=answer_id, kind=kind, source="machine", details=sorted(set(kinds)))
        for (answer_id, kind), kinds in wanted.items() if (answer_id, kind) not in existing
    )


def _store(run_id: int, found: dict, *, chunk_size: int | None, on_chunk: ChunkHook | None,
           progress: Callable[[float], None]) -> None:
    """Write the run's themes, then its per-comment rows and flags in short transactions, one per chunk."""
    begin_write()
    machine = [MachineTheme(run_id=run_id, **theme) for theme in found["themes"]]
    db.session.add_all(machine)
    db.session.flush()
    theme_ids = {t.position: t.id for t in machine}
    db.session.commit()

    ids = found["ids"]
    # Rows are built before any lock is taken; each chunk then only inserts.
    rows = [
        {"run_id": run_id, "answer_id": answer_id,
         "theme_scores": [[theme_ids[t], round(float(score), 4)] for t, score in found["memberships"][i]],
         "sentiment": found["sentiment"][i], "non_answer": found["non_answer"][i], "pii": found["pii"][i],
         "safeguarding": found["flags"][i]}
        for i, answer_id in enumerate(ids)
    ]
    size, start = chunk_size or _CHUNK_FIRST, 0
    while start < len(rows):
        end = min(len(rows), start + size)
        begin_write()
        began = time.perf_counter()
        db.session.execute(insert(CommentAnalysis), rows[start:end])
        _flag_comments(ids[start:end], found["pii"][start:end], found["flags"][start:end])
        db.session.commit()
        held = time.perf_counter() - began
        start = end
        if start < len(rows) and db.engine.dialect.name == "sqlite":
            time.sleep(_CHUNK_PAUSE)
        if chunk_size is None:  # aim for _CHUNK_SECONDS a chunk, changing size by at most 4x at a time
            size = int(min(_CHUNK_MAX, max(_CHUNK_MIN, size * min(4.0, max(0.25, _CHUNK_SECONDS / max(held, 1e-4))))))
        if on_chunk is not None:
            on_chunk(start, len(rows))
        progress(start / len(rows))


def _has_output(run_id: int) -> bool:
    return any(db.session.scalar(select(model.run_id).where(model.run_id == run_id).limit(1)) is not None
               for model in (MachineTheme, CommentAnalysis))


def _discard_output(run_id: int) -> None:
    """Delete a run's per-comment rows and themes, a chunk per transaction (flags stay: they are real findings)."""
    while True:
        begin_write()
        batch = select(CommentAnalysis.answer_id).where(CommentAnalysis.run_id == run_id).limit(_CHUNK_FIRST)
        gone = db.session.execute(
            delete(CommentAnalysis).where(CommentAnalysis.run_id == run_id, CommentAnalysis.answer_id.in_(batch))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not gone:
            break
    begin_write()
    db.session.execute(delete(MachineTheme).where(MachineTheme.run_id == run_id).execution_options(synchronize_session=False))
    db.session.commit()
