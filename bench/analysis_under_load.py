"""Submission latency while an RQ worker analyses 100k comments, beside the same load with the worker idle.

The database gets the demo form (for the virtual participants) and a second consultation with --comments
comments (resampled from the shared NHS and Polis English data, or made-up sentences if that is missing),
bulk-inserted with SQL. gunicorn (production configuration) and one RQ worker (`flask --app engage worker`)
share a throwaway redis-server. First a baseline: --connections participants for --seconds with nothing
else running. Then an analysis run of all those comments is queued, and the same load runs from the moment
the worker starts it until it has stored its results. Latency is also shown per stage of the run.

    .venv/bin/python bench/analysis_under_load.py                  # SQLite, 100k comments, 16 connections
    .venv/bin/python bench/analysis_under_load.py --postgres       # a throwaway PostgreSQL cluster
    .venv/bin/python bench/analysis_under_load.py --worker-nice 10 # the worker at a lower CPU priority

Target (issue 7): the analysis does not push submission p99 above 1 s. The p99 is also shown corrected for
coordinated omission (a participant stuck behind a stall sends nothing, so a plain p99 hides the stall), and
the verdict uses the corrected one. Exits 1 if it is above 1 s, or if the run fails.
"""
import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _checks import check_store
from _loadgen import (
    BIN, ROOT, SLUG, Connection, corrected_for_omission, expected_rows, free_port, latency_row, load_average,
    longest_gap, percentile, run_level, run_participants,
)
from _servers import (
    app_env, engine_for, prepare_database, remove_sqlite_files, start_gunicorn, stop_process_group,
    throwaway_postgres, throwaway_redis,
)

DATA = Path(os.environ.get("ENGAGE_SHARED_DATA", ROOT.parent / "shared" / "data"))
BENCH_SLUG = "bench-analysis"
WORDS = ("officer school student safe feel police teacher hallway lunch counsellor trust talk friends scared "
         "program uniform help report bullying fight lockdown class parent community fair watch").split()


def comment_pool() -> list[str]:
    """Real comments from ../shared/data when present (as bench/analysis_speed.py reads them), else made-up ones."""
    texts = []
    with contextlib.suppress(FileNotFoundError):
        with open(DATA / "nhs-fft-patient-feedback" / "phase2_multilabel_compact.csv", encoding="utf-8-sig", newline="") as f:
            texts += [row["text"] for row in csv.DictReader(f) if row["text"].strip()]
        with open(DATA / "polis-opendata" / "comments.csv", encoding="utf-8-sig", newline="") as f:
            texts += [row["text"] for row in csv.DictReader(f) if row["language"] == "en" and row["text"].strip()]
    if texts:
        return texts
    rng = random.Random(1)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "." for _ in range(5000)]


def seed_comments(app, n_comments: int) -> tuple[int, float]:
    """Bulk-insert a consultation with one open-text question and n_comments answers; (its id, seconds)."""
    from sqlalchemy import insert

    from engage.extensions import db
    from engage.models import Answer, Consultation, Question, Response

    started = time.perf_counter()
    pool, rng, today = comment_pool(), random.Random(0), dt.date.today()
    with app.app_context():
        consultation = Consultation(slug=BENCH_SLUG, title="Bench: analysis under load", status="closed")
        consultation.questions = [Question(position=0, kind="text", prompt="What should change?")]
        db.session.add(consultation)
        db.session.flush()
        question_id, batch = consultation.questions[0].id, 10_000
        for start in range(0, n_comments, batch):
            responses, answers = [], []
            for _ in range(start, min(start + batch, n_comments)):
                response_id = uuid.uuid4()
                responses.append({"id": response_id, "consultation_id": consultation.id, "channel": "online",
                                  "submitted_on": today, "language": "en", "is_demo": False})
                answers.append({"id": uuid.uuid4(), "response_id": response_id, "question_id": question_id,
                                "text": rng.choice(pool)})
            db.session.execute(insert(Response), responses)
            db.session.execute(insert(Answer), answers)
        db.session.commit()
        return consultation.id, time.perf_counter() - started


def queue_run(app, consultation_id: int, n_themes: int | None) -> int:
    from engage.extensions import db
    from engage.models import Consultation
    from engage.services.analysis_runs import dispatch_run, start_analysis

    with app.app_context():
        run = start_analysis(consultation=db.session.get(Consultation, consultation_id), user=None, n_themes=n_themes)
        db.session.commit()
        if dispatch_run(run_id=run.id) != "rq":
            raise SystemExit("the run was not queued for RQ (is REDIS_URL set?)")
        return run.id


class RunWatcher(threading.Thread):
    """Polls the run twice a second and keeps (time, status, message) whenever either changes."""

    def __init__(self, database_url: str, run_id: int):
        super().__init__(daemon=True)
        self.engine, self.run_id = engine_for(database_url), run_id
        self.stages: list[tuple[float, str, str]] = []
        self.finished = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text

        query = text("SELECT status, message, n_comments FROM analysis_runs WHERE id = :id")
        while not self.stop.is_set():
            with self.engine.connect() as connection:
                status, message, self.n_comments = connection.execute(query, {"id": self.run_id}).one()
            if not self.stages or self.stages[-1][1:] != (status, message):
                self.stages.append((time.perf_counter(), status, message))
            if status in ("done", "failed"):
                self.finished.set()
                return
            time.sleep(0.5)

    def started_at(self) -> float | None:
        return next((t for t, status, _ in self.stages if status != "queued"), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the baseline")
    parser.add_argument("--themes", type=int, default=None, help="themes to find (default: chosen by the run)")
    parser.add_argument("--max-seconds", type=float, default=1800, help="give up on the run after this long")
    parser.add_argument("--worker-nice", type=int, default=0, help="run the RQ worker under nice -n N")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster for the run")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        database_url = args.database_url
        if args.postgres:
            database_url = stack.enter_context(throwaway_postgres()).url
        redis_url = stack.enter_context(throwaway_redis())
        return run(args, database_url, redis_url)


def run(args, database_url: str | None, redis_url: str) -> int:
    from engage import create_app

    workdir = Path(tempfile.mkdtemp(prefix="engage-analysis-load-"))
    port = free_port()
    env = app_env(database_url or f"sqlite:///{workdir / 'engage.db'}", port, workers=args.workers,
                  threads=args.threads, redis_url=redis_url)
    prepare_database(env, empty_postgres=bool(database_url))
    app = create_app("production", SQLALCHEMY_DATABASE_URI=_sqlalchemy_url(env["DATABASE_URL"]),
                     SECRET_KEY=env["SECRET_KEY"], REDIS_URL=redis_url)
    if database_url:  # a database handed to us may hold an earlier run's bench consultation
        with app.app_context():
            from engage.extensions import db
            from engage.models import Consultation

            db.session.query(Consultation).filter_by(slug=BENCH_SLUG).delete()
            db.session.commit()
    consultation_id, seeded = seed_comments(app, args.comments)
    print(f"database: {env['DATABASE_URL'].split('://')[0]}  cores: {os.cpu_count()}  gunicorn workers: "
          f"{env.get('WEB_CONCURRENCY', 'conf default')}  RQ workers: 1 (nice {args.worker_nice})  "
          f"{args.comments:,} comments inserted in {seeded:.1f} s  load average: {load_average()}")

    print(f"logs: {workdir}/gunicorn.log, {workdir}/worker.log")
    server = start_gunicorn(env, workdir / "gunicorn.log")
    with open(workdir / "worker.log", "ab") as log:
        worker = subprocess.Popen(["nice", "-n", str(args.worker_nice), str(BIN / "flask"), "--app", "engage", "worker"],
                                  env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)
    acknowledged, attempted = set(), set()
    try:
        page = asyncio.run(_get(port, f"/c/{SLUG}/respond"))
        warm, _ = asyncio.run(run_level("127.0.0.1", port, SLUG, 2, 2.0, tag=True))  # warm-up, not reported
        base_started = time.perf_counter()
        baseline, base_elapsed = asyncio.run(run_level("127.0.0.1", port, SLUG, args.connections, args.seconds, tag=True))
        base_load = load_average()

        run_id = queue_run(app, consultation_id, args.themes)
        queued = time.perf_counter()
        watcher = RunWatcher(env["DATABASE_URL"], run_id)
        watcher.start()
        while watcher.started_at() is None and time.perf_counter() - queued < 120:
            time.sleep(0.1)
        if watcher.started_at() is None:
            print("the worker did not start the run within 120 s")
            return 1
        busy_started = time.perf_counter()
        give_up = busy_started + args.max_seconds
        busy, busy_elapsed = asyncio.run(run_participants(
            "127.0.0.1", port, SLUG, args.connections,
            lambda: not watcher.finished.is_set() and time.perf_counter() < give_up, tag=True))
        busy_load = load_average()
        watcher.stop.set()
        for stats in (warm, baseline, busy):
            acknowledged |= stats.acknowledged
            attempted |= stats.attempted
    finally:
        stop_process_group(worker, wait=10)
        stop_process_group(server)

    store = check_store(env["DATABASE_URL"], env["SECRET_KEY"], SLUG, acknowledged, attempted, expected_rows(page))
    with app.app_context():
        from engage.extensions import db

        db.engine.dispose()
    remove_sqlite_files(workdir)
    return report(args, (baseline, base_started, base_elapsed, base_load), (busy, busy_started, busy_elapsed, busy_load),
                  watcher, store)


def _sqlalchemy_url(url: str) -> str:
    from config import database_url

    return database_url(url)


async def _get(port: int, path: str) -> bytes:
    connection = Connection("127.0.0.1", port, timeout=60)
    try:
        status, _, page = await connection.request("GET", path)
    finally:
        await connection.close()
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    return page


def report(args, base: tuple, during: tuple, watcher: RunWatcher, store) -> int:
    """Print both load runs, latency per stage of the analysis, and the verdict; 0 when the target is met."""
    baseline, base_started, base_elapsed, base_load = base
    busy, busy_started, busy_elapsed, busy_load = during
    print(f"\n{'':30} {'conns':>5} {'seconds':>7} {'subs':>6} {'subs/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'GET p99':>7} {'max ms':>7} errors  load average")
    print(f"{'baseline (worker idle)':30} {args.connections:>5} {base_elapsed:>7.1f} {latency_row(baseline, base_elapsed)} "
          f"{max(baseline.post_latencies, default=0) * 1000:>7.0f} {sum(baseline.errors.values()):>6}  {base_load}")
    print(f"{'during the analysis run':30} {args.connections:>5} {busy_elapsed:>7.1f} {latency_row(busy, busy_elapsed)} "
          f"{max(busy.post_latencies, default=0) * 1000:>7.0f} {sum(busy.errors.values()):>6}  {busy_load}")
    stages = watcher.stages
    status = stages[-1][1] if stages else "unknown"
    started = watcher.started_at()
    print(f"\nanalysis run: {status}, {getattr(watcher, 'n_comments', 0):,} comments, "
          f"{stages[-1][0] - started:.1f} s from start to finish under load" if started else "analysis run did not start")
    heading = "stage (the run's progress message)"
    print(f"{heading:52} {'seconds':>7} {'POSTs':>6} {'p99 ms':>7} {'max ms':>7}  "
          "(POSTs that began in the stage)")
    starts = [t - latency for t, latency in zip(busy.post_times, busy.post_latencies)]
    for (began, state, message), (ended, _, _) in zip(stages, stages[1:] + [(float("inf"), "", "")]):
        if state == "queued":
            continue
        inside = [lat for s, lat in zip(starts, busy.post_latencies) if began <= s < ended]
        end = ended if ended != float("inf") else began
        print(f"{message[:52]:52} {end - began:>7.1f} {len(inside):>6} {percentile(inside, 99) * 1000:>7.0f} "
              f"{max(inside, default=0) * 1000:>7.0f}")
    # How often one participant sends a form when nothing stalls, from the baseline.
    interval = args.connections * base_elapsed / max(1, len(baseline.post_latencies))
    print(f"\n{'':30} {'p99 ms':>7} {'p99 corrected ms':>16} {'longest stall s':>15}   (corrected: the forms stalled "
          f"participants would have sent, one per {interval * 1000:.0f} ms each, counted at the wait they would have had)")
    p99s = {}
    for name, stats, began, elapsed in (("baseline (worker idle)", baseline, base_started, base_elapsed),
                                        ("during the analysis run", busy, busy_started, busy_elapsed)):
        p99s[name] = percentile(corrected_for_omission(stats.post_latencies, interval), 99)
        print(f"{name:30} {percentile(stats.post_latencies, 99) * 1000:>7.0f} {p99s[name] * 1000:>16.0f} "
              f"{longest_gap(stats.ack_times, began, began + elapsed):>15.1f}")
    p99 = p99s["during the analysis run"]
    ok_store = store.ok and not store.lost and not store.duplicated
    print(f"\nacknowledged submissions: {store.acknowledged}  stored exactly once: {store.stored_once}  "
          f"lost: {len(store.lost)}  duplicated: {len(store.duplicated)}  -> {'OK' if ok_store else 'MISMATCH'}")
    met = status == "done" and p99 <= 1.0
    print(f"target: submission p99 <= 1000 ms while the analysis runs (corrected): {p99 * 1000:.0f} ms -> "
          f"{'met' if met else 'NOT met'}{'' if status == 'done' else f' (the run ended {status})'}")
    return 0 if met and ok_store else 1


if __name__ == "__main__":
    sys.exit(main())
