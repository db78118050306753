"""/healthz says the process is alive without touching the database; /readyz checks the database and Redis."""
import logging
import os

import pytest

from engage import create_app
from engage.ops import views

REDIS_URL = os.environ.get("ENGAGE_TEST_REDIS_URL")
# Nothing listens on port 1; the password must never reach the response body.
DEAD_POSTGRES = "postgresql+psycopg://engage:pg-secret-pw@127.0.0.1:1/engage"
DEAD_REDIS = "redis://:redis-secret-pw@127.0.0.1:1/0"


@pytest.fixture
def broken_app(tmp_path):
    """An app whose database cannot be opened (its folder does not exist)."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'engage.db'}")


def test_healthz_is_ok_with_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"


def test_healthz_is_ok_even_when_the_database_is_down(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_readyz_reports_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "redis": "not configured"}}


def test_readyz_is_503_naming_the_database_when_it_cannot_be_opened(broken_app):
    response = broken_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "failed", "redis": "not configured"}}


def test_readyz_is_503_for_an_unreachable_postgresql_and_shows_no_secret():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DEAD_POSTGRES)
    response = app.test_client().get("/readyz")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failed"
    assert "pg-secret-pw" not in body and "127.0.0.1" not in body and "engage:" not in body


def test_readyz_is_503_naming_redis_when_redis_is_unreachable(app):
    app.config["REDIS_URL"] = DEAD_REDIS
    response = app.test_client().get("/readyz")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "failed"}
    assert "redis-secret-pw" not in body and "127.0.0.1" not in body


def test_readyz_checks_a_real_redis(app):
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("ENGAGE_TEST_REDIS_URL is not set; .ci/run starts redis-server and sets it")
        pytest.skip("set ENGAGE_TEST_REDIS_URL to check /readyz against a real Redis")
    app.config["REDIS_URL"] = REDIS_URL
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_probes_log_nothing_when_well_and_a_failure_at_most_once_a_minute(app, broken_app, caplog, monkeypatch):
    monkeypatch.setitem(views._last_logged, "at", None)
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert app.test_client().get("/healthz").status_code == 200
            assert app.test_client().get("/readyz").status_code == 200
        assert [r for r in caplog.records if r.name.startswith(("engage", "flask"))] == []
        for _ in range(3):
            assert broken_app.test_client().get("/readyz").status_code == 503
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "readyz" in warnings[0]
    assert "missing" not in warnings[0]  # the exception's type only, never its message (paths, hosts, URLs)


def test_probes_need_no_session_and_set_no_cookie(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
