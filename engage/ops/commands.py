"""flask --app engage backup | restore | purge: operating a production instance from the command line."""
import datetime as dt
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from engage.extensions import db

PG_DUMP_HINT = (
    "This instance uses PostgreSQL. Back it up with pg_dump, for example:\n"
    "  pg_dump --format=custom --file=engage-$(date -u +%Y%m%dT%H%M%SZ).dump \"$DATABASE_URL\"\n"
    "and restore with pg_restore --clean --if-exists --dbname \"$DATABASE_URL\" FILE. "
    "See \"Running in production\" in the README."
)


def _sqlite_path() -> Path:
    """The SQLite file the app uses, or a clear refusal for PostgreSQL and in-memory databases."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(PG_DUMP_HINT)
    if url.database in (None, "", ":memory:"):
        raise click.ClickException("This instance uses an in-memory database, which cannot be backed up.")
    return Path(url.database).resolve()


def _busy_timeout() -> float:
    return float(current_app.config["SQLITE_BUSY_TIMEOUT"])


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the copy (default: instance/backups/engage-<UTC time>.db).")
@with_appcontext
def backup_command(out: Path | None) -> None:
    """Copy the SQLite database while the app keeps serving, and check the copy's integrity."""
    from engage.ops.backup import BackupError, backup_sqlite, default_backup_path

    database = _sqlite_path()
    out = out or default_backup_path(current_app.instance_path)
    try:
        written = backup_sqlite(database=database, out=out, busy_timeout=_busy_timeout())
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {written} ({written.stat().st_size:,} bytes); integrity check passed.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup. The current one is kept as <name>.<time>.bak first."""
    from engage.ops.backup import BackupError, restore_sqlite

    database = _sqlite_path()
    if not yes:
        click.confirm(f"Replace everything in {database} with {file}? Anything stored since that backup is lost "
                      "(stop the web and worker services first)", abort=True)
    db.engine.dispose()  # this process's own pooled connections must not hold the old pages
    try:
        kept, revision = restore_sqlite(backup=file, database=database, busy_timeout=_busy_timeout())
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    if kept:
        click.echo(f"The previous database was kept as {kept}.")
    click.echo(f"Restored {file} (schema revision {revision}). Run `flask --app engage db upgrade` if this "
               "version of Engage is newer than the backup.")


def _today() -> dt.date:
    return dt.date.today()


@click.command("purge")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Delete comments in responses submitted before this day (YYYY-MM-DD).")
@click.option("--due", is_flag=True, help="Delete every comment of consultations whose retention period has ended.")
@click.option("--consultation", "slug", default=None, help="Only this consultation (its slug).")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted and change nothing.")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Most comments deleted per transaction (fewer when a batch would hold the write lock too long).")
@with_appcontext
def purge_command(before: dt.datetime | None, due: bool, slug: str | None, dry_run: bool, batch_size: int) -> None:
    """Delete raw comments of closed consultations. Published reports and all counts are kept."""
    from engage.models import Consultation
    from engage.services import retention

    if bool(before) == due:
        raise click.UsageError("Give either --before DATE or --due.")
    today = _today()
    cutoff = before.date() if before else None
    if cutoff and cutoff > today:
        raise click.UsageError("--before must be today or earlier.")
    query = select(Consultation).order_by(Consultation.slug)
    if slug:
        query = query.where(Consultation.slug == slug)
    consultations = list(db.session.scalars(query))
    if slug and not consultations:
        raise click.ClickException(f"There is no consultation '{slug}'.")
    if due:
        due_ids = {c.id for c in retention.consultations_due(now=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))}
        consultations = [c for c in consultations if c.id in due_ids]
        if not consultations:
            click.echo("No consultation has reached the end of its retention period.")
            return
    total = 0
    for consultation in consultations:
        try:
            plan = retention.plan_purge(consultation=consultation, before=cutoff, today=today)
        except retention.RetentionError as error:
            if slug:
                raise click.ClickException(str(error)) from None
            click.echo(f"{consultation.slug}: skipped, not closed.")
            continue
        total += _run_plan(plan, due=due, dry_run=dry_run, batch_size=batch_size)
    db.session.commit()  # ends the read transaction
    click.echo(f"{'Would delete' if dry_run else 'Deleted'} {total} comment(s) in all.")


# Seconds one batch may hold the write lock; batches shrink to fit. Submissions wait for the lock meanwhile.
LOCK_BUDGET_SECONDS = 0.25


def _run_plan(plan, *, due: bool, dry_run: bool, batch_size: int) -> int:
    from engage.services import retention

    if not plan.comments:
        click.echo(f"{plan.slug}: nothing to purge.")
        return 0
    if dry_run:
        click.echo(f"{plan.slug}: would delete {plan.comments} comment(s).")
        return plan.comments
    # Start small and grow: the first batch's cost is unknown (comment-by-comment cascades can be slow).
    deleted, size = 0, min(batch_size, 25)
    while (batch := retention.choose_batch(plan=plan, limit=size)) is not None:
        db.session.commit()  # ends the read transaction the search opened
        started = time.monotonic()
        done = retention.purge_batch(batch=batch)
        db.session.commit()
        held = time.monotonic() - started
        deleted += done
        if done == 0:  # chosen comments vanished meanwhile: stop rather than risk spinning; a rerun finishes
            break
        fits = int(len(batch.ids) * LOCK_BUDGET_SECONDS / max(held, 1e-3))
        size = max(1, min(batch_size, 4 * len(batch.ids), fits))
    retention.finish_purge(plan=plan, deleted=deleted, due=due)
    db.session.commit()
    click.echo(f"{plan.slug}: deleted {deleted} comment(s).")
    return deleted
