"""Submission limits per browser session and, far more loosely, per network address (a school shares one).

Limits are checked inside the view, not by a decorator, so that a participant who hits one gets their form
back with everything they typed. Keys are salted daily hashes: not even the limiter's storage (memory or
Redis) holds a raw address.
"""
import datetime as dt
import hashlib
import time

from limits import parse_many

from engage.extensions import limiter


def _key(kind: str, value: str, secret: str) -> str:
    day = dt.date.today().isoformat()
    return f"intake-{kind}:" + hashlib.sha256(f"{secret}|{day}|{value}".encode()).hexdigest()[:32]


def check_submission_limits(*, session_value: str, address: str, secret: str,
                            per_session: str, per_address: str) -> int | None:
    """Count one submission attempt. Returns None when allowed, else the seconds to wait before trying again."""
    strategy = limiter.limiter
    checks = [(item, _key("session", session_value, secret)) for item in parse_many(per_session)]
    checks += [(item, _key("address", address, secret)) for item in parse_many(per_address)]
    blocked = [(item, key) for item, key in checks if not strategy.test(item, key)]
    if blocked:
        resets = [strategy.get_window_stats(item, key).reset_time for item, key in blocked]
        return max(1, int(max(resets) - time.time()) + 1)
    for item, key in checks:
        strategy.hit(item, key)
    return None
