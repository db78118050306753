"""flask backup / restore / purge on a real database: online copies, safe restores, and purges that keep what was published."""
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from engage.extensions import db
from engage.models import (
    Answer, AuditEvent, Code, Consultation, Report, ReportQuote, ReportVersion, Response, Theme,
)
from engage.ops.backup import integrity_problems
from engage.services import search_index

OLD, NEW = dt.date(2025, 1, 10), dt.date(2025, 3, 10)
FROZEN = {"facts": {"responses": 4}, "tables": [{"title": "Feel safe", "rows": [["Agree", 12]]}]}


def _sqlite_only(app):
    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("SQLite backup API (PostgreSQL uses pg_dump)")


def _db_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def add_response(app, consultation_id: int, day: dt.date, words: str, theme: str | None = None) -> str:
    """A response on `day` with one comment and one scale answer; the comment optionally coded to `theme`."""
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        by_kind = {q.kind: q for q in consultation.questions}
        response = Response(consultation_id=consultation_id, submitted_on=day)
        comment = Answer(question_id=by_kind["text"].id, text=words)
        response.answers = [comment, Answer(question_id=by_kind["scale"].id, scale_value=4)]
        db.session.add(response)
        db.session.flush()
        if theme:
            found = db.session.scalar(select(Theme).where(Theme.consultation_id == consultation_id, Theme.name == theme))
            found = found or Theme(consultation_id=consultation_id, name=theme)
            db.session.add(found)
            db.session.flush()
            db.session.add(Code(answer_id=comment.id, theme_id=found.id))
        db.session.commit()
        return comment.id


def publish(app, consultation_id: int, published_at: dt.datetime) -> int:
    """A published, frozen report version inserted directly (the report workflow is not under test here)."""
    with app.app_context():
        report = Report(consultation_id=consultation_id, title="What we heard", status="published")
        db.session.add(report)
        db.session.flush()
        version = ReportVersion(report_id=report.id, number=1, published_at=published_at, title="What we heard",
                                sections=[{"key": "summary", "title": "Summary", "html": "<p>Thanks.</p>"}], data=FROZEN)
        db.session.add(version)
        db.session.commit()
        return report.id


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def comment_count(app, consultation_id: int) -> int:
    return count(app, Answer, Answer.text.is_not(None),
                 Answer.response_id.in_(select(Response.id).where(Response.consultation_id == consultation_id)))


# --- backup and restore ----------------------------------------------------------------------------------------

def test_backup_writes_a_sound_private_copy_with_the_rows(app, runner, make_consultation, tmp_path):
    _sqlite_only(app)
    cid = make_consultation()
    for i in range(3):
        add_response(app, cid, OLD, f"comment {i}")
    out = tmp_path / "copies" / "engage-copy.db"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "integrity check passed" in result.output
    assert integrity_problems(out) == []
    assert out.stat().st_mode & 0o077 == 0  # raw comments: readable by the owner only
    copy = sqlite3.connect(out)
    assert copy.execute("SELECT count(*) FROM responses").fetchone()[0] == 3
    assert sorted(r[0] for r in copy.execute("SELECT text FROM answers WHERE text IS NOT NULL")) == [
        "comment 0", "comment 1", "comment 2"]
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    copy.close()
    assert not Path(str(out) + "-wal").exists()


def test_backup_is_consistent_while_another_writer_holds_the_lock(app, runner, make_consultation, tmp_path):
    _sqlite_only(app)
    cid = make_consultation()
    add_response(app, cid, OLD, "committed")
    writer = sqlite3.connect(_db_path(app), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM answers")  # not committed while the backup runs
    try:
        result = runner.invoke(args=["backup", "--out", str(tmp_path / "during.db")])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(tmp_path / "during.db")
    assert copy.execute("SELECT text FROM answers WHERE text IS NOT NULL").fetchall() == [("committed",)]
    copy.close()


def test_backup_goes_to_a_timestamped_file_in_instance_backups_by_default(app, runner, tmp_path):
    _sqlite_only(app)
    app.instance_path = str(tmp_path / "instance")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "instance" / "backups").glob("engage-*Z.db"))
    assert len(written) == 1 and integrity_problems(written[0]) == []


def test_backup_never_overwrites_a_file(app, runner, tmp_path):
    _sqlite_only(app)
    out = tmp_path / "exists.db"
    out.write_bytes(b"keep me")
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert out.read_bytes() == b"keep me"


def test_backup_on_postgresql_points_to_pg_dump(app, runner, tmp_path):
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("PostgreSQL only")
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert not (tmp_path / "x.db").exists()


def test_restore_round_trip_keeps_the_replaced_database(app, runner, make_consultation, tmp_path):
    _sqlite_only(app)
    cid = make_consultation()
    add_response(app, cid, OLD, "before the backup")
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "--out", str(backup)]).exit_code == 0
    add_response(app, cid, NEW, "after the backup")
    assert count(app, Response) == 2

    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert count(app, Response) == 1
    with app.app_context():
        assert db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all() == ["before the backup"]
        # The full-text index (and its notes of what to index next) came back with the rows it indexes.
        search_index.refresh()
        assert db.session.scalar(text("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH 'backup'")) == 1
    kept = list(_db_path(app).parent.glob("engage.db.*.bak"))
    assert len(kept) == 1 and integrity_problems(kept[0]) == []
    old = sqlite3.connect(kept[0])
    assert old.execute("SELECT count(*) FROM responses").fetchone()[0] == 2
    old.close()


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(app, runner, make_consultation, tmp_path):
    _sqlite_only(app)
    add_response(app, make_consultation(), OLD, "still here")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    for bad, reason in ((garbage, "not a sound"), (foreign, "not an Engage database")):
        result = runner.invoke(args=["restore", "--yes", str(bad)])
        assert result.exit_code != 0 and reason in result.output, result.output
    assert count(app, Response) == 1
    assert not list(_db_path(app).parent.glob("*.bak"))


def test_restore_asks_before_replacing(app, runner, tmp_path):
    _sqlite_only(app)
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "--out", str(backup)]).exit_code == 0
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert not list(_db_path(app).parent.glob("*.bak"))


# --- purge ----------------------------------------------------------------------------------------------------

@pytest.fixture
def purge_setup(app, make_consultation):
    """A closed consultation with old and new comments, coded, quoted and published; an open one with old ones."""
    closed = make_consultation("closed-one", status="closed")
    still_open = make_consultation("open-one", status="open")
    old_ids = [add_response(app, closed, OLD, f"old comment {i}", theme="Safety") for i in range(3)]
    new_ids = [add_response(app, closed, NEW, f"new comment {i}", theme="Safety") for i in range(2)]
    add_response(app, still_open, OLD, "open old comment")
    report_id = publish(app, closed, dt.datetime(2025, 4, 1, 12, 0))
    with app.app_context():
        db.session.add_all([
            ReportQuote(report_id=report_id, answer_id=old_ids[0], text="old comment 0", status="approved"),
            ReportQuote(report_id=report_id, answer_id=old_ids[1], text="old comment 1", status="proposed"),
            ReportQuote(report_id=report_id, answer_id=new_ids[0], text="new comment 0", status="proposed"),
        ])
        db.session.commit()
    return {"closed": closed, "open": still_open, "old": old_ids, "new": new_ids, "report": report_id}


def _snapshot(app):
    """Everything a purge may touch, as plain values."""
    with app.app_context():
        version = db.session.scalar(select(ReportVersion))
        return {
            "answers": sorted((str(a.id), a.text, a.scale_value) for a in db.session.scalars(select(Answer))),
            "responses": count(app, Response),
            "codes": count(app, Code),
            "quotes": sorted((q.status, str(q.answer_id), q.text) for q in db.session.scalars(select(ReportQuote))),
            "version": (version.title, version.sections, version.data, version.published_at) if version else None,
            "purged_at": sorted((c.slug, c.comments_purged_at) for c in db.session.scalars(select(Consultation))),
            "audit": count(app, AuditEvent),
        }


def test_purge_before_deletes_only_older_comments_of_closed_consultations(app, runner, purge_setup):
    s = purge_setup
    before = _snapshot(app)
    result = runner.invoke(args=["purge", "--before", "2025-02-01"])
    assert result.exit_code == 0, result.output
    assert "closed-one: deleted 3 comment(s)" in result.output
    assert "open-one: skipped, not closed" in result.output

    with app.app_context():
        remaining = set(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
    assert remaining == {"new comment 0", "new comment 1", "open old comment"}
    assert count(app, Response) == before["responses"]  # participation counts stay
    assert count(app, Answer, Answer.scale_value.is_not(None)) == 6  # so do the scale answers
    assert count(app, Code) == 2  # codes of the purged comments went with them
    with app.app_context():
        quotes = {q.text: q for q in db.session.scalars(select(ReportQuote))}
        assert set(quotes) == {"old comment 0", "new comment 0"}  # the unapproved copy of an old comment went
        assert quotes["old comment 0"].answer_id is None and quotes["old comment 0"].status == "approved"
        assert quotes["new comment 0"].answer_id == s["new"][0]
        version = db.session.scalar(select(ReportVersion))
        assert (version.title, version.sections, version.data, version.published_at) == before["version"]
        closed = db.session.get(Consultation, s["closed"])
        assert closed.comments_purged_at is not None
        assert db.session.get(Consultation, s["open"]).comments_purged_at is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purge_comments"))
        assert event.actor_id is None and event.actor_label == "command line"
        assert event.target_id == s["closed"] and event.details == {"before": "2025-02-01", "due": False, "comments": 3}
        if app.config["DB_BACKEND"] == "sqlite":  # the full-text index followed the deletes, in the purge itself
            assert db.session.scalar(text("SELECT count(*) FROM answers_fts_pending")) == 0
            indexed = db.session.scalar(text("SELECT count(*) FROM answers_fts"))
            assert indexed == 3
            assert db.session.scalar(text("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH 'old'")) == 1


def test_purge_leaves_no_index_row_for_a_comment_redacted_mid_batch(app, purge_setup):
    """A batch is chosen before the write lock is taken; a redaction in between must not leave words behind."""
    _sqlite_only(app)
    from engage.services import retention

    ids = purge_setup["old"]
    with app.app_context():
        search_index.refresh()
        indexed_before = db.session.scalar(text("SELECT count(*) FROM answers_fts"))
        consultation = db.session.get(Consultation, purge_setup["closed"])
        plan = retention.plan_purge(consultation=consultation, before=dt.date(2025, 2, 1), today=dt.date.today())
        batch = retention.choose_batch(plan=plan)
        assert sorted(batch.ids) == sorted(ids)
        db.session.commit()
        # Meanwhile a reviewer redacts one of them, and a search indexes the redaction (a new index row).
        db.session.execute(update(Answer).where(Answer.id == ids[2]).values(redacted_text="[name] was kind"))
        db.session.commit()
        search_index.refresh()
        assert db.session.scalar(text("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH 'kind'")) == 1
        assert retention.purge_batch(batch=batch) == 3
        db.session.commit()
        assert db.session.scalar(text("SELECT count(*) FROM answers_fts")) == indexed_before - 3
        assert db.session.scalar(text("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH 'kind'")) == 0


def test_purge_is_idempotent(app, runner, purge_setup):
    assert runner.invoke(args=["purge", "--before", "2025-02-01"]).exit_code == 0
    after_first = _snapshot(app)
    result = runner.invoke(args=["purge", "--before", "2025-02-01"])
    assert result.exit_code == 0, result.output
    assert "closed-one: nothing to purge" in result.output and "Deleted 0 comment(s)" in result.output
    assert _snapshot(app) == after_first


def test_purge_dry_run_changes_nothing(app, runner, purge_setup):
    before = _snapshot(app)
    result = runner.invoke(args=["purge", "--before", "2025-04-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "closed-one: would delete 5 comment(s)" in result.output
    assert _snapshot(app) == before


def test_purge_in_small_batches_deletes_everything_it_planned(app, runner, purge_setup):
    result = runner.invoke(args=["purge", "--before", "2025-04-01", "--consultation", "closed-one"])
    assert result.exit_code == 0, result.output
    assert "closed-one: deleted 5 comment(s)" in result.output
    assert comment_count(app, purge_setup["closed"]) == 0
    assert comment_count(app, purge_setup["open"]) == 1


@pytest.mark.parametrize("budget, args, sizes", [
    (0.0, ["--batch-size", "2"], [2, 1, 1, 1, 1]),  # every batch "too long": down to one comment at a time
    (1e9, [], [25, 20]),  # fast: a small first batch, then at most four times the last one
])
def test_purge_sizes_batches_to_the_write_lock_budget(app, runner, purge_setup, monkeypatch, budget, args, sizes):
    from engage.ops import commands
    from engage.services import retention

    asked = []
    choose = retention.choose_batch
    monkeypatch.setattr(retention, "choose_batch", lambda *, plan, limit: asked.append(limit) or choose(plan=plan, limit=limit))
    monkeypatch.setattr(commands, "LOCK_BUDGET_SECONDS", budget)
    result = runner.invoke(args=["purge", "--before", "2025-04-01", "--consultation", "closed-one", *args])
    assert result.exit_code == 0 and "closed-one: deleted 5 comment(s)" in result.output, result.output
    assert asked == sizes  # the last search finds nothing left
    assert comment_count(app, purge_setup["closed"]) == 0


def test_purge_refuses_an_open_consultation_and_bad_options(app, runner, purge_setup):
    before = _snapshot(app)
    result = runner.invoke(args=["purge", "--before", "2025-02-01", "--consultation", "open-one"])
    assert result.exit_code != 0 and "not closed" in result.output
    assert runner.invoke(args=["purge"]).exit_code != 0
    assert runner.invoke(args=["purge", "--due", "--before", "2025-02-01"]).exit_code != 0
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert "today or earlier" in runner.invoke(args=["purge", "--before", future]).output
    assert "no consultation" in runner.invoke(args=["purge", "--due", "--consultation", "nope"]).output
    assert _snapshot(app) == before


def test_purge_due_respects_each_consultations_retention_period(app, runner, make_consultation):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    cases = {  # slug: (retention_days, published days ago or None)
        "due": (30, 40),
        "not-yet": (30, 10),
        "no-retention": (None, 400),
        "never-published": (1, None),
    }
    ids = {}
    for slug, (days, published_ago) in cases.items():
        ids[slug] = make_consultation(slug, status="closed", retention_days=days)
        add_response(app, ids[slug], NEW, f"{slug} comment")
        if published_ago is not None:
            publish(app, ids[slug], now - dt.timedelta(days=published_ago))

    dry = runner.invoke(args=["purge", "--due", "--dry-run"])
    assert dry.exit_code == 0 and "due: would delete 1 comment(s)" in dry.output, dry.output
    assert comment_count(app, ids["due"]) == 1

    result = runner.invoke(args=["purge", "--due"])
    assert result.exit_code == 0, result.output
    assert "due: deleted 1 comment(s)" in result.output
    assert {slug: comment_count(app, cid) for slug, cid in ids.items()} == {
        "due": 0, "not-yet": 1, "no-retention": 1, "never-published": 1}
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "purge_comments"))
        assert event.details == {"before": None, "due": True, "comments": 1}
    assert count(app, ReportVersion) == 3


def test_purge_due_skips_a_due_consultation_that_reopened(app, runner, make_consultation):
    cid = make_consultation("reopened", status="open", retention_days=0)
    add_response(app, cid, NEW, "still collecting")
    publish(app, cid, dt.datetime(2025, 4, 1))
    result = runner.invoke(args=["purge", "--due"])
    assert result.exit_code == 0 and "reopened: skipped, not closed" in result.output, result.output
    assert comment_count(app, cid) == 1


def test_admin_sets_the_retention_period(app, client, login_as, make_consultation):
    from tests.helpers import hidden_inputs

    cid = make_consultation("keep-a-while")
    login_as("admin")
    page = client.get(f"/admin/consultations/{cid}")
    html = page.get_data(as_text=True)
    assert 'name="retention_days"' in html and "report is first published" in html
    fields = {"title": "Keep a while", "slug": "keep-a-while", "summary": "", "description": "About it.",
              "purpose": "Why.", "audience": "Who.", "status": "closed", "opens_on": "", "closes_on": "",
              "min_group_size": "10", "safeguarding_role": "admin", "safeguarding_guidance": ""}
    bad = client.post(f"/admin/consultations/{cid}", data=hidden_inputs(html) | fields | {"retention_days": "-3"})
    assert bad.status_code == 422 and "Use 0 to 3,650 days" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consultation, cid).retention_days is None
    good = client.post(f"/admin/consultations/{cid}", data=hidden_inputs(html) | fields | {"retention_days": "90"})
    assert good.status_code in (302, 303), good.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consultation, cid).retention_days == 90
