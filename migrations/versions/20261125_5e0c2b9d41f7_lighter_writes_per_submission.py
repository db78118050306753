"""lighter writes per submission: fewer response indexes, and SQLite's search index kept up to date in batches

Every index is one more randomly placed page that each submission writes, because ids are random. Two indexes
repeated the first column of a composite index; two more indexed a column that is empty for every online
response. On SQLite the full-text index was also written by a trigger inside each submission's commit, and its
update and delete triggers scanned the whole index once per changed comment (FTS5 cannot index answer_id).

Now the triggers only note which comments changed, in answers_fts_pending, and engage.services.search_index
brings answers_fts up to date in one batch before a search and inside a purge. answers_fts_rows maps each
comment to its index row, so a changed or deleted comment's old row is found by key instead of by a scan.

Revision ID: 5e0c2b9d41f7
Revises: fbc72574b235
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e0c2b9d41f7'
down_revision = 'fbc72574b235'
branch_labels = None
depends_on = None

_OLD_TRIGGERS = (
    "CREATE TRIGGER answers_fts_insert AFTER INSERT ON answers WHEN new.text IS NOT NULL BEGIN "
    "INSERT INTO answers_fts(answer_id, body) VALUES (new.id, coalesce(new.redacted_text, new.text)); END",
    "CREATE TRIGGER answers_fts_update AFTER UPDATE OF text, redacted_text ON answers BEGIN "
    "DELETE FROM answers_fts WHERE answer_id = old.id; "
    "INSERT INTO answers_fts(answer_id, body) SELECT new.id, coalesce(new.redacted_text, new.text) "
    "WHERE new.text IS NOT NULL; END",
    "CREATE TRIGGER answers_fts_delete AFTER DELETE ON answers BEGIN "
    "DELETE FROM answers_fts WHERE answer_id = old.id; END",
)
_NEW_TRIGGERS = (
    "CREATE TRIGGER answers_fts_insert AFTER INSERT ON answers WHEN new.text IS NOT NULL BEGIN "
    "INSERT INTO answers_fts_pending(answer_id) VALUES (new.id); END",
    "CREATE TRIGGER answers_fts_update AFTER UPDATE OF text, redacted_text ON answers BEGIN "
    "INSERT INTO answers_fts_pending(answer_id) VALUES (new.id); END",
    "CREATE TRIGGER answers_fts_delete AFTER DELETE ON answers WHEN old.text IS NOT NULL BEGIN "
    "INSERT INTO answers_fts_pending(answer_id) VALUES (old.id); END",
)
_TRIGGER_NAMES = ("answers_fts_insert", "answers_fts_update", "answers_fts_delete")


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_consultation_id')
        batch_op.drop_index('ix_responses_engagement_session_id')
        batch_op.drop_index('ix_responses_import_batch_id')
        batch_op.create_index('ix_responses_engagement_session_id', ['engagement_session_id'], unique=False,
                              sqlite_where=sa.text('engagement_session_id IS NOT NULL'),
                              postgresql_where=sa.text('engagement_session_id IS NOT NULL'))
        batch_op.create_index('ix_responses_import_batch_id', ['import_batch_id'], unique=False,
                              sqlite_where=sa.text('import_batch_id IS NOT NULL'),
                              postgresql_where=sa.text('import_batch_id IS NOT NULL'))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_response_id')

    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # Comments waiting to be (re)indexed, in the order they changed: appending costs one page per commit.
    op.execute("CREATE TABLE answers_fts_pending (seq INTEGER PRIMARY KEY, answer_id CHAR(32) NOT NULL)")
    op.execute("CREATE TABLE answers_fts_rows (answer_id CHAR(32) NOT NULL PRIMARY KEY, fts_rowid INTEGER NOT NULL) "
               "WITHOUT ROWID")
    # Rebuilt rather than trusted: the old triggers had no map to keep.
    op.execute("DELETE FROM answers_fts")
    op.execute("INSERT INTO answers_fts(answer_id, body) "
               "SELECT id, coalesce(redacted_text, text) FROM answers WHERE text IS NOT NULL")
    op.execute("INSERT INTO answers_fts_rows(answer_id, fts_rowid) SELECT answer_id, rowid FROM answers_fts")
    for statement in _NEW_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE answers_fts_pending")
        op.execute("DROP TABLE answers_fts_rows")
        op.execute("DELETE FROM answers_fts")
        op.execute("INSERT INTO answers_fts(answer_id, body) "
                   "SELECT id, coalesce(redacted_text, text) FROM answers WHERE text IS NOT NULL")
        for statement in _OLD_TRIGGERS:
            op.execute(statement)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_response_id', ['response_id'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_import_batch_id')
        batch_op.drop_index('ix_responses_engagement_session_id')
        batch_op.create_index('ix_responses_import_batch_id', ['import_batch_id'], unique=False)
        batch_op.create_index('ix_responses_engagement_session_id', ['engagement_session_id'], unique=False)
        batch_op.create_index('ix_responses_consultation_id', ['consultation_id'], unique=False)
