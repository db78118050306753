"""Where a participant's GET and POST spend the server's CPU: the bench's journey in one process, under cProfile.

Runs the app with the production configuration on a fresh SQLite file (as bench/intake_load.py does), then
calls the WSGI app directly (no HTTP, no test client) for the same GET /c/<slug>/respond and POST the load
generator sends, and prints the milliseconds per GET+POST and the top functions.

    .venv/bin/python bench/_profile_intake.py                 # timing only, 2,000 submissions
    .venv/bin/python bench/_profile_intake.py --profile 30    # and cProfile's 30 costliest functions
"""
import argparse
import cProfile
import io
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from _loadgen import BIN, ROOT, SLUG, form_answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print this many functions (by own time)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="engage-profile-"))
    os.environ.update({
        "ENGAGE_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{workdir / 'engage.db'}", "MIN_FILL_SECONDS": "0",
        "INTAKE_ADDRESS_LIMIT": "1000000 per minute", "FLASK_APP": "engage",
    })
    flask = [str(BIN / "flask")]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo", "--responses", "0", "--without-review"], cwd=ROOT, check=True,
                   capture_output=True)

    from engage import create_app

    app = create_app()
    journey = Journey(app.wsgi_app)
    for i in range(50):  # warm-up: caches, connections, imports
        journey.submit(i)
    journey.cpu = {"GET": 0.0, "POST": 0.0}
    profiler = cProfile.Profile() if args.profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for i in range(args.submissions):
        journey.submit(i)
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu_started
    print(f"{args.submissions} submissions: {cpu * 1000 / args.submissions:.2f} ms CPU per GET+POST "
          f"({(time.perf_counter() - started) * 1000 / args.submissions:.2f} ms wall)"
          + (" under cProfile" if profiler else "")
          + f"; GET {journey.cpu['GET'] * 1000 / args.submissions:.2f} ms, POSTs {journey.cpu['POST'] * 1000 / args.submissions:.2f} ms")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        print(out.getvalue())
    for path in workdir.glob("engage.db*"):
        path.unlink()
    workdir.rmdir()
    return 0


class Journey:
    """A new browser session per participant: GET the form, POST its answers (one in twenty twice)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.cpu = {"GET": 0.0, "POST": 0.0}

    def call(self, method: str, path: str, cookie: str, body: bytes = b"") -> tuple[str, dict, bytes]:
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "engage-bench", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        started = time.process_time()
        result = self.wsgi_app(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        self.cpu[method] += time.process_time() - started
        return captured["status"], captured["headers"], content

    def submit(self, index: int) -> None:
        status, headers, page = self.call("GET", f"/c/{SLUG}/respond", "")
        assert status.startswith("200"), status
        cookie = _cookie(headers)
        data, _key = form_answers(page, index)
        body = urllib.parse.urlencode(data).encode()
        status, headers, _ = self.call("POST", f"/c/{SLUG}/respond", cookie, body)
        assert status.startswith("303"), status
        if index % 20 == 0:
            status, _, _ = self.call("POST", f"/c/{SLUG}/respond", _cookie(headers) or cookie, body)
            assert status.startswith("303"), status


def _cookie(headers) -> str:
    return "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")


if __name__ == "__main__":
    sys.exit(main())
