"""Database engine tuning: SQLite gets WAL, a busy timeout and write transactions that lock up front."""
import contextlib
import random
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engage.extensions import db

# The database did not answer: restarting, unreachable, out of pooled connections, or SQLite's write lock held
# past the busy timeout (raised bare by _begin_immediate below, so sqlite3's own class is here too).
UNAVAILABLE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sqlite3.OperationalError)

# SQLite has one writer at a time. Threads of one process queue here, where the hand-over is immediate,
# instead of in SQLite's busy handler, which sleeps 1-100 ms between retries. Processes still queue in SQLite.
_sqlite_writer = threading.Lock()
_HOLDS_WRITER = "engage_holds_sqlite_writer"
_IN_WRITE = "engage_in_write_transaction"

# Execution option that asks the SQLite "begin" hook for BEGIN IMMEDIATE instead of a deferred BEGIN.
_IMMEDIATE = "engage_sqlite_immediate"


def engine_options(url: str, options: dict) -> dict:
    """The configured SQLAlchemy engine options, less those that only cost time on this database.

    A pre-ping guards against a server that dropped the connection; a SQLite file cannot, and the ping was a
    query on every checkout (about 4% of a gunicorn worker's time on the participant's form).
    """
    if url.startswith("sqlite:"):
        return {key: value for key, value in options.items() if key != "pool_pre_ping"}
    return dict(options)


def configure_engine(engine: Engine, *, busy_timeout: int, wal_autocheckpoint: int) -> None:
    """Install the SQLite pragmas and transaction hooks; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite so the "begin" hook below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Fold the write-ahead log back into the database every ~40 MB of changes rather than SQLite's
            # default ~4 MB. A checkpoint rewrites every page changed since the last one and syncs the file, inside
            # the commit of whichever request crosses the mark; the same hot index pages change in nearly every
            # submission, so checkpointing a tenth as often writes far fewer pages. The log file is truncated back
            # to 64 MB at most after a checkpoint.
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(wal_autocheckpoint)}")
            cursor.execute("PRAGMA journal_size_limit = 67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that later writes can fail at once with "database is locked" when another
        # writer got there first; taking the write lock at BEGIN makes writers queue instead.
        if connection.get_execution_options().get(_IMMEDIATE, False):
            _begin_immediate(connection.connection.driver_connection, busy_timeout)
        else:
            connection.exec_driver_sql("BEGIN")


def _begin_immediate(raw, busy_timeout: float) -> None:
    """BEGIN IMMEDIATE, waiting for other processes' writers in short random naps.

    SQLite's own busy handler sleeps 1, 2, 5 ... up to 100 ms between tries, so under load a waiting
    writer often wakes long after the lock was free (seconds of p99 latency with several workers).
    """
    raw.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + busy_timeout
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.0005, 0.003))
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")


def begin_write() -> None:
    """Start the session's write transaction, taking SQLite's write lock now rather than at the first write.

    Any read-only transaction the request had open is ended first (reads hold no changes), so the write
    transaction sees the latest committed data. Inside a write transaction already begun it does nothing,
    so services that call each other share one transaction. On PostgreSQL this simply starts one.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.info.get(_IN_WRITE):
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unflushed changes in the session")
        session.commit()
    if db.engine.dialect.name == "sqlite" and not session.info.get(_HOLDS_WRITER):
        _sqlite_writer.acquire()
        session.info[_HOLDS_WRITER] = True
    try:
        session.connection(execution_options={_IMMEDIATE: True})
        session.info[_IN_WRITE] = True
    except BaseException:
        # No transaction began, so the end-of-transaction hook will not run: let go here.
        if session.info.pop(_HOLDS_WRITER, False):
            _sqlite_writer.release()
        raise


@event.listens_for(Session, "after_transaction_end")
def _release_writer(session, transaction) -> None:
    # Fires on commit, rollback and close alike, so the lock cannot outlive the transaction.
    if transaction.parent is not None:
        return
    session.info.pop(_IN_WRITE, None)
    if session.info.pop(_HOLDS_WRITER, False):
        _sqlite_writer.release()


def rollback_quietly() -> None:
    """Roll the session back after the database stopped answering; the rollback itself may fail on a connection
    the server ended, and the pool replaces that connection next time."""
    with contextlib.suppress(Exception):
        db.session.rollback()


def end_session(_error: BaseException | None = None) -> None:
    """End the request's session, dropping its connection instead of failing when the database went away.

    Closing rolls back, and a connection the server ended (PostgreSQL restarting) fails that rollback. Under
    Flask-SQLAlchemy's own teardown the failure became a 500 for a page that had already worked.
    """
    try:
        db.session.remove()
    except UNAVAILABLE_ERRORS:
        db.session.registry().invalidate()  # closes without the rollback; the pool discards the connection
        db.session.remove()
