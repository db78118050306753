"""The ceiling for bench/intake_load.py on this machine: the same load generator, the same gunicorn settings,
against an app that does nothing (bench/_null_app.py), then against Engage, side by side in one run.

The 16-connection figure of the do-nothing app is the most any WSGI app could reach here with this load
generator sharing the cores; Engage's figure is reported as a fraction of it, with CPU per submission for both.

    .venv/bin/python bench/intake_ceiling.py [--seconds 15] [--rounds 2]
"""
import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _loadgen import SLUG, free_port, latency_row, load_average, run_level, wait_for_port
from _servers import (
    BIN, ROOT, app_env, cpu_seconds, prepare_database, remove_sqlite_files, start_gunicorn, stop_process_group,
)


def measure(server, port: int, seconds: float) -> tuple[str, float, float, float]:
    """(latency row, submissions/s, gunicorn ms and load-generator ms per submission) at 16 connections."""
    asyncio.run(run_level("127.0.0.1", port, SLUG, 16, 3.0))  # warm every worker; not reported
    server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
    stats, elapsed = asyncio.run(run_level("127.0.0.1", port, SLUG, 16, seconds))
    done = max(len(stats.acknowledged), 1)
    return (latency_row(stats, elapsed), len(stats.acknowledged) / elapsed,
            (cpu_seconds(server.pid) - server_cpu) * 1000 / done, (time.process_time() - client_cpu) * 1000 / done)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2, help="alternate the two apps this many times")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="engage-ceiling-"))
    port = free_port()
    env = app_env(f"sqlite:///{workdir / 'engage.db'}", port)
    prepare_database(env, empty_postgres=False)
    print(f"cores: {os.cpu_count()}  load average at the start: {load_average()}")
    print(f"{'app':<10} {'subs':>6} {'subs/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'GET p99':>7}  "
          "CPU ms per submission: gunicorn / load generator")
    figures: dict[str, list[float]] = {"nothing": [], "engage": []}
    try:
        for _ in range(args.rounds):
            for name in ("nothing", "engage"):
                if name == "nothing":
                    server = subprocess.Popen(
                        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--pythonpath",
                         str(Path(__file__).resolve().parent), "_null_app:app"],
                        env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
                    wait_for_port(port)
                else:
                    server = start_gunicorn(env)
                time.sleep(8)  # let every worker finish loading before the warm-up
                try:
                    row, rate, server_ms, client_ms = measure(server, port, args.seconds)
                finally:
                    stop_process_group(server)
                figures[name].append(rate)
                print(f"{name:<10} {row}  {server_ms:.1f} / {client_ms:.1f}")
    finally:
        remove_sqlite_files(workdir)
        workdir.rmdir()
    best = {name: max(rates) for name, rates in figures.items()}
    print(f"best of {args.rounds}: do-nothing app {best['nothing']:.0f} subs/s, Engage {best['engage']:.0f} subs/s "
          f"= {best['engage'] / best['nothing']:.0%} of the ceiling; load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
