"""When the database cannot take a submission, the participant keeps every answer and can send it again.

The faults are real: another connection holds SQLite's write lock for longer than the app's busy timeout,
as a long import or a stuck process would; or the database file is moved away, so every new connection
finds no tables, as after a failed restore.
"""
import contextlib
import os
import shutil
import sqlite3
import time

import pytest
from sqlalchemy import func, select

from engage import create_app
from engage.extensions import db
from engage.models import Response
from engage.services.snapshots import clear_consultation_views
from tests.helpers import fresh_form, valid_answers

TEXT = "Seeing an officer at the door every morning makes me nervous, I would rather talk to a counsellor."


@pytest.fixture
def app(sqlite_template, tmp_path):
    """SQLite only (the fault is its write lock), with a short busy timeout so the test does not wait 30 s."""
    path = tmp_path / "engage.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT=0.3,
                     CONSULTATION_CACHE_SECONDS=0.5)
    clear_consultation_views()
    app.config["DB_BACKEND"] = "sqlite"
    app.config["ENGAGE_TEST_DB_PATH"] = str(path)
    yield app
    clear_consultation_views()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def database_moved_away(app):
    """Every new connection opens an empty file in the database's place until the block ends."""
    path = app.config["ENGAGE_TEST_DB_PATH"]
    with app.app_context():
        db.engine.dispose()  # the last connection out folds the WAL back in and removes it
    os.rename(path, path + ".away")
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
        os.rename(path + ".away", path)


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_a_submission_the_database_cannot_take_keeps_the_answers_and_can_be_sent_again(
        app, client, make_consultation, caplog):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text=TEXT)
    blocker = sqlite3.connect(app.config["ENGAGE_TEST_DB_PATH"], isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        response = client.post("/c/school-safety/respond", data=data, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Nothing was saved, and your answers are still below" in page
    assert TEXT in page  # in the text box, ready to send again
    assert 'name="submission_key" type="hidden" value="%s"' % data["submission_key"] in page
    assert stored(app) == 0
    # The log says what failed, not who: no answer and no address.
    assert "the database did not answer" in caplog.text
    assert TEXT not in caplog.text and "203.0.113.9" not in caplog.text

    # The lock is gone: sending the same page again stores it, once, even when sent twice.
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    assert stored(app) == 1


def test_while_the_database_is_gone_the_form_still_opens_and_a_sent_form_comes_back(app, client, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text=TEXT)  # caches the form
    with database_moved_away(app):
        time.sleep(0.6)  # the cached snapshot is now too old, and reloading it fails
        page = client.get("/c/school-safety/respond")
        assert page.status_code == 200 and "What is it like?" in page.get_data(as_text=True)
        sent = client.post("/c/school-safety/respond", data=data)
        assert sent.status_code == 503 and TEXT in sent.get_data(as_text=True)
        assert "Nothing was saved, and your answers are still below" in sent.get_data(as_text=True)
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    assert stored(app) == 1


def test_a_worker_with_nothing_cached_says_to_try_again_and_shows_the_typed_text(app, client, make_consultation,
                                                                                caplog):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text=TEXT)
    clear_consultation_views()  # as in a worker started while the database is down
    with database_moved_away(app):
        page = client.get("/c/school-safety/respond")
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert "We cannot take answers just now" in page.get_data(as_text=True)
        sent = client.post("/c/school-safety/respond", data=data)
        html = sent.get_data(as_text=True)
        assert sent.status_code == 503 and "What you typed" in html and TEXT in html
        assert '<a href="/c/school-safety/respond">Open the page again</a>' in html
    # The log has the driver's reason, for whoever fixes it, but not the statement's parameters (the answers).
    assert "no such table" in caplog.text and TEXT not in caplog.text
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    assert stored(app) == 1
