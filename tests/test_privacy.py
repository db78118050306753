"""Anonymity by construction: the schema, the stored bytes and the logs hold nothing about the participant."""
import logging
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import Date, String, Text, inspect, select, text
from werkzeug.serving import make_server

from engage.extensions import db
from tests.helpers import fresh_form, hidden_inputs, valid_answers

CLIENT_ADDRESS = "203.0.113.77"
USER_AGENT = "PrivacyProbe/7.3 (unique-agent-8c1f2a)"
REFERRER = "https://referrer.example/unique-ref-55e1"
PARTICIPANT_TABLES = ("responses", "answers", "segment_answers", "receipts")
# Columns whose names trip the word check but say nothing about a person, each with the reason.
ALLOWED_COLUMNS = {
    "responses.engagement_session_id": "the focus group or roundtable a note came from, not a browser session",
}
FORBIDDEN_COLUMN_WORDS = ("ip", "addr", "agent", "referrer", "referer", "session", "cookie", "user", "account",
                          "email", "time", "created", "updated")


def test_participant_tables_have_no_identifying_columns(app):
    with app.app_context():
        inspector = inspect(db.engine)
        for table in PARTICIPANT_TABLES:
            for column in inspector.get_columns(table):
                name = column["name"].lower()
                if f"{table}.{name}" in ALLOWED_COLUMNS:
                    continue
                assert not any(word in name.split("_") or name.startswith(word) for word in FORBIDDEN_COLUMN_WORDS), (
                    f"{table}.{name} looks like it could identify a participant"
                )
            assert not [fk for fk in inspector.get_foreign_keys(table) if fk["referred_table"] in ("users", "sessions")]
    # Only the day is kept: the column type is a date, not a timestamp.
    assert isinstance(db.metadata.tables["responses"].c.submitted_on.type, Date)


def test_receipts_cannot_be_joined_to_responses(app):
    receipts = db.metadata.tables["receipts"]
    assert {c.name for c in receipts.columns} == {"code_hash", "consultation_id"}
    assert all(fk.column.table.name == "consultations" for fk in receipts.foreign_keys)


def _submit_with_identifying_headers(client, app, slug: str, n: int) -> None:
    headers = {"User-Agent": USER_AGENT, "Referer": REFERRER}
    environ = {"REMOTE_ADDR": CLIENT_ADDRESS}
    for i in range(n):
        page = client.get(f"/c/{slug}/respond", headers=headers, environ_base=environ).get_data(as_text=True)
        data = hidden_inputs(page) | valid_answers(app, slug, text=f"Answer number {i} about the officer.")
        response = client.post(f"/c/{slug}/respond", data=data, headers=headers, environ_base=environ)
        assert response.status_code == 303


def test_whole_database_holds_no_address_or_user_agent(client, app, make_consultation):
    make_consultation()
    _submit_with_identifying_headers(client, app, "school-safety", 5)
    needles = (CLIENT_ADDRESS, USER_AGENT, "unique-agent-8c1f2a", "unique-ref-55e1")
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM responses")).scalar() == 5
        # Every text column of every table, searched through SQL (works on SQLite and PostgreSQL).
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text)):
                    for needle in needles:
                        found = db.session.scalar(select(column).where(column.contains(needle)).limit(1))
                        assert found is None, f"{needle!r} found in {table.name}.{column.name}"
        if app.config["DB_BACKEND"] == "sqlite":
            # The raw bytes of the database and its write-ahead log, where recent rows live until a checkpoint.
            database = Path(db.engine.url.database)
            raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
            for needle in needles:
                assert needle.encode() not in raw and needle.encode("utf-16-le") not in raw


def test_access_logs_do_not_record_the_client(app, make_consultation, caplog):
    """Run the real development server and read what it logs for a participant's visit."""
    make_consultation()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    caplog.set_level(logging.INFO)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        opener.addheaders = [("User-Agent", USER_AGENT), ("Referer", REFERRER)]
        page = opener.open(f"{base}/c/school-safety/respond").read().decode()
        data = hidden_inputs(page) | valid_answers(app, "school-safety")
        body = urllib.parse.urlencode(data).encode()
        with opener.open(f"{base}/c/school-safety/respond", data=body) as reply:
            assert "receipt code" in reply.read().decode()
    finally:
        server.shutdown()
        thread.join(5)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/c/school-safety/respond" in logged  # the server did log the requests...
    for needle in ("127.0.0.1", USER_AGENT, "unique-ref-55e1"):
        assert needle not in logged  # ...but not who made them


def test_form_page_sets_no_tracking_cookie(client, make_consultation):
    make_consultation()
    response = client.get("/c/school-safety")
    assert "Set-Cookie" not in response.headers
