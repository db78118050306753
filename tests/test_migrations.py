"""The schema comes only from migrations, and migrating an empty database gives the models' schema."""
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
    """The search index is made by hand in a migration, so prove it tracks inserts, redactions and deletes."""
    from sqlalchemy import text as sql

    from engage.models import Answer
    from tests.helpers import fresh_form, valid_answers

    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="The officer called Dana")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            search = sql("SELECT count(*) FROM answers_fts WHERE answers_fts MATCH :q")
        else:
            search = sql("SELECT count(*) FROM answers WHERE to_tsvector('english', coalesce(redacted_text, text, '')) "
                         "@@ plainto_tsquery('english', :q)")
        assert db.session.execute(search, {"q": "dana"}).scalar() == 1
        answer = db.session.scalar(db.select(Answer).where(Answer.text.is_not(None)))
        answer.redacted_text = "The officer called [name]"
        db.session.commit()
        assert db.session.execute(search, {"q": "dana"}).scalar() == 0
        assert db.session.execute(search, {"q": "officer"}).scalar() == 1
        db.session.delete(answer)
        db.session.commit()
        assert db.session.execute(search, {"q": "officer"}).scalar() == 0


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
