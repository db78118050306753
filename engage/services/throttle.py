"""Submission limits per browser session and, far more loosely, per network address (a school shares one).

Limits are checked inside the view, not by a decorator, so that a participant who hits one gets their form
back with everything they typed. Keys are salted daily hashes: not even the limiter's storage (memory or
Redis) holds a raw address.
"""
import datetime as dt
import functools
import hashlib
import threading
import time
import weakref

from limits import parse_many
from limits.storage import MemoryStorage

from engage.extensions import limiter


def _key(kind: str, value: str, secret: str) -> str:
    day = dt.date.today().isoformat()
    return f"intake-{kind}:" + hashlib.sha256(f"{secret}|{day}|{value}".encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=32)
def _parsed(limits: str) -> tuple:
    return tuple(parse_many(limits))


def check_submission_limits(*, session_value: str, address: str, secret: str,
                            per_session: str, per_address: str) -> int | None:
    """Count one submission attempt. Returns None when allowed, else the seconds to wait before trying again."""
    checks = [(item, _key("session", session_value, secret)) for item in _parsed(per_session)]
    checks += [(item, _key("address", address, secret)) for item in _parsed(per_address)]
    strategy = limiter.limiter
    if isinstance(strategy.storage, MemoryStorage):
        return _windows_for(strategy.storage).check_and_hit(checks)
    blocked = [(item, key) for item, key in checks if not strategy.test(item, key)]
    if blocked:
        resets = [strategy.get_window_stats(item, key).reset_time for item, key in blocked]
        return max(1, int(max(resets) - time.time()) + 1)
    for item, key in checks:
        strategy.hit(item, key)
    return None


class _LocalWindows:
    """Fixed-window counters for one process, used when the limiter's storage is memory anyway.

    The `limits` memory storage starts a timer thread on nearly every hit, which costs more than the rest of a
    submission's checks; this keeps the same fixed-window behaviour with a dict and a lock.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict = {}
        self._next_sweep = 0.0

    def check_and_hit(self, checks) -> int | None:
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
                self._next_sweep = now + 60
            windows = []
            for item, key in checks:
                seconds = item.get_expiry()
                start = now - now % seconds
                slot = (key, seconds, item.amount)
                count, ends = self._counts.get(slot, (0, 0.0))
                if ends <= now:
                    count, ends = 0, start + seconds
                windows.append((slot, count, ends, item.amount))
            blocked = [ends for _, count, ends, amount in windows if count >= amount]
            if blocked:
                return max(1, int(max(blocked) - now) + 1)
            for slot, count, ends, _ in windows:
                self._counts[slot] = (count + 1, ends)
        return None



# One set of counters per limiter storage, so that each app (and each test's app) starts from zero, as the
# limiter's own memory storage does.
_windows: "weakref.WeakKeyDictionary[MemoryStorage, _LocalWindows]" = weakref.WeakKeyDictionary()
_windows_lock = threading.Lock()


def _windows_for(storage: MemoryStorage) -> _LocalWindows:
    with _windows_lock:
        found = _windows.get(storage)
        if found is None:
            found = _windows[storage] = _LocalWindows()
        return found
