"""Health checks for load balancers and process supervisors: /healthz (alive) and /readyz (can serve)."""
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from engage.extensions import csrf, db, limiter

bp = Blueprint("ops", __name__)
# Probes come every few seconds from one address: they must never use up a limit meant for people.
csrf.exempt(bp)
limiter.exempt(bp)

_LOG_EVERY_SECONDS = 60
_last_logged: dict = {"at": None}
_redis_clients: dict = {}


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches no database, so a database outage does not restart workers."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers a query, and Redis a ping when REDIS_URL is set. 503 names what failed."""
    checks = {"database": _check(_ping_database)}
    url = current_app.config.get("REDIS_URL")
    checks["redis"] = _check(lambda: _ping_redis(url)) if url else "not configured"
    ready = "failed" not in checks.values()
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # any failure means "not ready"; the body says which check, never why
        _log_failure(error)
        return "failed"
    return "ok"


def _ping_database() -> None:
    # A connection of its own, not the request's session: nothing is left open, no write lock is taken.
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_redis(url: str) -> None:
    from redis import Redis

    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    client.ping()


def _log_failure(error: Exception) -> None:
    """Log a failed check at most once a minute per process: probes must not flood the log during an outage.

    Only the exception's type is logged; its message can hold a host name or a database URL.
    """
    now = time.monotonic()
    if _last_logged["at"] is None or now - _last_logged["at"] >= _LOG_EVERY_SECONDS:
        _last_logged["at"] = now
        current_app.logger.warning("readyz: a check failed (%s)", type(error).__name__)
