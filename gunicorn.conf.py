"""Gunicorn settings for the production configuration; every value can be overridden from the environment."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# CPU-bound views: processes do the work (one Python thread per process runs at a time), and a second
# thread per worker covers a slow client. Measured on 2 cores with bench/intake_load.py at 16 connections,
# three rounds each (median submissions/s, p99): 3x2 237/s 90 ms, 4x1 245/s 169 ms, 4x2 225/s 107 ms,
# 2x4 207/s, 2x2 191/s. One process more than there are cores keeps both cores busy while one waits for
# SQLite's write lock, without the extra switching that a fourth process added.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
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
