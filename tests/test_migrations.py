"""The schema comes only from migrations, and migrating an empty database gives the models' schema."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engage.extensions import db


def _not_full_text_search(obj, name, type_, reflected, compare_to):
    return not (name or "").startswith(("answers_fts", "ix_answers_text_fts"))


def test_migrations_produce_the_models_schema(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_object": _not_full_text_search})
            diffs = compare_metadata(context, db.metadata)
    assert diffs == []


def test_full_text_search_follows_comment_edits(app, client, make_consultation):
    """The search index is made by hand in a migration, so prove it tracks inserts, redactions and deletes.

    On SQLite a submission only notes its comment; the index catches up in a batch before a search.
    """
    from sqlalchemy import text as sql

    from engage.models import Answer
    from engage.services import search_index
    from tests.helpers import fresh_form, valid_answers

    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="The officer called Dana")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            query = sql("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH :q")
        else:
            query = sql("SELECT count(*) FROM answers WHERE to_tsvector('english', coalesce(redacted_text, text, '')) "
                        "@@ plainto_tsquery('english', :q)")

        def search(words: str) -> int:
            search_index.refresh()
            return db.session.execute(query, {"q": words}).scalar()

        if sqlite:  # the submission itself wrote nothing to the index, only a note
            assert db.session.execute(query, {"q": "dana"}).scalar() == 0
            assert db.session.scalar(sql("SELECT count(*) FROM answers_fts_pending")) == 1
        assert search("dana") == 1
        answer = db.session.scalar(db.select(Answer).where(Answer.text.is_not(None)))
        answer.redacted_text = "The officer called [name]"
        db.session.commit()
        assert search("dana") == 0
        assert search("officer") == 1
        db.session.delete(answer)
        db.session.commit()
        assert search("officer") == 0
        if sqlite:  # nothing left over: no notes, and no index row or map entry for the deleted comment
            counts = [db.session.scalar(sql(f"SELECT count(*) FROM {t}"))
                      for t in ("answers_fts_pending", "answers_fts", "answers_fts_rows")]
            assert counts == [0, 0, 0]


def test_search_index_catches_up_many_changes_in_one_batch(app, make_consultation):
    """Edits and deletes between catch-ups, several to one comment: the index ends up exactly like the comments."""
    from sqlalchemy import text as sql

    from engage.models import Answer
    from engage.services import search_index
    from tests.review.data_factory import add_responses

    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("PostgreSQL's GIN index has no batches to catch up")
    cid = make_consultation()
    add_responses(app, cid, [(f"alpha comment {i}", "online", {}, []) for i in range(40)])
    with app.app_context():
        search_index.refresh()
        answers = db.session.scalars(db.select(Answer).where(Answer.text.is_not(None)).order_by(Answer.id)).all()
        for answer in answers[:10]:
            answer.redacted_text = "beta [name]"
        db.session.commit()
        for answer in answers[5:10]:
            answer.redacted_text = "gamma [name]"  # a second edit before the index caught up
        for answer in answers[30:]:
            db.session.delete(answer)
        db.session.commit()
        assert search_index.catch_up() == 25
        db.session.commit()

        def hits(word):
            return db.session.scalar(sql("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH :q"), {"q": word})

        assert (hits("alpha"), hits("beta"), hits("gamma")) == (20, 5, 5)
        mapped = db.session.execute(sql("SELECT count(*), count(DISTINCT fts_rowid) FROM answers_fts_rows")).one()
        assert tuple(mapped) == (30, 30)
        assert db.session.scalar(sql("SELECT count(*) FROM answers_fts_rows r JOIN answers_fts f "
                                     "ON f.rowid = r.fts_rowid AND f.answer_id = r.answer_id")) == 30
        assert search_index.catch_up() == 0


def test_search_refreshes_in_short_batches(app, make_consultation, monkeypatch):
    """Thousands of notes are indexed a batch per transaction, oldest first, and all of them in the end."""
    from sqlalchemy import text as sql

    from engage.services import search_index
    from tests.review.data_factory import add_responses

    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("PostgreSQL's GIN index has no batches to catch up")
    add_responses(app, make_consultation(), [(f"delta comment {i}", "online", {}, []) for i in range(25)])
    commits = []
    with app.app_context():
        assert search_index.catch_up(limit=10) == 10
        db.session.commit()
        assert db.session.scalar(sql("SELECT count(*) FROM answers_fts_pending")) == 15
        monkeypatch.setattr(search_index, "REFRESH_BATCH", 4)
        real_commit = db.session.commit
        monkeypatch.setattr(db.session, "commit", lambda: commits.append(1) or real_commit())
        search_index.refresh()
        assert len(commits) == 4  # 15 notes, 4 per transaction
        assert db.session.scalar(sql("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH 'delta'")) == 25
        assert db.session.scalar(sql("SELECT count(*) FROM answers_fts_pending")) == 0


def test_every_model_table_exists_after_migrating(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_create_app_does_not_create_tables(tmp_path):
    from engage import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_migrations_upgrade_a_database_that_already_has_data(tmp_path):
    """Columns added later need server defaults, or upgrading a live database with rows fails."""
    from flask_migrate import downgrade, upgrade

    from engage import create_app
    from engage.services.demo import seed_demo

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.db'}")
    with app.app_context():
        upgrade(revision="1c801157dba9")  # the first schema, as an early deployment had it
        db.session.execute(db.text(
            "INSERT INTO consultations (slug, title, summary, description, purpose, audience, status, "
            "requires_access_code, min_group_size, is_demo) VALUES ('old', 'Old', '', '', '', '', 'open', 0, 10, 0)"
        ))
        db.session.execute(db.text(
            "INSERT INTO questions (consultation_id, position, kind, prompt, help_text, required, max_length) "
            "VALUES (1, 0, 'text', 'Q', '', 0, 5000)"
        ))
        db.session.commit()
        upgrade()
        seed_demo(responses=3)
        db.session.commit()
        downgrade(revision="base")
        db.engine.dispose()
