"""Gunicorn settings for the production configuration; every value can be overridden from the environment."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# CPU-bound views: processes do the work (one Python thread per process runs at a time), and a second
# thread per worker covers a slow client. Measured on 2 cores with bench/intake_load.py at 16 connections,
# without keep-alive (below), two rounds each, submissions/s: 3x2 380-395, 4x2 384-400, 3x1 400-421,
# 5x1 414-416 (2026-11-25). The differences are within the host's noise; 3x2 keeps the slow-client cover.
# One process more than there are cores keeps both cores busy while one waits for SQLite's write lock.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
# No keep-alive: every request is a new connection, which whichever process is free accepts. A kept-alive
# connection stays with the process that first accepted it, and with gthread one process can take them all:
# 3 rounds in 10 at 16 connections had all 16 on one worker (seen with `ss -tnp`), held to one core at about
# 276/s instead of 470/s. Without keep-alive, 8 rounds gave 380-421/s at p99 61-84 ms (2026-11-25).
# nginx in front opens a new upstream connection per request too (deploy/nginx.conf keeps none).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 0))
# A killed or leaking worker is replaced; requests in flight elsewhere carry on.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
# No access log: it would record participants' addresses. Errors still go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# `kill -HUP` on the master reloads gracefully: new workers load the code and this file again, old ones
# finish their requests (up to graceful_timeout) first. systemd's `reload` does the same (deploy/).
proc_name = "engage"
pidfile = os.environ.get("GUNICORN_PIDFILE") or None


def on_starting(server):
    """Load the big third-party libraries once, in the master, before any worker is forked.

    The app pulls in NLTK and SciPy at start-up (about 5 s on 2 busy cores). Loaded here, a worker that replaces
    a crashed or killed one inherits them and serves within seconds instead of spending its first 10-25 s (and
    gunicorn's timeout) importing. Engage's own code is still loaded by each worker, so a HUP reload picks up
    new code; upgrading these libraries needs a restart.
    """
    import nltk.collocations  # noqa: F401
    import scipy.stats  # noqa: F401
    import sqlalchemy  # noqa: F401
