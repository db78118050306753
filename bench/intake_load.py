"""Load benchmark for the participant journey under gunicorn: submissions per second, latency, and row counts.

Each virtual participant keeps its own connection, starts a new browser session (cookie), GETs the form,
reads its CSRF token and one-time submission key, and POSTs answers. The per-address submission limit is
lifted for the run, because every virtual participant shares 127.0.0.1; the per-session limit stays on. One in twenty resends the same POST, as a double click does.
After the run every acknowledged submission must be stored exactly once.

    .venv/bin/python bench/intake_load.py                       # SQLite, 16 and 200 connections, 15 s each
    .venv/bin/python bench/intake_load.py --database-url postgresql://postgres@127.0.0.1:55432/bench
"""
import argparse
import asyncio
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HIDDEN = re.compile(rb'<input id="(csrf_token|submission_key|started_at)" name="\1" type="hidden" value="([^"]*)">')
FIELD = re.compile(rb'name="(q\d+|s\d+)"[^>]*value="(\d+)"')
TEXTAREA = re.compile(rb'<textarea[^>]*name="(q\d+)"')
COMMENTS = [
    "The officer is friendly and knows our names.",
    "Seeing police in the hallway makes me nervous.",
    "We need more counsellors, not more police.",
    "I feel safer when someone is there during a lockdown.",
]


@dataclass
class Stats:
    post_latencies: list[float] = field(default_factory=list)
    get_latencies: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    resent: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Connection:
    """A minimal keep-alive HTTP/1.1 client, so the load generator spends little CPU per request."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.cookie = b""

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict, bytes]:
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


def form_answers(page: bytes, rng_index: int) -> tuple[dict, str]:
    fields = {name.decode(): value.decode() for name, value in HIDDEN.findall(page)}
    chosen = {}
    for name, value in FIELD.findall(page):
        chosen.setdefault(name.decode(), value.decode())  # the first option of each question
    for name in TEXTAREA.findall(page):
        chosen[name.decode()] = COMMENTS[rng_index % len(COMMENTS)]
    return fields | chosen, fields.get("submission_key", "")


async def participant(host, port, slug, deadline, stats: Stats, index: int) -> None:
    connection = Connection(host, port)
    count = 0
    try:
        while time.perf_counter() < deadline:
            count += 1
            connection.cookie = b""  # each loop is a new participant with a new browser session
            try:
                started = time.perf_counter()
                status, _, page = await connection.request("GET", f"/c/{slug}/respond")
                stats.get_latencies.append(time.perf_counter() - started)
                if status != 200:
                    stats.error(f"GET {status}")
                    continue
                data, key = form_answers(page, index + count)
                body = urllib.parse.urlencode(data).encode()
                started = time.perf_counter()
                status, _, _ = await connection.request("POST", f"/c/{slug}/respond", body)
                stats.post_latencies.append(time.perf_counter() - started)
                if status != 303:
                    stats.error(f"POST {status}")
                    continue
                stats.acknowledged.add(key)
                if (index + count) % 20 == 0:  # a double click: same form again, must not add a row
                    status, _, _ = await connection.request("POST", f"/c/{slug}/respond", body)
                    stats.resent += 1
                    if status != 303:
                        stats.error(f"resend {status}")
            except (OSError, asyncio.IncompleteReadError) as error:
                stats.error(type(error).__name__)
                await connection.close()
    finally:
        await connection.close()


async def run_level(host, port, slug, connections: int, seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(participant(host, port, slug, deadline, stats, i) for i in range(connections)))
    return stats, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def count_rows(env: dict) -> int:
    code = (
        "from engage import create_app; from engage.extensions import db; from sqlalchemy import text\n"
        "app = create_app()\n"
        "with app.app_context(): print(db.session.execute(text('SELECT count(*) FROM responses')).scalar())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="16,200", help="comma-separated connection counts")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each level")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="engage-load-"))
    port = free_port()
    env = os.environ | {
        "ENGAGE_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'engage.db'}",
        "MIN_FILL_SECONDS": "0",  # virtual participants answer instantly; the bot check would refuse them
        # Every virtual participant comes from 127.0.0.1; real traffic spreads over many schools' addresses.
        "INTAKE_ADDRESS_LIMIT": "1000000 per minute",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "FLASK_APP": "engage",
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    flask = [str(BIN / "flask")]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    if args.database_url:
        subprocess.run([sys.executable, "-c", (
            "from engage import create_app; from engage.extensions import db; from sqlalchemy import text\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    db.session.execute(text('TRUNCATE responses, answers, segment_answers, receipts CASCADE'))\n"
            "    db.session.commit()")], env=env, cwd=ROOT, check=True)
    subprocess.run(flask + ["seed-demo", "--responses", "0"], env=env, cwd=ROOT, check=True, capture_output=True)
    before = count_rows(env)

    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "engage:create_app()"],
                              env=env, cwd=ROOT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        asyncio.run(run_level("127.0.0.1", port, "sro-review", 2, 2.0))  # warm-up, not reported
        acknowledged: set[str] = set()
        print(f"database: {env['DATABASE_URL'].split('://')[0]}  cores: {os.cpu_count()}  "
              f"gunicorn workers: {env.get('WEB_CONCURRENCY', 'conf default')}  threads: {env.get('GUNICORN_THREADS', 'conf default')}")
        print(f"{'conns':>5} {'seconds':>7} {'subs':>6} {'subs/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'GET p99':>7} {'resent':>6} errors")
        warmup = count_rows(env) - before
        for level in [int(x) for x in args.levels.split(",")]:
            stats, elapsed = asyncio.run(run_level("127.0.0.1", port, "sro-review", level, args.seconds))
            acknowledged |= stats.acknowledged
            posts = stats.post_latencies
            print(f"{level:>5} {elapsed:>7.1f} {len(stats.acknowledged):>6} {len(stats.acknowledged) / elapsed:>7.1f} "
                  f"{percentile(posts, 50) * 1000:>7.1f} {percentile(posts, 95) * 1000:>7.1f} "
                  f"{percentile(posts, 99) * 1000:>7.1f} {percentile(stats.get_latencies, 99) * 1000:>7.1f} "
                  f"{stats.resent:>6} {sum(stats.errors.values())} {stats.errors or ''}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    stored = count_rows(env) - before - warmup
    verdict = "OK" if stored == len(acknowledged) else "MISMATCH"
    print(f"acknowledged submissions: {len(acknowledged)}  rows stored: {stored}  -> {verdict} "
          "(each acknowledged submission stored exactly once; resent forms added nothing)")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
