"""The system under test for the benchmarks: gunicorn with the production settings, throwaway PostgreSQL and Redis."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from _loadgen import BIN, ROOT, free_port, wait_for_port


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
    subprocess.run(flask + ["seed-demo", "--responses", "0", "--without-review"], env=env, cwd=ROOT, check=True,
                   capture_output=True)


def remove_sqlite_files(workdir: Path) -> None:
    """Delete a run's SQLite database (and its -wal and -shm) once checked; the logs beside it stay."""
    for path in workdir.glob("engage.db*"):
        path.unlink()


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
