"""Public What We Heard pages: the published report, its earlier versions and downloads, and "You said, we did".

Only published versions are reachable (the embargo): drafts have no public URL at all, so guessing one gives 404.
Everything here renders frozen ``ReportVersion`` data, never live counts.
"""
import os
import tempfile
from pathlib import Path

from flask import Response, abort, current_app, render_template, url_for
from sqlalchemy import select

from engage.extensions import db
from engage.i18n import current_language
from engage.intake.views import _today, bp
from engage.models import Consultation, ConsultationStatus, Review, ReviewStatus
from engage.reporting.blocks import STATUS_LABELS
from engage.services import reports


DOWNLOADS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}


def _published(slug: str, number: int | None = None):
    consultation = db.session.scalar(select(Consultation).where(
        Consultation.slug == slug, Consultation.status != ConsultationStatus.DRAFT.value)) or abort(404)
    version = reports.published_version(consultation=consultation, number=number) or abort(404)
    return consultation, version


def _page(slug: str, number: int | None):
    consultation, version = _published(slug, number)
    latest = reports.published_version(consultation=consultation)
    document = reports.version_document(version, consultation=consultation)
    return render_template("intake/show_report.html", consultation=consultation, document=document,
                           version=version, latest=latest)


@bp.route("/c/<slug>/report")
def show_report(slug: str):
    return _page(slug, None)


@bp.route("/c/<slug>/report/v<int:number>")
def show_report_version(slug: str, number: int):
    return _page(slug, number)


@bp.route("/c/<slug>/report.<fmt>")
def download_report(slug: str, fmt: str):
    return _download(slug, None, fmt)


@bp.route("/c/<slug>/report/v<int:number>.<fmt>")
def download_report_version(slug: str, number: int, fmt: str):
    return _download(slug, number, fmt)


def _download(slug: str, number: int | None, fmt: str):
    if fmt not in DOWNLOADS:
        abort(404)
    consultation, version = _published(slug, number)
    body = cached_export(version=version, consultation=consultation, fmt=fmt)
    response = file_response(body, fmt, f"{consultation.slug}-what-we-heard-v{version.number}.{fmt}",
                             inline=fmt == "html")
    # A published version never changes, so the files may be cached (unlike forms and staff pages).
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def file_response(body: bytes, fmt: str, filename: str, *, inline: bool = False) -> Response:
    """A report file as a download (or, for the printable page, inline), with its type and stylesheet policy."""
    response = Response(body, mimetype=DOWNLOADS[fmt].split(";")[0])
    response.headers["Content-Type"] = DOWNLOADS[fmt]
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    if fmt == "html":
        allow_printable_styles(response)
    return response


def allow_printable_styles(response) -> None:
    """The printable page carries its stylesheet inline (so a saved copy works offline); allow exactly that one."""
    from engage.reporting.document import stylesheet_csp_source

    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {stylesheet_csp_source()}; img-src data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")


def render_export(document: reports.Document, fmt: str, *, with_comments: bool = False) -> bytes:
    from engage.reporting.csv_export import report_csv
    from engage.reporting.document import render_document
    from engage.reporting.pdf import document_pdf

    if fmt == "pdf":
        return document_pdf(document)
    if fmt == "csv":
        return report_csv(document.data, include_comments=with_comments).encode("utf-8")
    return render_document(document, standalone=True).encode("utf-8")


def cached_export(*, version, consultation, fmt: str) -> bytes:
    """Published versions are frozen, so each file is rendered once and kept in the instance folder."""
    folder = Path(current_app.instance_path) / "report_cache"
    # Ids come round again after a database restore, so the name also carries the publication time: a version
    # published after a restore never gets the file of the one the restore took away.
    stamp = version.published_at.strftime("%Y%m%dT%H%M%S%f")
    # Blocks are worded in the page's language (engage.reporting.blocks), so each language gets its own file.
    path = folder / f"report-{version.report_id}-v{version.number}-{version.id}-{stamp}-{current_language()}.{fmt}"
    if path.exists():
        return path.read_bytes()
    body = render_export(reports.version_document(version, consultation=consultation), fmt,
                         with_comments=bool(version.data.get("appendix")))
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    os.replace(temp, path)
    return body


@bp.route("/c/<slug>/outcome")
def show_outcome(slug: str):
    """Where a receipt code leads: the published report and what is being done ("You said, we did")."""
    consultation = db.session.scalar(select(Consultation).where(
        Consultation.slug == slug, Consultation.status != ConsultationStatus.DRAFT.value)) or abort(404)
    version = reports.published_version(consultation=consultation)
    # Commitments are public only once a report has been published (before that they are part of the embargo).
    commitments = reports.commitments(consultation=consultation) if version else []
    themes = {t["id"]: t["name"] for t in version.data.get("themes", [])} if version else {}
    # A consultation run as part of a program review links to the review's public tracker once it is public.
    review_slug = db.session.scalar(select(Review.slug).where(
        Review.id == consultation.review_id, Review.status != ReviewStatus.DRAFT.value)) if consultation.review_id else None
    return render_template("intake/show_outcome.html", consultation=consultation, version=version,
                           commitments=commitments, theme_names=themes, status_labels=STATUS_LABELS,
                           report_url=url_for("intake.show_report", slug=slug) if version else None,
                           review_slug=review_slug, still_open=consultation.availability(_today()) == "open")
