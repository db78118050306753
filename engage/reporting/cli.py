"""flask --app engage report SLUG --format html|pdf|csv --out FILE: a report export from the command line.

``--review SLUG`` (instead of a consultation's SLUG) exports a program review's overall report.

The only part of ``engage.reporting`` that reads the database: it finds the document (the latest published
version, or with --draft the working copy), then hands it to the same renderers the web pages use.
"""
import os
import secrets
from pathlib import Path

import click
from flask.cli import with_appcontext

FORMATS = ("html", "pdf", "csv")


@click.command("report")
@click.argument("slug", required=False)
@click.option("--review", "review_slug", default=None, metavar="SLUG",
              help="Export the overall report of program review SLUG instead of a consultation's report.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="What to produce.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The file to write (replaced in one step, never left half-written).")
@click.option("--draft", is_flag=True, help="Export the current working copy (marked as a draft) instead of the "
                                            "latest published version.")
@click.option("--with-comments", is_flag=True, help="CSV: add the approved quotes and comments.")
@with_appcontext
def report_command(slug: str | None, review_slug: str | None, fmt: str, out: Path, draft: bool,
                   with_comments: bool) -> None:
    """Write the What We Heard report of consultation SLUG (or, with --review, of a program review) as HTML, PDF
    or CSV.

    Without --draft, the latest published version is exported (and nothing is exported before publication).
    """
    if with_comments and fmt != "csv":
        raise click.UsageError("--with-comments only applies to --format csv.")
    if bool(slug) == bool(review_slug):
        raise click.UsageError("Give either a consultation's SLUG or --review SLUG (one of them).")
    if review_slug:
        document, described = _load_review_document(review_slug, draft=draft)
        slug = review_slug
    else:
        document, described = _load_document(slug, draft=draft)
    content = _render(document, fmt, with_comments=with_comments)
    _write_atomically(out, content)
    click.echo(f"Wrote {described} of '{slug}' as {fmt.upper()} to {out} ({len(content):,} bytes).")
    if with_comments and not document.data.get("appendix"):
        click.echo("Note: this report includes no approved comments, so the CSV has only its approved quotes.")


def _load_document(slug: str, *, draft: bool):
    """The Document to export and a few words saying which one it is. Raises ClickException with the reason."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.models import Consultation
    from engage.services import reports

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise click.ClickException(f"There is no consultation with the slug '{slug}'.")
    report = reports.report_for(consultation)
    if draft:
        if report is None:
            raise click.ClickException(f"'{slug}' has no report yet. Start one in the review workspace.")
        draft_document = getattr(reports, "draft_document", None)
        if draft_document is None:
            raise click.ClickException("Exporting the working copy is not available in this version of Engage.")
        document = draft_document(report)
        db.session.rollback()  # an export changes nothing, even if drafting filled in missing sections
        return document, "the working draft"
    version = reports.latest_version(report)
    if version is None:
        raise click.ClickException(f"The report for '{slug}' has not been published yet, so there is nothing "
                                   "public to export. Use --draft to export the working copy.")
    version_document = getattr(reports, "version_document", None)
    if version_document is None:
        raise click.ClickException("Exporting a published version is not available in this version of Engage.")
    return version_document(version, consultation=consultation), f"published version {version.number}"


def _load_review_document(slug: str, *, draft: bool):
    """A program review's overall report: the working draft, or the latest published version."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.models import Review
    from engage.services import review_reports

    review = db.session.scalar(select(Review).where(Review.slug == slug))
    if review is None:
        raise click.ClickException(f"There is no program review with the slug '{slug}'.")
    if draft:
        report = review_reports.report_for_review(review)
        if report is None:
            raise click.ClickException(f"'{slug}' has no overall report yet. Start one on the review's report page.")
        document = review_reports.build_draft(report=report).document
        db.session.rollback()  # an export changes nothing, even if drafting filled in missing sections
        return document, "the working draft of the overall report"
    version = review_reports.published_version(review=review)
    if version is None:
        raise click.ClickException(f"The overall report of '{slug}' has not been published yet, so there is nothing "
                                   "public to export. Use --draft to export the working copy.")
    return review_reports.version_document(version, review=review), f"published version {version.number}"


def _render(document, fmt: str, *, with_comments: bool) -> bytes:
    if fmt == "pdf":
        from engage.reporting.pdf import document_pdf

        return document_pdf(document)
    if fmt == "csv":
        from engage.reporting.csv_export import report_csv

        return report_csv(document.data, include_comments=with_comments).encode("utf-8")
    from engage.reporting.document import render_document

    return render_document(document, standalone=True).encode("utf-8")


def _write_atomically(path: Path, content: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one, never half of one."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise click.ClickException(f"Could not write {path}: {error.strerror or error}.") from None
