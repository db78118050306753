"""SQLite backup and restore through SQLite's online backup API, safe while the app is serving.

The backup API copies a consistent snapshot: in WAL mode readers never block the app's writers, and the copy
is taken in one step, so a write that lands during the copy is either wholly in it or wholly out of it.
PostgreSQL is backed up with pg_dump instead (see the README).
"""
import datetime as dt
import os
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is safe to print."""


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong with the database at `path` (empty when it is sound)."""
    if not path.is_file():
        return ["no such file"]
    connection = sqlite3.connect(path)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        return [str(error)]
    finally:
        connection.close()
    return [] if rows == ["ok"] else rows


def default_backup_path(instance_path: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return Path(instance_path) / "backups" / f"engage-{stamp}.db"


def _private_dir(path: Path) -> None:
    # Backups hold every raw comment: only the account that runs Engage may read them.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy `source` into a new, self-contained file (no -wal beside it), readable by its owner only."""
    fd = os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # pages=-1: one step, so the snapshot is consistent
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()


def backup_sqlite(*, database: Path, out: Path, busy_timeout: float = 30) -> Path:
    """Copy the live database to `out`, check the copy's integrity and return its path.

    The copy is written beside `out` under a temporary name and renamed only once it passes the check, so a
    file with the final name is always a complete, sound backup.
    """
    if not database.exists():
        raise BackupError(f"There is no database at {database}.")
    if out.exists():
        raise BackupError(f"{out} already exists; choose another name.")
    _private_dir(out.parent)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=busy_timeout)
    try:
        _copy(source, partial)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {error}") from None
    finally:
        source.close()
    problems = integrity_problems(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError("The copy failed its integrity check: " + "; ".join(problems[:5]))
    partial.rename(out)
    return out


def _schema_revision(path: Path) -> str | None:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.Error, TypeError):
        return None
    finally:
        connection.close()


def restore_sqlite(*, backup: Path, database: Path, busy_timeout: float = 30,
                   now: dt.datetime | None = None) -> tuple[Path | None, str]:
    """Replace the database's contents with `backup`; returns (where the old contents were kept, the revision).

    The backup is checked first (integrity, and that it is an Engage database). The current database is
    copied to `<name>.<time>.bak` before anything changes. The restore itself writes through the backup API
    inside SQLite's write lock, so other connections see either the old contents or the restored ones.
    """
    if not backup.is_file():
        raise BackupError(f"There is no file at {backup}.")
    problems = integrity_problems(backup)
    if problems:
        raise BackupError(f"{backup} is not a sound SQLite database: " + "; ".join(problems[:5]))
    revision = _schema_revision(backup)
    if revision is None:
        raise BackupError(f"{backup} is not an Engage database (it has no migration version).")
    kept = None
    if database.exists():
        stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.{stamp}.bak")
        backup_sqlite(database=database, out=kept, busy_timeout=busy_timeout)
    source = sqlite3.connect(backup)
    target = sqlite3.connect(database, timeout=busy_timeout)
    try:
        source.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"The restore failed and the database was left as it was: {error}") from None
    finally:
        source.close()
        target.close()
    problems = integrity_problems(database)
    if problems:
        raise BackupError(f"The restored database failed its integrity check; the old one is at {kept}.")
    return kept, revision
