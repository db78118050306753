"""`make serve`: the production configuration under gunicorn, migrated first, reloading gracefully on SIGHUP."""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until_serving(port: int, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited with {server.returncode}: {log.read_text()}")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start serving in time")


def _workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return set(map(int, children.read_text().split())) if children.exists() else set()


def _env(tmp_path: Path, port: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ENGAGE_CONFIG", "REDIS_URL", "DATABASE_URL")}
    return env | {
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'engage.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
    } | extra


def test_serve_migrates_serves_reloads_on_hup_and_stops_cleanly(tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "engage.ops.serve"], cwd=ROOT, env=_env(tmp_path, port),
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_serving(port, server, log)
        assert _get(port, "/healthz") == (200, "ok")
        status, body = _get(port, "/readyz")
        assert status == 200 and json.loads(body)["checks"]["database"] == "ok"
        # Migrated before serving: the participant's home page reads the consultations table.
        assert _get(port, "/")[0] == 200
        before = _workers(server.pid)

        server.send_signal(signal.SIGHUP)  # the launcher exec'd gunicorn, so this pid is gunicorn's master
        # A request sent during the reload waits in the listening socket's queue for a new worker: it is not refused.
        assert _get(port, "/healthz", timeout=60) == (200, "ok")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            after = _workers(server.pid)
            if not before or (len(after) == 2 and not after & before):
                break
            time.sleep(0.2)
        assert server.poll() is None
        if before:  # /proc exposes children on this kernel: every worker was replaced
            assert len(after) == 2 and not after & before
        assert _get(port, "/healthz", timeout=60) == (200, "ok")
        assert _get(port, "/readyz", timeout=60)[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            raise
    assert server.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_serve_refuses_to_start_without_a_strong_secret_key(tmp_path):
    port = _free_port()
    for key in (None, "too-short", "dev-only-not-secret"):
        env = _env(tmp_path, port)
        env.pop("SECRET_KEY")
        if key is not None:
            env["SECRET_KEY"] = key
        done = subprocess.run([sys.executable, "-m", "engage.ops.serve"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert "SECRET_KEY" in done.stderr and "not starting" in done.stderr
    assert not (tmp_path / "engage.db").exists()  # refused before touching the database


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_defaults_to_port_8000_and_runs_the_launcher():
    def dry_run(*args, **env):
        # Under `make test` the outer make's MAKEFLAGS/MAKELEVEL would add "Entering/Leaving directory" lines.
        outer = ("PORT", "HOST", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
        out = subprocess.run(["make", "--no-print-directory", "-n", "serve", *args], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, env={k: v for k, v in os.environ.items() if k not in outer} | env)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()[-1]

    assert dry_run() == "HOST=127.0.0.1 PORT=8000 .venv/bin/python -m engage.ops.serve"
    assert "PORT=9123 " in dry_run(PORT="9123")
    assert "PORT=9124 " in dry_run("PORT=9124")
    assert "HOST=0.0.0.0 " in dry_run(HOST="0.0.0.0")
