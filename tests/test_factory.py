"""The app factory: configurations, production's refusal of a weak key, and SQLite's tuning."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from engage import create_app
from engage.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="short")


def test_production_takes_its_key_from_the_environment(tmp_path):
    """Run in a fresh interpreter, because config.py reads the environment when it is imported."""
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "k" * 48, "ENGAGE_CONFIG": "production",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    code = "from engage import create_app; app = create_app(); print(app.config['SECRET_KEY'] == 'k' * 48)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "True", out.stderr


def test_production_starts_with_a_real_key(tmp_path):
    app = create_app("production", SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_sqlite_uses_wal_and_busy_timeout(app):
    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("SQLite pragmas")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: safe in WAL mode
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10000
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]  # a file cannot drop the connection


def test_session_cookie_compresses_only_large_payloads_and_reads_both_forms(app):
    """A small session is not zlib-compressed; a large, repetitive one still is (the 4 KB cookie limit), and a
    cookie written before in Flask's stock format still opens."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature

    with app.test_request_context():
        ours = app.session_interface.get_signing_serializer(app)
        token = ours.dumps({"csrf_token": "a" * 40, "n": 1})
        assert not token.startswith(".")  # a leading dot marks a compressed payload
        assert ours.loads(token) == {"csrf_token": "a" * 40, "n": 1}
        older = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"kept": "x" * 300})
        assert older.startswith(".")
        assert ours.loads(older) == {"kept": "x" * 300}
        flashes = {"_flashes": [["message", "Please sign in to see that page."]] * 200}
        large = ours.dumps(flashes)
        assert large.startswith(".") and len(large) < 1000
        assert ours.loads(large) == flashes
        with pytest.raises(BadSignature):
            ours.loads(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_importing_the_package_does_not_load_the_web_stack():
    code = "import engage, sys; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_begin_write_inside_a_write_transaction_keeps_it_one_transaction(app):
    """Services that call each other share one transaction: a rollback undoes both parts."""
    from engage.database import begin_write
    from engage.models import Consultation

    with app.app_context():
        begin_write()
        db.session.add(Consultation(slug="first", title="First", status="open"))
        db.session.flush()
        begin_write()  # a second service joining in must not commit the first one's work
        db.session.add(Consultation(slug="second", title="Second", status="open"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(Consultation)) == 0


def test_a_connection_the_server_ended_mid_request_does_not_fail_the_request(app):
    """PostgreSQL restarting ends every connection; the request that held one must still end cleanly."""
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("needs a database server that can end a connection")
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))  # the request's transaction is open
        with create_engine(db.engine.url, poolclass=NullPool).connect() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # Leaving the context runs the teardown, which must not raise (under gunicorn that was a 500).
    with app.app_context():
        assert db.session.scalar(text("SELECT 1")) == 1  # the pool hands out a working connection again
