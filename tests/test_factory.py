"""The app factory: configurations, production's refusal of a weak key, and SQLite's tuning."""
import subprocess
import sys

import pytest
from sqlalchemy import text

from engage import create_app
from engage.extensions import db


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY="short")


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


def test_importing_the_package_does_not_load_the_web_stack():
    code = "import engage, sys; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
