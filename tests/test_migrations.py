"""The schema comes only from migrations, and migrating an empty database gives the models' schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engage.extensions import db


def test_migrations_produce_the_models_schema(app):
    with app.app_context():
        with db.engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diffs == []


def test_every_model_table_exists_after_migrating(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_create_app_does_not_create_tables(tmp_path):
    from engage import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
