"""Load benchmark for the participant journey under gunicorn: submissions per second, latency, and row counts.

Each virtual participant keeps its own connection, starts a new browser session (cookie), GETs the form,
reads its CSRF token and one-time submission key, and POSTs answers. The per-address submission limit is
lifted for the run, because every virtual participant shares 127.0.0.1; the per-session limit stays on. One in twenty resends the same POST, as a double click does.
After the run every acknowledged submission must be stored exactly once.

    .venv/bin/python bench/intake_load.py                       # SQLite, 16 and 200 connections, 15 s each
    .venv/bin/python bench/intake_load.py --database-url postgresql://postgres@127.0.0.1:55432/bench
    .venv/bin/python bench/intake_load.py --postgres            # a throwaway PostgreSQL cluster (needs its binaries)

Targets (issue 7): at least 300 submissions/s at 16 connections with p99 <= 500 ms; no errors at 200.
"""
import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from _loadgen import ROOT, SLUG, free_port, latency_row, load_average, run_level
from _servers import (
    Postgres, app_env, count_rows, cpu_seconds, prepare_database, remove_sqlite_files, start_gunicorn,
    stop_process_group, throwaway_postgres,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="16,200", help="comma-separated connection counts")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each level")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster for the run")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        database_url, postgres = args.database_url, None
        if args.postgres:
            postgres = stack.enter_context(throwaway_postgres())
            database_url = postgres.url
        return run(args, database_url, postgres)


def run(args, database_url: str | None, postgres: Postgres | None = None) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="engage-load-"))
    port = free_port()
    env = app_env(database_url or f"sqlite:///{workdir / 'engage.db'}", port,
                  workers=args.workers, threads=args.threads)
    prepare_database(env, empty_postgres=bool(database_url))
    before = count_rows(env)

    boot_log = workdir / "worker-boots.log"
    env["ENGAGE_BENCH_BOOT_LOG"] = str(boot_log)
    server = start_gunicorn(env, conf=Path(__file__).resolve().parent / "_gunicorn_timing.py")
    try:
        # Measure serving, not starting: the master listens before its workers have loaded the app, and a
        # worker's first requests compile templates and fill caches. Wait for every worker, then warm them all.
        _wait_for_workers(boot_log, int(env.get("WEB_CONCURRENCY") or _conf_workers()), server)
        asyncio.run(run_level("127.0.0.1", port, SLUG, 16, 3.0))  # warm-up, not reported
        acknowledged: set[str] = set()
        print(f"database: {env['DATABASE_URL'].split('://')[0]}  cores: {os.cpu_count()}  "
              f"gunicorn workers: {env.get('WEB_CONCURRENCY', 'conf default')}  threads: {env.get('GUNICORN_THREADS', 'conf default')}")
        print(f"{'conns':>5} {'seconds':>7} {'subs':>6} {'subs/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'GET p99':>7} {'resent':>6} errors")
        warmup = count_rows(env) - before
        cpu_lines = []
        for level in [int(x) for x in args.levels.split(",")]:
            cpu_before = _cpu(server.pid, postgres)
            stats, elapsed = asyncio.run(run_level("127.0.0.1", port, SLUG, level, args.seconds))
            cpu_lines.append(_cpu_line(level, cpu_before, _cpu(server.pid, postgres), len(stats.acknowledged)))
            acknowledged |= stats.acknowledged
            print(f"{level:>5} {elapsed:>7.1f} {latency_row(stats, elapsed)} "
                  f"{stats.resent:>6} {sum(stats.errors.values())} {stats.errors or ''}")
    finally:
        stop_process_group(server)
    stored = count_rows(env) - before - warmup
    remove_sqlite_files(workdir)
    boot_log.unlink(missing_ok=True)
    workdir.rmdir()
    verdict = "OK" if stored == len(acknowledged) else "MISMATCH"
    print(f"acknowledged submissions: {len(acknowledged)}  rows stored: {stored}  -> {verdict} "
          "(each acknowledged submission stored exactly once; resent forms added nothing)")
    for line in cpu_lines:
        print(line)
    print(f"load average (1, 5, 15 min) at the end: {load_average()} on {os.cpu_count()} cores")
    return 0 if verdict == "OK" else 1


def _conf_workers() -> int:
    """gunicorn.conf.py's default worker count (its `workers`), without WEB_CONCURRENCY."""
    settings: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)  # noqa: S102
    return settings["workers"]


def _wait_for_workers(boot_log: Path, workers: int, server, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        if boot_log.exists() and len(boot_log.read_text().splitlines()) >= workers:
            return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn's {workers} workers were not all serving after {seconds:.0f} s")


def _cpu(server_pid: int, postgres: Postgres | None) -> tuple[float, float | None, float]:
    """CPU seconds so far of gunicorn (master and workers), PostgreSQL (when we started it) and this script."""
    return cpu_seconds(server_pid), cpu_seconds(postgres.pid()) if postgres else None, time.process_time()


def _cpu_line(level: int, before: tuple, after: tuple, submissions: int) -> str:
    """CPU per acknowledged submission: a figure that, unlike throughput, barely depends on other load."""
    if not submissions:
        return f"{level} connections: no submissions"
    server, database, client = ((a - b) * 1000 / submissions if a is not None else None for a, b in zip(after, before))
    per_submission = server + (database or 0)
    return (f"CPU per acknowledged submission (its GET and POST) at {level} connections: gunicorn {server:.1f} ms"
            + (f", PostgreSQL {database:.1f} ms" if database is not None else "")
            + f", load generator {client:.1f} ms -> the app{' and database' if database is not None else ''} alone "
            f"could take about {os.cpu_count() * 1000 / per_submission:.0f} submissions/s on {os.cpu_count()} free cores")


if __name__ == "__main__":
    sys.exit(main())
