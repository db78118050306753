"""flask --app engage import: spreadsheets, session notes and email from the command line."""
import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from engage.extensions import db

CHANNELS = ("paper", "focus_group", "roundtable", "email")


def _mapping(pairs: tuple[str, ...], text_column: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise click.UsageError(f"--map takes QUESTION=COLUMN, for example q1=comments (got '{pair}').")
        mapping[target.strip()] = column.strip()
    if text_column or not mapping:
        mapping["text"] = text_column or "text"
    return mapping


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--consultation", "slug", required=True, help="The consultation's slug.")
@click.option("--channel", type=click.Choice(CHANNELS), required=True, help="Where the comments came from.")
@click.option("--text-column", default=None,
              help="Spreadsheet column holding free comments not tied to a question (default 'text' when there is no --map).")
@click.option("--map", "maps", multiple=True, metavar="QUESTION=COLUMN",
              help="Map a question (q1 = first question, q2, ...), an 'about you' field key, or 'date' to a column. Repeatable.")
@click.option("--language", default="en", show_default=True, help="Language of the comments.")
@click.option("--date", "held_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Focus group or roundtable: the day it was held (YYYY-MM-DD).")
@click.option("--organisation", default="", help="Focus group or roundtable: the facilitating organisation.")
@click.option("--attendees", type=click.IntRange(min=0), default=0, help="Focus group or roundtable: how many attended.")
@click.option("--description", default="", help="Focus group or roundtable: who was there, as a group (never names).")
@with_appcontext
def import_command(file: Path, slug: str, channel: str, text_column: str | None, maps: tuple[str, ...], language: str,
                   held_on: dt.datetime | None, organisation: str, attendees: int, description: str) -> None:
    """Import comments from FILE: a CSV/XLSX spreadsheet, .txt/.docx session notes, or .eml/.mbox email.

    Everything is imported in one transaction or nothing is; rows imported before are skipped.
    """
    from engage.imports import ImportFileError
    from engage.models import Consultation
    from engage.services.imports import ImportRejected, import_max_bytes

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise click.ClickException(f"There is no consultation with the slug '{slug}'.")
    if file.stat().st_size > import_max_bytes():
        raise click.ClickException(f"{file.name} is larger than the import limit of {import_max_bytes():,} bytes (IMPORT_MAX_BYTES).")
    data = file.read_bytes()
    today = dt.date.today()
    try:
        result, noun = _run(consultation, channel, data, file.name, maps, text_column, language, today,
                            held_on.date() if held_on else None, organisation, attendees, description)
    except (ImportFileError, ImportRejected) as error:
        db.session.rollback()
        if isinstance(error, ImportRejected) and len(error.problems) > 1:
            for problem in error.problems[:50]:
                click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"{file.name}: {error}") from None
    db.session.commit()
    skipped = f" ({result.skipped:,} {noun[1] if result.skipped == 1 else noun[2]} already imported were skipped)" if result.skipped else ""
    click.echo(f"Imported {result.added:,} comment{'s' * (result.added != 1)}{skipped}.")
    current_app.logger.info("import batch %s: %s added, %s skipped", result.batch_id, result.added, result.skipped)


def _run(consultation, channel, data, filename, maps, text_column, language, today, held_on, organisation, attendees,
         description):
    from engage.imports import ImportFileError
    from engage.imports.notes import read_notes, split_comments
    from engage.services.email_imports import import_emails
    from engage.services.engagement_sessions import SessionDetails, save_session
    from engage.services.imports import import_spreadsheet

    name = filename.lower()
    if name.endswith((".csv", ".xlsx", ".xlsm", ".tsv")):
        result = import_spreadsheet(consultation=consultation, data=data, filename=filename, channel=channel,
                                    mapping=_mapping(maps, text_column), user=None, today=today, language=language)
        return result, ("rows", "row", "rows")
    if channel == "email":
        return import_emails(consultation=consultation, data=data, filename=filename, user=None, today=today,
                             language=language), ("messages", "message", "messages")
    if channel in ("focus_group", "roundtable"):
        details = SessionDetails(channel=channel, held_on=held_on, organisation=organisation, attendees=attendees,
                                 language=language, segment_description=description)
        comments = split_comments(read_notes(data, filename))
        _session, result = save_session(consultation=consultation, details=details, comments=comments, user=None,
                                 today=today, filename=filename)
        return result, ("comments", "comment", "comments")
    raise ImportFileError(_("Paper surveys are imported from a spreadsheet (.csv or .xlsx)."))
