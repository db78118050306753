"""Published downloads are cached on disk; a restored database that publishes again never gets the old file."""
import csv
import io
from pathlib import Path

import pytest

from engage.extensions import db
from engage.ops.backup import backup_sqlite, restore_sqlite
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in

SLUG = "school-safety"
OVERVIEW = f"/review/{SLUG}/report"


def _publish(reviewer, publisher):
    for client, action in ((reviewer, "submit"), (publisher, "approve"), (publisher, "publish")):
        token = hidden_inputs(client.get(OVERVIEW).get_data(as_text=True))["csrf_token"]
        assert client.post(f"{OVERVIEW}/{action}", data={"csrf_token": token}).status_code == 303, action


def _respondents(client) -> str:
    rows = csv.DictReader(io.StringIO(client.get(f"/c/{SLUG}/report.csv").get_data(as_text=True)))
    return next(r["value"] for r in rows if r["table"] == "overview" and r["measure"] == "respondents")


def test_a_restore_then_a_new_publication_serves_the_new_file(app, client, make_consultation, make_user, tmp_path):
    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("restore_sqlite is the SQLite restore; PostgreSQL is restored with pg_restore")
    app.instance_path = str(tmp_path / "instance")
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    cid = make_consultation()
    add_responses(app, cid, [("The officer is kind.", "online", {"role": ["Teacher"]}, ["Safety"])] * 30)
    reviewer = sign_in(app, make_user, "reviewer", email="rev@example.org")
    publisher = sign_in(app, make_user, "publisher", email="pub@example.org")
    backup = backup_sqlite(database=database, out=tmp_path / "before-publication.db")

    _publish(reviewer, publisher)
    assert _respondents(client) == "30"

    # The restore takes the database back to before publication, so the next version gets the same ids again.
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    restore_sqlite(backup=backup, database=database)
    add_responses(app, cid, [("I feel watched.", "online", {"role": ["Student"]}, ["Fear"])] * 12)
    _publish(reviewer, publisher)
    assert _respondents(client) == "42"


def test_each_language_gets_its_own_cached_download(app, client, make_consultation, make_user, tmp_path):
    """Block words follow the page's language, so a French download is never the English file from the cache."""
    app.instance_path = str(tmp_path / "instance")
    cid = make_consultation()
    add_responses(app, cid, [("The officer is kind.", "online", {"role": ["Teacher"]}, ["Safety"])] * 30)
    _publish(sign_in(app, make_user, "reviewer", email="rev@example.org"),
             sign_in(app, make_user, "publisher", email="pub@example.org"))
    english = client.get(f"/c/{SLUG}/report.html?lang=en").get_data(as_text=True)
    french = client.get(f"/c/{SLUG}/report.html?lang=fr").get_data(as_text=True)
    assert "Respondents by" in english and "Respondents by" not in french
    assert client.get(f"/c/{SLUG}/report.html?lang=en").get_data(as_text=True) == english  # served from the cache
    assert len(list((tmp_path / "instance" / "report_cache").glob("*.html"))) == 2
