"""Shared parts of the load benchmarks: virtual participants, gunicorn, throwaway PostgreSQL and Redis, checks.

Imported by bench/intake_load.py, bench/fault_inject.py and bench/analysis_under_load.py (run as scripts, so
this folder is on sys.path). Nothing here is part of the app.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:  # the harness imports config and engage to check what was stored
    sys.path.insert(0, str(ROOT))
SLUG = "sro-review"
HIDDEN = re.compile(rb'<input id="(csrf_token|submission_key|started_at)" name="\1" type="hidden" value="([^"]*)">')
FIELD = re.compile(rb'name="(q\d+|s\d+)"[^>]*value="(\d+)"')
TEXTAREA = re.compile(rb'<textarea[^>]*name="(q\d+)"')
COMMENTS = [
    "The officer is friendly and knows our names.",
    "Seeing police in the hallway makes me nervous.",
    "We need more counsellors, not more police.",
    "I feel safer when someone is there during a lockdown.",
]
# Tagged runs put the form's one-time key into every comment, so each stored response can be traced back
# to the form it came from (responses deliberately have no other link to a submission).
REF = re.compile(r"\(ref ([A-Za-z0-9_-]{16,64})\)")
RETRYABLE = (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError)


@dataclass
class Stats:
    post_latencies: list[float] = field(default_factory=list)
    post_times: list[float] = field(default_factory=list)  # perf_counter() when each POST answered
    get_latencies: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    ack_times: list[float] = field(default_factory=list)
    attempted: set[str] = field(default_factory=set)  # every key POSTed at least once, acknowledged or not
    resent: int = 0
    retried: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def merge(self, other: "Stats") -> None:
        for name in ("post_latencies", "post_times", "get_latencies", "ack_times"):
            getattr(self, name).extend(getattr(other, name))
        self.acknowledged |= other.acknowledged
        self.attempted |= other.attempted
        self.resent += other.resent
        self.retried += other.retried
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count


class Connection:
    """A minimal keep-alive HTTP/1.1 client, so the load generator spends little CPU per request."""

    def __init__(self, host: str, port: int, timeout: float | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None
        self.cookie = b""

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict, bytes]:
        if self.timeout is None:
            return await self._request(method, path, body)
        try:
            return await asyncio.wait_for(self._request(method, path, body), self.timeout)
        except asyncio.TimeoutError:
            await self.close()
            raise

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, dict, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: engage-bench"]
            if self.cookie:
                head.append("Cookie: " + self.cookie.decode())
            if body:
                head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            try:
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed")
                headers = {}
                while (line := await self.reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    headers.setdefault(name.strip().lower(), []).append(value.strip())
                length = int(headers.get(b"content-length", [b"0"])[0])
                content = await self.reader.readexactly(length) if length else b""
            except (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError):
                await self.close()
                # A kept-alive connection the server closed while idle: try a GET once more on a new one.
                # A POST is never resent here; the caller decides, as a person pressing Send again would.
                if attempt == 2 or method == "POST":
                    raise
                continue
            for cookie in headers.get(b"set-cookie", []):
                self.cookie = cookie.split(b";", 1)[0]
            if b"close" in b"".join(headers.get(b"connection", [])).lower():
                await self.close()
            return int(status_line.split()[1]), headers, content
        raise RuntimeError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def form_answers(page: bytes, rng_index: int, tag: bool = False) -> tuple[dict, str]:
    """The form's hidden fields plus the first option of each question and a comment; and its submission key."""
    fields = {name.decode(): value.decode() for name, value in HIDDEN.findall(page)}
    key = fields.get("submission_key", "")
    chosen = {}
    for name, value in FIELD.findall(page):
        chosen.setdefault(name.decode(), value.decode())
    for name in TEXTAREA.findall(page):
        comment = COMMENTS[rng_index % len(COMMENTS)]
        chosen[name.decode()] = f"{comment} (ref {key})" if tag else comment
    return fields | chosen, key


def expected_rows(page: bytes) -> tuple[int, int]:
    """(answers, segment answers) one submission of form_answers() stores: one row per filled field."""
    data, _ = form_answers(page, 0)
    return sum(1 for n in data if re.fullmatch(r"q\d+", n)), sum(1 for n in data if re.fullmatch(r"s\d+", n))


async def participant(host: str, port: int, slug: str, keep_going: Callable[[], bool], stats: Stats, index: int, *,
                      retries: int = 0, tag: bool = False, timeout: float | None = None) -> None:
    """One virtual participant after another on one connection, until keep_going() is false.

    With retries, a POST that got no answer or a 5xx is sent again unchanged (same session, same form and
    key), after a short pause, as a person pressing Send again would; the app must store it once.
    """
    connection = Connection(host, port, timeout)
    count = 0
    try:
        while keep_going():
            count += 1
            connection.cookie = b""  # each loop is a new participant with a new browser session
            try:
                started = time.perf_counter()
                status, _, page = await connection.request("GET", f"/c/{slug}/respond")
                stats.get_latencies.append(time.perf_counter() - started)
            except RETRYABLE as error:
                stats.error(f"GET {type(error).__name__}")
                await connection.close()
                await asyncio.sleep(0.05 if retries else 0)
                continue
            if status != 200:
                stats.error(f"GET {status}")
                await asyncio.sleep(0.05 if retries else 0)
                continue
            data, key = form_answers(page, index + count, tag)
            body = urllib.parse.urlencode(data).encode()
            stats.attempted.add(key)
            status = await _post(connection, slug, body, stats, retries)
            if status != 303:
                continue
            stats.acknowledged.add(key)
            stats.ack_times.append(time.perf_counter())
            if (index + count) % 20 == 0:  # a double click: same form again, must not add a row
                stats.resent += 1
                try:
                    status, _, _ = await connection.request("POST", f"/c/{slug}/respond", body)
                except RETRYABLE as error:
                    stats.error(f"resend {type(error).__name__}")
                    await connection.close()
                    continue
                if status != 303:
                    stats.error(f"resend {status}")
    finally:
        await connection.close()


async def _post(connection: Connection, slug: str, body: bytes, stats: Stats, retries: int) -> int | None:
    for attempt in range(retries + 1):
        if attempt:
            stats.retried += 1
            await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
        started = time.perf_counter()
        try:
            status, _, _ = await connection.request("POST", f"/c/{slug}/respond", body)
        except RETRYABLE as error:
            stats.error(f"POST {type(error).__name__}")
            await connection.close()
            continue
        stats.post_latencies.append(time.perf_counter() - started)
        stats.post_times.append(time.perf_counter())
        if status == 303:
            return status
        stats.error(f"POST {status}")
        if status < 500:  # refused (422, 429, 409): sending the same thing again will not help
            return status
    return None


async def run_participants(host: str, port: int, slug: str, connections: int, keep_going: Callable[[], bool],
                           **options) -> tuple[Stats, float]:
    stats = Stats()
    started = time.perf_counter()
    await asyncio.gather(*(participant(host, port, slug, keep_going, stats, i, **options) for i in range(connections)))
    return stats, time.perf_counter() - started


async def run_level(host: str, port: int, slug: str, connections: int, seconds: float, **options) -> tuple[Stats, float]:
    deadline = time.perf_counter() + seconds
    return await run_participants(host, port, slug, connections, lambda: time.perf_counter() < deadline, **options)


async def probe(host: str, port: int, slug: str = SLUG) -> tuple[bool, str | None]:
    """GET / and one complete tagged submission; (worked, its key)."""
    stats = Stats()
    connection = Connection(host, port, timeout=10)
    try:
        status, _, _ = await connection.request("GET", "/")
        if status != 200:
            return False, None
    except RETRYABLE:
        return False, None
    finally:
        await connection.close()
    done = iter([True, False])
    await participant(host, port, slug, lambda: next(done), stats, 1, tag=True, timeout=10)
    key = next(iter(stats.acknowledged), None)
    return key is not None, key


def wait_until_serving(port: int, seconds: float) -> tuple[float | None, str | None]:
    """Seconds until GET / and a fresh submission both work (None if not within `seconds`), and the key."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        worked, key = asyncio.run(probe("127.0.0.1", port))
        if worked:
            return time.perf_counter() - started, key
        time.sleep(0.1)
    return None, None


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def corrected_for_omission(latencies: list[float], interval: float) -> list[float]:
    """Latencies plus the ones the stalled participants would have seen (HdrHistogram's expected-interval method).

    Each virtual participant waits for its answer before sending again, so while the server stalls, the
    submissions that would have arrived are never timed and a stall barely moves a plain percentile
    ("coordinated omission"). For a wait of L, with a participant normally sending every `interval`
    seconds, this adds L - interval, L - 2*interval, ... down to `interval`.
    """
    if not interval or interval <= 0:
        return list(latencies)
    out = list(latencies)
    for latency in latencies:
        missed = latency - interval
        while missed >= interval:
            out.append(missed)
            missed -= interval
    return out


def longest_gap(times: list[float], start: float, end: float) -> float:
    """Longest stretch of [start, end] with no acknowledged submission."""
    marks = [start] + sorted(t for t in times if start <= t <= end) + [end]
    return max(b - a for a, b in zip(marks, marks[1:]))


def latency_row(stats: Stats, elapsed: float) -> str:
    posts = stats.post_latencies
    return (f"{len(stats.acknowledged):>6} {len(stats.acknowledged) / elapsed:>7.1f} {percentile(posts, 50) * 1000:>7.1f} "
            f"{percentile(posts, 95) * 1000:>7.1f} {percentile(posts, 99) * 1000:>7.1f} "
            f"{percentile(stats.get_latencies, 99) * 1000:>7.1f}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds:.0f} s")


# --- the app under test -------------------------------------------------------------------------------------

def app_env(database_url: str, port: int, *, workers: int | None = None, threads: int | None = None,
            redis_url: str | None = None) -> dict:
    """Environment for gunicorn, flask commands and workers: the production configuration on a private port."""
    env = os.environ | {
        "ENGAGE_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "MIN_FILL_SECONDS": "0",  # virtual participants answer instantly; the bot check would refuse them
        # Every virtual participant comes from 127.0.0.1; real traffic spreads over many schools' addresses.
        "INTAKE_ADDRESS_LIMIT": "1000000 per minute",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "FLASK_APP": "engage",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["GUNICORN_THREADS"] = str(threads)
    return env


def prepare_database(env: dict, *, empty_postgres: bool) -> None:
    """Migrate, empty the response tables of a PostgreSQL database that was handed to us, add the demo form."""
    flask = [str(BIN / "flask")]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    if empty_postgres:
        with engine_for(env["DATABASE_URL"]).begin() as connection:
            connection.exec_driver_sql("TRUNCATE responses, answers, segment_answers, receipts CASCADE")
    subprocess.run(flask + ["seed-demo", "--responses", "0"], env=env, cwd=ROOT, check=True, capture_output=True)


def count_rows(env: dict) -> int:
    with engine_for(env["DATABASE_URL"]).connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM responses").scalar()


def engine_for(database_url: str):
    """A plain SQLAlchemy engine for the harness's own checks (no app, no pool kept between runs)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from config import database_url as normalise

    return create_engine(normalise(database_url), poolclass=NullPool)


def start_gunicorn(env: dict, log: Path | None = None, conf: Path = ROOT / "gunicorn.conf.py") -> subprocess.Popen:
    """gunicorn with the repository's gunicorn.conf.py (or `conf`); its error log goes to `log` when given."""
    output = open(log, "ab") if log else None
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(conf), "engage:create_app()"],
                              env=env, cwd=ROOT, start_new_session=True, stdout=output, stderr=output)
    wait_for_port(int(env["PORT"]))
    return server


def stop_process_group(process: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 30) -> None:
    """Stop a process we started in its own session, and its children (gunicorn workers, RQ work horses)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its children, and children it has already reaped (e.g. gunicorn's killed workers)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def own(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return 0.0
        # utime, stime, cutime, cstime are fields 14-17 of proc(5); fields[0] here is field 3.
        return sum(int(x) for x in fields[11:15]) / ticks

    return own(pid) + sum(own(child) for child in child_pids(pid))


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers, for its master)."""
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


# --- throwaway services -------------------------------------------------------------------------------------

def _as_user(user: str | None, command: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--"] + command if user else command


def postgres_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    return "postgres" if os.geteuid() == 0 else None


def pg_bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise SystemExit("PostgreSQL is not installed (looked in /usr/lib/postgresql/*/bin)")
    return found[-1]


@dataclass
class Postgres:
    url: str
    data: Path
    bin: Path
    user: str | None

    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: clients are disconnected, open transactions roll back. Returns seconds."""
        started = time.perf_counter()
        subprocess.run(_as_user(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                                            "-l", str(self.data / "log"), "restart"]),
                       check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


@contextlib.contextmanager
def throwaway_postgres(*, fsync: bool = True) -> Iterator[Postgres]:
    """A private PostgreSQL cluster on a free port, as .ci/run starts one; stopped and deleted afterwards.

    fsync stays on by default: the fault benchmark is about durability.
    """
    pg_bin, user, port = pg_bin_dir(), postgres_user(), free_port()
    data = Path(tempfile.mkdtemp(prefix="engage-bench-pg."))
    if user:
        shutil.chown(data, user, user)
    options = f"-p {port} -k /tmp -c max_connections=200" + ("" if fsync else " -c fsync=off")
    subprocess.run(_as_user(user, [str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                   "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(_as_user(user, [str(pg_bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"),
                                   "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
    try:
        subprocess.run(_as_user(user, [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                       "engage_bench"]), check=True)
        yield Postgres(f"postgresql://postgres@127.0.0.1:{port}/engage_bench", data, pg_bin, user)
    finally:
        subprocess.run(_as_user(user, [str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    """A private redis-server with no persistence, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, 10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


# --- checks after a run ------------------------------------------------------------------------------------

@dataclass
class StoreCheck:
    """What the database holds for a tagged run, against what the clients were told."""

    acknowledged: int = 0
    attempted: int = 0
    responses: int = 0
    receipts: int = 0
    stored_once: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, not stored
    duplicated: list[str] = field(default_factory=list)  # stored more than once (acknowledged or not)
    missing_receipts: list[str] = field(default_factory=list)  # acknowledged, stored, but no receipt
    unacknowledged_stored: int = 0  # sent, no 303 seen (worker killed), stored once and whole: allowed
    partial: int = 0  # a response without all its answers / segment answers
    untraced: int = 0  # a response with no ref tag at all
    unknown: int = 0  # a ref that no client ever sent

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.missing_receipts or self.partial or self.untraced
                    or self.unknown or self.receipts != self.responses)


def check_store(database_url: str, secret_key: str, slug: str, acknowledged: set[str], attempted: set[str],
                expected: tuple[int, int]) -> StoreCheck:
    """Every acknowledged key is stored exactly once, whole, with its receipt; nothing else is stored half."""
    from sqlalchemy import text

    from engage.services.intake import receipt_code_for

    check = StoreCheck(acknowledged=len(acknowledged), attempted=len(attempted))
    with engine_for(database_url).connect() as connection:
        cid = connection.execute(text("SELECT id FROM consultations WHERE slug = :slug"), {"slug": slug}).scalar()
        where = {"cid": cid}
        responses = {str(r) for (r,) in connection.execute(
            text("SELECT id FROM responses WHERE consultation_id = :cid"), where)}
        answers = connection.execute(text(
            "SELECT a.response_id, a.text FROM answers a JOIN responses r ON r.id = a.response_id "
            "WHERE r.consultation_id = :cid"), where).all()
        segments = Counter(str(r) for (r,) in connection.execute(text(
            "SELECT s.response_id FROM segment_answers s JOIN responses r ON r.id = s.response_id "
            "WHERE r.consultation_id = :cid"), where))
        receipts = {h for (h,) in connection.execute(
            text("SELECT code_hash FROM receipts WHERE consultation_id = :cid"), where)}
    check.responses, check.receipts = len(responses), len(receipts)
    answer_counts = Counter(str(r) for r, _ in answers)
    responses_by_key: dict[str, set[str]] = {}
    traced = set()
    for response_id, comment in answers:
        for key in REF.findall(comment or ""):
            responses_by_key.setdefault(key, set()).add(str(response_id))
            traced.add(str(response_id))
    check.untraced = len(responses - traced)
    check.partial = sum(1 for r in responses if (answer_counts[r], segments[r]) != expected)
    check.unknown = len(set(responses_by_key) - attempted)
    check.duplicated = sorted(k for k, ids in responses_by_key.items() if len(ids) > 1)
    for key in acknowledged:
        stored = len(responses_by_key.get(key, ()))
        if stored == 0:
            check.lost.append(key)
        elif stored == 1:
            check.stored_once += 1
        code = receipt_code_for(submission_key=key, secret_key=secret_key)
        if hashlib.sha256(code.encode()).hexdigest() not in receipts:  # as engage.services.intake stores it
            check.missing_receipts.append(key)
    check.unacknowledged_stored = sum(1 for k, ids in responses_by_key.items()
                                      if k not in acknowledged and len(ids) == 1)
    return check


def _pg(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql"))


def check_consistency(database_url: str) -> list[tuple[str, str]]:
    """(check, problem or 'ok') for the database's own integrity checks and cross-table consistency."""
    results = []
    orphans = {
        "answers without a response": "SELECT count(*) FROM answers a LEFT JOIN responses r ON r.id = a.response_id "
                                      "WHERE r.id IS NULL",
        "segment answers without a response": "SELECT count(*) FROM segment_answers s LEFT JOIN responses r "
                                              "ON r.id = s.response_id WHERE r.id IS NULL",
        "responses without a consultation": "SELECT count(*) FROM responses r LEFT JOIN consultations c "
                                            "ON c.id = r.consultation_id WHERE c.id IS NULL",
        "receipts without a consultation": "SELECT count(*) FROM receipts x LEFT JOIN consultations c "
                                           "ON c.id = x.consultation_id WHERE c.id IS NULL",
    }
    with engine_for(database_url).connect() as connection:
        if _pg(database_url):
            results += _postgres_checks(connection)
        else:
            rows = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check")]
            results.append(("PRAGMA integrity_check", "ok" if rows == ["ok"] else "; ".join(map(str, rows[:5]))))
            rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            results.append(("PRAGMA foreign_key_check", "ok" if not rows else f"{len(rows)} rows break a foreign key"))
        for name, sql in orphans.items():
            count = connection.exec_driver_sql(sql).scalar()
            results.append((name, "ok" if count == 0 else f"{count} rows"))
    return results


def _postgres_checks(connection) -> list[tuple[str, str]]:
    """amcheck: every B-tree index against its table (heapallindexed), and every table's heap pages."""
    try:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS amcheck")
        connection.commit()
    except Exception as error:  # noqa: BLE001 (no superuser or no contrib: say so, run the rest)
        connection.rollback()
        return [("amcheck", f"not available ({type(error).__name__}); only the consistency queries ran")]
    indexes = [r[0] for r in connection.exec_driver_sql(
        "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = 'public' ORDER BY 1")]
    bad = []
    for index in indexes:
        try:
            connection.exec_driver_sql(f"SELECT bt_index_check('{index}'::regclass, true)")
        except Exception as error:  # noqa: BLE001
            connection.rollback()
            bad.append(f"{index}: {str(error).splitlines()[0]}")
    results = [(f"amcheck bt_index_check(heapallindexed) on {len(indexes)} indexes", "ok" if not bad else "; ".join(bad))]
    tables = [r[0] for r in connection.exec_driver_sql(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1")]
    problems = []
    for table in tables:
        rows = connection.exec_driver_sql(f"SELECT blkno, msg FROM verify_heapam('{table}'::regclass)").all()
        problems += [f"{table} block {b}: {m}" for b, m in rows]
    results.append((f"amcheck verify_heapam on {len(tables)} tables", "ok" if not problems else "; ".join(problems[:5])))
    return results
