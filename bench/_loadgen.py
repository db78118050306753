"""Shared load generator of the benchmarks: a small HTTP client, virtual participants, and latency figures.

Imported by bench/intake_load.py, bench/fault_inject.py and bench/analysis_under_load.py (run as scripts, so
this folder is on sys.path), with bench/_servers.py (the app and databases under test) and bench/_checks.py
(what was stored). Nothing here is part of the app.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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
