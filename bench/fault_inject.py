"""Fault injection under load: SIGKILL gunicorn workers at random and restart PostgreSQL, then check nothing was lost.

Virtual participants submit the demo form through gunicorn (production configuration, several workers) while
this script kills random workers with SIGKILL (gunicorn's master starts new ones) and, on PostgreSQL,
restarts the server once with `pg_ctl restart -m fast` halfway through. A participant whose POST gets no
answer or a 5xx sends the same form again (same session, same one-time key) a few times, as a person
pressing Send again would. Every comment carries its form's key, so afterwards each stored response can be
traced to the form it came from. The run passes when:

- every acknowledged submission (the client saw the 303) is stored exactly once, with its receipt;
- no form is stored twice, and every stored response is whole (all its answers and segment answers);
  a submission whose worker was killed before answering may be stored or not, but never in part;
- the database's own checks are clean: PRAGMA integrity_check and foreign_key_check on SQLite; amcheck
  (bt_index_check with heapallindexed on every B-tree index, verify_heapam on every table) on PostgreSQL;
  plus orphan-row queries on both;
- the app serves again by itself: GET / and a fresh submission work, and gunicorn has all its workers.

    .venv/bin/python bench/fault_inject.py                      # SQLite in a temp folder, 60 s, 24 kills
    .venv/bin/python bench/fault_inject.py --postgres           # a throwaway PostgreSQL cluster (fsync on)
    .venv/bin/python bench/fault_inject.py --database-url postgresql://postgres@127.0.0.1:5432/engage_bench \
        --pg-data /var/lib/postgresql/15/main                   # a server you started (it is restarted once)

Exits non-zero on any loss, duplicate, partial response, failed integrity check or failure to recover.
"""
import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _checks import check_consistency, check_store
from _loadgen import (
    ROOT, SLUG, Connection, Stats, expected_rows, free_port, load_average, longest_gap, percentile, run_level,
    run_participants, wait_until_serving,
)
from _servers import (
    Postgres, app_env, child_pids, pg_bin_dir, postgres_user, prepare_database, remove_sqlite_files,
    start_gunicorn, stop_process_group, throwaway_postgres,
)


@dataclass
class Faults:
    """What the fault thread did, with times from time.perf_counter()."""

    kills: list[tuple[float, int]] = field(default_factory=list)  # (when, pid)
    respawns: list[float] = field(default_factory=list)  # seconds from a kill to a new worker process
    boots: list[float] = field(default_factory=list)  # seconds from fork to serving, for each replacement
    ready: set[int] = field(default_factory=set)  # workers that finished loading the app at some point
    restart_started: float | None = None
    restart_seconds: float | None = None
    restart_error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def live_workers(master: int, killed: set[int]) -> set[int]:
    """The master's children that are neither killed by us nor zombies waiting to be reaped."""
    alive = set()
    for pid in child_pids(master):
        if pid in killed:
            continue
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def inject(master: int, faults: Faults, *, kills: int, seconds: float, postgres: Postgres | None,
           rng: random.Random, stop: threading.Event) -> None:
    """Kill random workers at random times over the run; restart PostgreSQL once at the middle."""
    started = time.perf_counter()
    events = sorted([(rng.uniform(0.05, 0.95) * seconds, "kill") for _ in range(kills)]
                    + ([(0.5 * seconds, "restart")] if postgres else []))
    killed: set[int] = set()
    pending: list[float] = []  # kill times still waiting for their replacement worker
    known = live_workers(master, killed)
    lock = threading.Lock()

    def watch() -> None:  # matches each new worker process to the oldest kill not yet replaced
        while not stop.is_set():
            with lock:
                current = live_workers(master, killed)
                for _ in current - known:
                    if pending:
                        faults.respawns.append(time.perf_counter() - pending.pop(0))
                known.update(current)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for at, kind in events:
            time.sleep(max(0.0, started + at - time.perf_counter()))
            if kind == "restart":
                faults.restart_started = time.perf_counter()
                try:
                    faults.restart_seconds = postgres.restart()
                except Exception as error:  # noqa: BLE001 (reported, and the run fails)
                    faults.restart_error = f"{type(error).__name__}: {error}"
                continue
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and not _kill_one(master, faults, killed, pending, lock, rng):
                time.sleep(0.05)  # every worker is being replaced right now: wait for one
        # A few more seconds for the last replacement workers, so their respawn time is counted.
        deadline = time.perf_counter() + 30
        while pending and time.perf_counter() < deadline:
            time.sleep(0.05)
    finally:
        faults.done.set()


def _kill_one(master: int, faults: Faults, killed: set[int], pending: list[float], lock: threading.Lock,
              rng: random.Random) -> bool:
    with lock:
        workers = sorted(live_workers(master, killed))
        if not workers:
            return False
        victim = rng.choice(workers)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:  # it exited (max_requests) between the listing and the kill
            return False
        killed.add(victim)
        faults.kills.append((time.perf_counter(), victim))
        pending.append(time.perf_counter())
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="planned length of the run (faults spread over it)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--kills", type=int, default=24, help="SIGKILLs of random gunicorn workers")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker")
    parser.add_argument("--retries", type=int, default=3, help="times a participant resends a POST that failed")
    parser.add_argument("--recovery-seconds", type=float, default=60.0, help="time allowed to serve again")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the fault schedule")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster (fsync on)")
    parser.add_argument("--pg-data", default=None, help="data directory of the server at --database-url, to restart it")
    parser.add_argument("--pg-bin", default=None, help="PostgreSQL binaries (default: the newest /usr/lib/postgresql/*/bin)")
    parser.add_argument("--pg-user", default=None, help="run pg_ctl as this user (default: postgres when root)")
    parser.add_argument("--gunicorn-conf", default=str(ROOT / "gunicorn.conf.py"), help="gunicorn settings file")
    parser.add_argument("--no-pg-restart", action="store_true", help="on PostgreSQL, do not restart the server")
    args = parser.parse_args()
    if args.database_url and args.database_url.startswith("postgres") and not (args.pg_data or args.no_pg_restart):
        parser.error("on PostgreSQL, give --pg-data so the server can be restarted (or --no-pg-restart)")

    with contextlib.ExitStack() as stack:
        postgres = None
        if args.postgres:
            postgres = stack.enter_context(throwaway_postgres(fsync=True))
        elif args.pg_data:
            postgres = Postgres(args.database_url, Path(args.pg_data), Path(args.pg_bin) if args.pg_bin else pg_bin_dir(),
                                args.pg_user or postgres_user())
        database_url = postgres.url if postgres else args.database_url
        return run(args, database_url, None if args.no_pg_restart else postgres)


def run(args, database_url: str | None, postgres: Postgres | None) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="engage-faults-"))
    port = free_port()
    # Set explicitly (to gunicorn.conf.py's default when not given) so the script knows how many to expect back.
    expected_workers = args.workers or int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() + 1))
    env = app_env(database_url or f"sqlite:///{workdir / 'engage.db'}", port, workers=expected_workers,
                  threads=args.threads)
    prepare_database(env, empty_postgres=bool(database_url))
    print(f"database: {env['DATABASE_URL'].split('://')[0]}  cores: {os.cpu_count()}  gunicorn workers: "
          f"{expected_workers}  connections: {args.connections}  planned kills: {args.kills}  "
          f"PostgreSQL restart: {'yes' if postgres else 'no'}  seed: {seed}  load average: {load_average()}")

    log, boot_log = workdir / "gunicorn.log", workdir / "worker-boots.log"
    print(f"gunicorn's error log (a line per killed worker, a traceback per 500): {log}")
    env |= {"ENGAGE_BENCH_GUNICORN_CONF": str(Path(args.gunicorn_conf).resolve()), "ENGAGE_BENCH_BOOT_LOG": str(boot_log)}
    server = start_gunicorn(env, log, Path(__file__).resolve().parent / "_gunicorn_timing.py")
    stats = Stats()
    faults = Faults()
    stop = threading.Event()
    recovery = recovery_key = None
    workers_back = None
    try:
        page = asyncio.run(_form_page(port))
        expected = expected_rows(page)
        warm, _ = asyncio.run(run_level("127.0.0.1", port, SLUG, 2, 2.0, tag=True))
        stats.merge(warm)
        if not _wait_for_workers(server.pid, expected_workers, 60):
            print(f"gunicorn did not start {expected_workers} workers")
            return 1
        first_workers = {str(pid) for pid in live_workers(server.pid, set())}
        started = time.perf_counter()
        hard_stop = started + 4 * args.seconds + 120
        faulter = threading.Thread(target=inject, args=(server.pid, faults), kwargs={
            "kills": args.kills, "seconds": args.seconds, "postgres": postgres, "rng": rng, "stop": stop})
        faulter.start()
        # Load runs for the planned time and at least 5 s past the last fault.
        ended_faults: list[float] = []

        def keep_going() -> bool:
            now = time.perf_counter()
            if faults.done.is_set() and not ended_faults:
                ended_faults.append(now)
            return now < hard_stop and (now < started + args.seconds or not ended_faults or now < ended_faults[0] + 5)

        load, elapsed = asyncio.run(run_participants("127.0.0.1", port, SLUG, args.connections, keep_going,
                                                     retries=args.retries, tag=True, timeout=60))
        stats.merge(load)
        faulter.join()
        stop.set()
        recovery, recovery_key = wait_until_serving(port, args.recovery_seconds)
        if recovery_key:
            stats.acknowledged.add(recovery_key)
            stats.attempted.add(recovery_key)
        workers_back = _wait_for_workers(server.pid, expected_workers, 30)
        load_end = load_average()
    finally:
        stop.set()
        stop_process_group(server)

    store = check_store(env["DATABASE_URL"], env["SECRET_KEY"], SLUG, stats.acknowledged, stats.attempted, expected)
    integrity = check_consistency(env["DATABASE_URL"])
    remove_sqlite_files(workdir)
    boots = [line.split() for line in boot_log.read_text().splitlines()] if boot_log.exists() else []
    faults.boots = [float(seconds) for pid, seconds in boots if pid not in first_workers]
    faults.ready = {int(pid) for pid, _ in boots}
    return report(args, stats, load, elapsed, faults, store, integrity, recovery, workers_back, expected_workers,
                  postgres, load_end)


async def _form_page(port: int) -> bytes:
    connection = Connection("127.0.0.1", port, timeout=30)
    try:
        status, _, page = await connection.request("GET", f"/c/{SLUG}/respond")
    finally:
        await connection.close()
    if status != 200:
        raise SystemExit(f"the form did not load (HTTP {status})")
    return page


def _wait_for_workers(master: int, expected: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(live_workers(master, set())) == expected:
            return True
        time.sleep(0.1)
    return False


def _print_slowest(load: Stats, faults: Faults, count: int = 3) -> None:
    """When the slowest POSTs started, next to the last fault before each: slowness that follows a fault."""
    slowest = sorted(zip(load.post_latencies, load.post_times), reverse=True)[:count]
    events = [(t, f"kill of pid {pid}") for t, pid in faults.kills]
    if faults.restart_started:
        events.append((faults.restart_started, "PostgreSQL restart"))
    parts = []
    for latency, ended in slowest:
        began = ended - latency
        before = [e for e in events if e[0] <= began]
        last = max(before) if before else None
        parts.append(f"{latency:.2f} s" + (f" (began {began - last[0]:.2f} s after the {last[1]})" if last else ""))
    print("slowest POSTs: " + ", ".join(parts))


def report(args, stats, load, elapsed, faults, store, integrity, recovery, workers_back, expected_workers,
           postgres, load_end) -> int:
    failures = []
    print(f"\nload: {elapsed:.1f} s, {args.connections} connections, {len(load.acknowledged)} acknowledged "
          f"({len(load.acknowledged) / elapsed:.1f}/s), POST p50 {percentile(load.post_latencies, 50) * 1000:.0f} ms, "
          f"p99 {percentile(load.post_latencies, 99) * 1000:.0f} ms, max {max(load.post_latencies, default=0) * 1000:.0f} ms")
    print(f"load average (1, 5, 15 min) at the end: {load_end}")
    _print_slowest(load, faults)
    respawn = faults.respawns
    loading = sum(1 for _, pid in faults.kills if pid not in faults.ready)
    print(f"faults: {len(faults.kills)} workers killed with SIGKILL ({len(faults.kills) - loading} serving, {loading} "
          f"still loading the app); replacement process started after "
          f"median {percentile(respawn, 50) * 1000:.0f} ms, max {max(respawn, default=0) * 1000:.0f} ms "
          f"({len(respawn)} of {len(faults.kills)} seen); it loaded the app and served after median "
          f"{percentile(faults.boots, 50):.1f} s, max {max(faults.boots, default=0):.1f} s more "
          f"({len(faults.boots)} replacements; a worker killed while loading never serves)")
    if len(faults.kills) < args.kills:
        failures.append(f"only {len(faults.kills)} of {args.kills} kills happened")
    if postgres:
        if faults.restart_error or faults.restart_started is None:
            failures.append(f"PostgreSQL restart failed: {faults.restart_error or 'did not happen'}")
        else:
            returned = faults.restart_started + faults.restart_seconds
            after = [t for t in stats.ack_times if t >= returned]
            again = f"{after[0] - returned:.1f} s after it returned" if after else "never after it returned"
            gap = longest_gap(stats.ack_times, faults.restart_started, returned + 10)
            print(f"PostgreSQL: restarted once (pg_ctl restart -m fast took {faults.restart_seconds:.1f} s); submissions "
                  f"acknowledged again {again}; longest time with none acknowledged, from the restart to 10 s after "
                  f"it: {gap:.1f} s")
            if not after:
                failures.append("no submission was acknowledged after the PostgreSQL restart")
    print(f"client errors by kind: {dict(sorted(stats.errors.items())) or 'none'}; POSTs resent after a failure: "
          f"{stats.retried}; double clicks: {stats.resent}")
    print(f"forms sent: {store.attempted}  acknowledged: {store.acknowledged}  stored exactly once: {store.stored_once}  "
          f"lost: {len(store.lost)}  duplicated: {len(store.duplicated)}  acknowledged without receipt: "
          f"{len(store.missing_receipts)}")
    print(f"responses: {store.responses}  receipts: {store.receipts}  partial responses: {store.partial}  "
          f"unacknowledged but stored whole (allowed): {store.unacknowledged_stored}  untraceable: "
          f"{store.untraced + store.unknown}")
    for name, key_list in (("lost", store.lost), ("duplicated", store.duplicated),
                           ("without receipt", store.missing_receipts)):
        if key_list:
            failures.append(f"{len(key_list)} {name}, e.g. submission key {key_list[0]}")
    if store.partial or store.untraced or store.unknown or store.receipts != store.responses:
        failures.append("stored responses are not all whole, traceable and matched by receipts")
    for name, outcome in integrity:
        print(f"integrity: {name}: {outcome}")
        if outcome != "ok" and "not available" not in outcome:
            failures.append(f"{name}: {outcome}")
    if recovery is None:
        failures.append(f"the app did not serve again within {args.recovery_seconds:.0f} s")
    else:
        print(f"recovery: GET / and a fresh submission worked {recovery:.2f} s after the load stopped; "
              f"gunicorn back to {expected_workers} workers: {'yes' if workers_back else 'NO'}")
    if not workers_back:
        failures.append("gunicorn did not get all its workers back")
    print("\nverdict: " + ("OK" if not failures else "FAILED: " + "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
