"""python -m engage.ops.serve: check the secret key, migrate, then become gunicorn (what `make serve` runs).

Extra arguments go to gunicorn, e.g. `python -m engage.ops.serve --workers 3`. Settings come from the
environment (see gunicorn.conf.py and the README's "Running in production").
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Any fixed number works; every Engage host that migrates on start waits on the same one.
_MIGRATION_LOCK = 7_462_019


def production_app():
    """The app gunicorn serves. PROXY_HOPS=1 behind one reverse proxy (nginx) makes the proxy's
    X-Forwarded-For the client address that rate limits count by; left at 0, every client would look
    like the proxy. Only set it when a proxy always overwrites that header, or clients could forge it.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    from engage import create_app

    app = create_app("production")
    hops = int(os.environ.get("PROXY_HOPS", "0"))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def secret_key_problem() -> str | None:
    from config import ProductionConfig

    try:
        ProductionConfig.check({"SECRET_KEY": os.environ.get("SECRET_KEY", "")})
    except RuntimeError as error:
        return str(error)
    return None


def migrate() -> None:
    """Bring the schema up to date. On PostgreSQL an advisory lock makes hosts that start together take turns."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from engage import create_app
    from engage.extensions import db

    app = create_app("production")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
                try:
                    upgrade()
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
        else:
            upgrade()
        db.engine.dispose()  # no connection may cross into gunicorn's forked workers


def main(argv: list[str]) -> int:
    problem = secret_key_problem()
    if problem:
        print(f"engage: not starting. {problem}", file=sys.stderr)
        return 2
    os.environ["ENGAGE_CONFIG"] = "production"
    os.chdir(ROOT)
    if os.environ.get("SKIP_MIGRATIONS") != "1":
        migrate()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *argv,
               "engage.ops.serve:production_app()"]
    os.execv(sys.executable, command)
    return 1  # not reached: execv replaces this process with gunicorn


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
