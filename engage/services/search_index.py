"""SQLite's full-text index of comments, brought up to date in batches instead of inside every submission.

Triggers on answers only note which comments were added, edited or deleted (answers_fts_pending; see the
"lighter writes per submission" migration). catch_up() turns those notes into index changes in one batch: a
search calls it first, so it never misses a comment or finds words a redaction removed, and a purge calls it
inside its own transaction, so purged words leave the index with the comments. On PostgreSQL a GIN index on
answers does this job and there is nothing to catch up.
"""
from sqlalchemy import text

from engage.database import begin_write
from engage.extensions import db

_PENDING = "SELECT answer_id FROM answers_fts_pending WHERE seq <= :last"
_STEPS = (
    f"DELETE FROM answers_fts WHERE rowid IN (SELECT fts_rowid FROM answers_fts_rows WHERE answer_id IN ({_PENDING}))",
    f"DELETE FROM answers_fts_rows WHERE answer_id IN ({_PENDING})",
)
_ADD = (f"INSERT INTO answers_fts(answer_id, body) SELECT id, coalesce(redacted_text, text) FROM answers "
        f"WHERE text IS NOT NULL AND id IN ({_PENDING})")


def uses_pending_index() -> bool:
    return db.engine.dialect.name == "sqlite"


def has_pending() -> bool:
    """Whether any comment changed since the index last caught up (a cheap read: no write lock)."""
    if not uses_pending_index():
        return False
    return db.session.execute(text("SELECT 1 FROM answers_fts_pending LIMIT 1")).first() is not None


def catch_up(*, limit: int | None = None) -> int:
    """Apply the noted changes (the oldest `limit` of them, or all) to the index in the current write transaction;
    returns how many notes it used.

    Takes the write lock (begin_write), so the caller commits. Comments changed again while this runs are noted
    after the last note read here and wait for the next catch-up.
    """
    if not has_pending():
        return 0
    begin_write()
    last = None
    if limit is not None:
        last = db.session.scalar(text("SELECT seq FROM answers_fts_pending ORDER BY seq LIMIT 1 OFFSET :skip"),
                                 {"skip": limit - 1})
    if last is None:
        last = db.session.scalar(text("SELECT max(seq) FROM answers_fts_pending"))
    if last is None:
        return 0
    params = {"last": last}
    count = db.session.scalar(text("SELECT count(*) FROM answers_fts_pending WHERE seq <= :last"), params)
    for step in _STEPS:
        db.session.execute(text(step), params)
    # New rows get rowids above the highest one left, so the rows added here are exactly those above it.
    before = db.session.scalar(text("SELECT rowid FROM answers_fts ORDER BY rowid DESC LIMIT 1")) or 0
    db.session.execute(text(_ADD), params)
    db.session.execute(text("INSERT INTO answers_fts_rows(answer_id, fts_rowid) "
                             "SELECT answer_id, rowid FROM answers_fts WHERE rowid > :before"), {"before": before})
    db.session.execute(text("DELETE FROM answers_fts_pending WHERE seq <= :last"), params)
    return count


# Notes handled per transaction by refresh(): a few hundred milliseconds of SQLite's write lock at most, so a
# search after thousands of online submissions does not keep participants waiting for seconds.
REFRESH_BATCH = 2000


def refresh() -> None:
    """Bring the index up to date before a search, in short write transactions of its own.

    Each is committed at once, even when another search caught up first, so the search that follows never holds
    the write lock and participants' submissions go in between batches.
    """
    while has_pending():
        catch_up(limit=REFRESH_BATCH)
        db.session.commit()
