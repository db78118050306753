"""Analysis runs: start one, execute it in the background (a thread, or an RQ worker with Redis), store results.

Machine output (themes, per-comment scores) belongs to its run and is never written over by a later run;
reviewers' own codes live elsewhere and are untouched.
"""
import threading
import time
import traceback
from statistics import fmean

from flask import current_app
from sqlalchemy import func, select

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


class RunError(Exception):
    """A run that cannot be started; the message is safe to show."""


def start_analysis(*, consultation: Consultation, user: User | None, question_id: int | None = None,
                   n_themes: int | None = None, channels: list[str] | None = None) -> AnalysisRun:
    """Create a queued run with the next version number for this consultation.

    `channels` limits the run to comments that came in through those channels (None: all of them).
    """
    if channels is not None and (not channels or set(channels) - set(CHANNEL_VALUES)):
        raise RunError("Choose at least one channel to analyse.")
    if question_id is not None:
        question = db.session.get(Question, question_id)
        if question is None or question.consultation_id != consultation.id or question.kind != QuestionKind.TEXT.value:
            raise RunError("Choose one of this consultation's open-text questions.")
    if n_themes is not None and not 2 <= n_themes <= 60:
        raise RunError("The number of themes must be between 2 and 60, or left empty to choose automatically.")
    begin_write()
    latest = db.session.scalar(select(func.max(AnalysisRun.version)).where(AnalysisRun.consultation_id == consultation.id))
    run = AnalysisRun(
        consultation_id=consultation.id, version=(latest or 0) + 1, question_id=question_id,
        params={"n_themes": n_themes, "channels": sorted(channels) if channels else None},
        started_by_id=user.id if user else None,
    )
    db.session.add(run)
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


def execute_run(*, run_id: int) -> AnalysisRun | None:
    """Do the analysis for a queued run and store its output; failures are recorded on the run, not raised."""
    from engage.analysis.pii import find_safeguarding, pii_kinds
    from engage.analysis.sentiment import score_sentiment
    from engage.analysis.themes import discover_themes

    run = db.session.get(AnalysisRun, run_id)
    if run is None:  # deleted, or a job for another database: nothing to do
        current_app.logger.warning("Analysis run %s does not exist", run_id)
        return None
    last_report = [0.0]

    def report(fraction: float, message: str, *, force: bool = False) -> None:
        # Progress is committed at most twice a second, so a fast run does not spend its time writing it.
        if force or time.monotonic() - last_report[0] > 0.5:
            last_report[0] = time.monotonic()
            begin_write()
            run.status = RunStatus.RUNNING.value
            run.progress, run.message = max(0.0, min(1.0, fraction)), message[:200]
            db.session.commit()

    try:
        report(0.0, "Reading comments", force=True)
        comments = _load_comments(run)
        if len(comments) < 5:
            raise RunError(f"There are only {len(comments)} comments to analyse; at least 5 are needed.")
        ids = [c[0] for c in comments]
        texts = [c[1] for c in comments]
        schools = db.session.get(Consultation, run.consultation_id).school_names
        report(0.05, "Scoring sentiment")
        sentiment = score_sentiment(texts, workers=1)
        report(0.15, "Finding themes")
        result = discover_themes(
            texts, n_themes=run.params.get("n_themes"), random_state=run.version,
            progress=lambda f, m: report(0.15 + 0.7 * f, m),
        )
        report(0.88, "Checking for personal details and safety concerns")
        pii = [pii_kinds(t, schools=schools) for t in texts]
        flags = [[f.kind for f in find_safeguarding(t)] for t in texts]
        report(0.95, "Saving results", force=True)
        _store(run, ids, sentiment, result, pii, flags)
        run.status, run.progress, run.message = RunStatus.DONE.value, 1.0, "Finished"
        run.n_comments, run.finished_at = len(texts), utcnow()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 (a failed run is shown to reviewers, never lost)
        db.session.rollback()
        run = db.session.get(AnalysisRun, run_id)
        begin_write()
        run.status, run.finished_at = RunStatus.FAILED.value, utcnow()
        run.message = str(error)[:200] if isinstance(error, RunError) else "The analysis stopped because of an error."
        run.error = "" if isinstance(error, RunError) else traceback.format_exc(limit=5)[-4000:]
        db.session.commit()
        if not isinstance(error, RunError):
            current_app.logger.exception("Analysis run %s failed", run_id)
    return run


def _load_comments(run: AnalysisRun) -> list[tuple]:
    query = (
        select(Answer.id, Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == run.consultation_id, Answer.text.is_not(None))
        .order_by(Answer.id)  # a stable order, so a run is reproducible
    )
    if run.question_id is not None:
        query = query.where(Answer.question_id == run.question_id)
    if run.params.get("channels"):
        query = query.where(Response.channel.in_(run.params["channels"]))
    return [tuple(row) for row in db.session.execute(query)]


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


def _store(run: AnalysisRun, ids, sentiment, result, pii, flags) -> None:
    begin_write()
    run = db.session.get(AnalysisRun, run.id)
    machine = []
    for theme in result.themes:
        member_scores = [sentiment[i] for i, m in enumerate(result.memberships) if any(t == theme.id for t, _ in m)]
        member_scores = [s for s in member_scores if s is not None]
        machine.append(MachineTheme(
            run_id=run.id, position=theme.id, label=theme.label, keywords=list(theme.keywords), size=theme.size,
            mean_sentiment=fmean(member_scores) if member_scores else None,
            quote_answer_ids=[str(ids[q]) for q in theme.quotes],
        ))
    db.session.add_all(machine)
    db.session.flush()
    theme_ids = {t.position: t.id for t in machine}
    _flag_comments(ids, pii, flags)
    db.session.add_all(
        CommentAnalysis(
            run_id=run.id, answer_id=answer_id,
            theme_scores=[[theme_ids[t], round(float(score), 4)] for t, score in result.memberships[i]],
            sentiment=sentiment[i], non_answer=bool(result.non_answer[i]), pii=pii[i], safeguarding=flags[i],
        )
        for i, answer_id in enumerate(ids)
    )
    db.session.flush()
