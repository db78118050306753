"""gunicorn settings for benchmarks: the repository's gunicorn.conf.py unchanged, plus a log of worker boot times.

bench/fault_inject.py passes this file to gunicorn -c. It runs the settings file named by
ENGAGE_BENCH_GUNICORN_CONF (default: gunicorn.conf.py) and adds hooks that append "pid seconds" to
ENGAGE_BENCH_BOOT_LOG when a worker has loaded the app and is about to serve, so the benchmark can say
how long a killed worker's replacement takes to be ready.
"""
import os
import time
from pathlib import Path

_wrapped = Path(os.environ.get("ENGAGE_BENCH_GUNICORN_CONF", Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
exec(compile(_wrapped.read_text(), str(_wrapped), "exec"))  # noqa: S102 (our own settings file)

_their_post_fork = globals().get("post_fork")
_their_post_worker_init = globals().get("post_worker_init")


def post_fork(server, worker):
    worker.engage_bench_forked = time.monotonic()
    if _their_post_fork:
        _their_post_fork(server, worker)


def post_worker_init(worker):
    if _their_post_worker_init:
        _their_post_worker_init(worker)
    log = os.environ.get("ENGAGE_BENCH_BOOT_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {time.monotonic() - worker.engage_bench_forked:.3f}\n")
