"""Report exports: the PDF (read back with pdftotext), the open-data CSV, and `flask report` on published rows."""
import csv
import datetime as dt
import http.server
import io
import os
import shutil
import subprocess
import threading

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation, Report, ReportVersion
from engage.reporting.csv_export import COLUMNS, report_csv
from engage.reporting.pdf import APP_ROOT, _fetcher, document_pdf
from engage.services.reports import Document
from tests.reports.test_rendering import published_document, report_data, sections_for


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        if os.environ.get("ENGAGE_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI; .ci/run installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed, so the PDF's text cannot be read back")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# --- PDF ------------------------------------------------------------------------------------------------------------

def test_pdf_has_headings_page_numbers_tables_and_only_published_numbers(tmp_path):
    doc = published_document()
    pdf = document_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    flat = " ".join(text.split())
    assert "What We Heard: SRO Program Review" in flat
    for section in doc.sections:
        assert section["title"] in flat
    assert "Page 1 of " in flat and "Contents" in flat
    pages = int(flat.split("Page 1 of ")[1].split()[0])
    assert pages >= 2 and f"Page {pages} of {pages}" in flat
    assert "1,101" in flat and "89%" in flat  # a chart and table value
    assert "Online form" in flat and "Strongly disagree" in flat and "hidden" in flat
    assert "Corrected the count of paper forms." in flat and "Version 2, published November 21, 2026" in flat
    for derived in ("133", "138"):  # hidden numbers that subtraction would give
        assert derived not in text.split()


def test_pdf_charts_are_vector_graphics(tmp_path):
    pdf = document_pdf(published_document())
    # WeasyPrint draws SVG as PDF paths; a raster chart would be an image XObject.
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf


def test_pdf_of_a_draft_says_draft(tmp_path):
    data = report_data()
    doc = Document(slug="sro-review", title="Working copy", sections=sections_for(data)[:1], data=data, draft=True)
    flat = " ".join(pdf_text(document_pdf(doc), tmp_path).split())
    assert "Draft — not published" in flat and "Version" not in flat


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_pdf_rendering_fetches_nothing_from_the_network(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        data = report_data()
        hostile = (f'<p>x</p><img src="{url}/pixel.png"><link rel="stylesheet" href="{url}/x.css">'
                   f'<p><a href="{url}/ok">a link is not fetched</a></p>')
        doc = Document(slug="s", title="T", sections=[{"key": "a", "title": "A", "html": hostile}], data=data,
                       draft=True)
        document_pdf(doc)
        assert _Counter.hits == 0
    finally:
        server.shutdown()
        server.server_close()


def test_url_fetcher_allows_only_data_and_app_files():
    fetcher = _fetcher()
    for url, start in (("data:text/plain,hello", b"hello"),
                       ((APP_ROOT / "static" / "css" / "report.css").as_uri(), b"/* What We Heard")):
        response = fetcher.fetch(url)
        try:
            assert response.read().startswith(start)
        finally:
            response.close()
    for url in ("http://example.org/x.png", "https://example.org/x.css", "file:///etc/passwd",
                "ftp://example.org/x", (APP_ROOT.parent / "secret.txt").as_uri()):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


# --- CSV ------------------------------------------------------------------------------------------------------------

def test_csv_is_long_format_with_hidden_cells_empty_and_explained():
    rows = csv_rows(report_csv(report_data()))
    assert list(rows[0]) == COLUMNS
    find = lambda **want: [r for r in rows if all(r[k] == v for k, v in want.items())]  # noqa: E731
    assert find(table="overview", measure="respondents")[0]["value"] == "1234"
    online = find(table="participation", dimension="Channel", group="Online form")
    assert {r["measure"]: r["value"] for r in online} == {"respondents": "1101", "share": "0.8922"}
    for row in find(table="participation", group="Paper form") + find(table="segment", group="Other school staff"):
        assert row["value"] == "" and row["note"].startswith("hidden (groups of fewer than 10")
    assert find(table="participation", dimension="Your groups", group="2SLGBTQ+")[0]["note"].startswith(
        "hidden (groups of fewer than 15")
    cost = find(table="segment", group="Student", theme="Cost", measure="respondents")[0]
    assert cost["value"] == "" and "hidden" in cost["note"]
    assert find(table="segment", group="Student", theme="Feeling safe", measure="share")[0]["value"] == "0.4703"
    q12 = find(table="question_option", group="Strongly disagree")
    assert q12 and all(r["value"] == "" for r in q12)
    assert find(table="question_theme", theme="Fear of police", measure="sentiment_mean")[0]["value"] == "-0.42"
    assert find(table="finding", group="Student", measure="group_share")[0]["value"] == "0.3109"
    status = find(table="commitment", dimension="Train officers in youth engagement", measure="status")[0]
    assert status["value"] == "In progress" and status["theme"] == "Fear of police; Relationships with students"
    # No hidden value is recomputed anywhere (1,234 - 1,101 = 133; 1,180 - 640 - 402 = 138).
    assert not [r for r in rows if r["value"] in ("133", "138", "7")]


def test_csv_comments_only_when_asked_and_formulas_are_neutralised():
    data = report_data()
    data["themes"][0]["name"] = "=SUM(A1:A9)"
    data["participation"]["tables"][0]["rows"][0]["label"] = "@online"
    without = report_csv(data)
    assert "More counsellors" not in without and "HYPERLINK" not in without
    rows = csv_rows(report_csv(data, include_comments=True))
    cells = [value for row in rows for value in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    texts = {r["value"] for r in rows if r["table"] in ("comment", "quote")}
    assert "'+1 for keeping the officer" in texts and "More counsellors, fewer officers." in texts
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in texts
    assert "'=SUM(A1:A9)" in {r["theme"] for r in rows} and "'@online" in {r["group"] for r in rows}
    other = [r for r in rows if r["value"] == "Thanks for asking us."][0]
    assert other["dimension"] == "Other comments"
    assert [r for r in rows if r["table"] == "comment"][0]["dimension"].startswith("Q1: How do you feel")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- CLI ------------------------------------------------------------------------------------------------------------

@pytest.fixture
def published(app, make_consultation):
    """A consultation whose report has two published versions (inserted directly, as publishing would)."""
    make_consultation("sro-review")

    def publish(number: int, note: str = "", data: dict | None = None) -> None:
        data = data or report_data()
        with app.app_context():
            consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
            report = db.session.scalar(select(Report).where(Report.consultation_id == consultation.id))
            if report is None:
                report = Report(consultation_id=consultation.id, title="What We Heard: SRO review", status="published")
                db.session.add(report)
                db.session.flush()
            db.session.add(ReportVersion(report_id=report.id, number=number, correction_note=note,
                                         title=f"What We Heard: SRO review (v{number})",
                                         published_at=dt.datetime(2026, 11, 19 + number, 12, 0),
                                         sections=sections_for(data), data=data))
            db.session.commit()

    return publish


def test_cli_exports_the_latest_published_version_in_each_format(runner, published, tmp_path):
    published(1)
    data = report_data()
    data["participation"]["respondents"] = 1240
    published(2, note="Six late paper forms were added.", data=data)
    html_file, csv_file, pdf_file = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.pdf"
    result = runner.invoke(args=["report", "sro-review", "--format", "html", "--out", str(html_file)])
    assert result.exit_code == 0, result.output
    assert "published version 2" in result.output
    html = html_file.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "What We Heard: SRO review (v2)" in html
    assert "Six late paper forms were added." in html and "Version 2, published November 21, 2026" in html

    result = runner.invoke(args=["report", "sro-review", "--format", "csv", "--out", str(csv_file)])
    assert result.exit_code == 0, result.output
    rows = csv_rows(csv_file.read_text(encoding="utf-8"))
    assert [r["value"] for r in rows if r["table"] == "overview" and r["measure"] == "respondents"] == ["1240"]
    assert not [r for r in rows if r["table"] == "comment"]

    result = runner.invoke(args=["report", "sro-review", "--format", "csv", "--with-comments", "--out", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert [r for r in csv_rows(csv_file.read_text(encoding="utf-8")) if r["table"] == "comment"]

    result = runner.invoke(args=["report", "sro-review", "--format", "pdf", "--out", str(pdf_file)])
    assert result.exit_code == 0, result.output
    flat = " ".join(pdf_text(pdf_file.read_bytes(), tmp_path).split())
    assert "What We Heard: SRO review (v2)" in flat and "Page 1 of" in flat
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary files left


def test_cli_replaces_an_existing_file(runner, published, tmp_path):
    published(1)
    out = tmp_path / "report.csv"
    out.write_text("old contents", encoding="utf-8")
    result = runner.invoke(args=["report", "sro-review", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(",".join(COLUMNS))


def test_cli_refuses_when_nothing_is_published(runner, app, make_consultation, tmp_path):
    make_consultation("sro-review")
    out = tmp_path / "r.html"
    result = runner.invoke(args=["report", "sro-review", "--format", "html", "--out", str(out)])
    assert result.exit_code != 0 and "has not been published" in result.output
    assert not out.exists()
    with app.app_context():  # a report that exists but has no published version is refused too
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
        db.session.add(Report(consultation_id=consultation.id, title="Draft only"))
        db.session.commit()
    result = runner.invoke(args=["report", "sro-review", "--format", "pdf", "--out", str(out)])
    assert result.exit_code != 0 and "has not been published" in result.output and not out.exists()


def test_cli_errors_are_clear(runner, published, tmp_path):
    published(1)
    result = runner.invoke(args=["report", "no-such-thing", "--format", "csv", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "no consultation with the slug 'no-such-thing'" in result.output
    result = runner.invoke(args=["report", "sro-review", "--format", "docx", "--out", str(tmp_path / "x.docx")])
    assert result.exit_code == 2 and "docx" in result.output
    result = runner.invoke(args=["report", "sro-review", "--format", "pdf", "--with-comments",
                                 "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "--with-comments only applies to --format csv" in result.output
    missing = tmp_path / "missing" / "x.csv"
    result = runner.invoke(args=["report", "sro-review", "--format", "csv", "--out", str(missing)])
    assert result.exit_code != 0 and "does not exist" in result.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.pdf").exists()


def test_cli_draft_needs_a_report(runner, app, make_consultation, tmp_path):
    make_consultation("sro-review")
    out = tmp_path / "d.html"
    result = runner.invoke(args=["report", "sro-review", "--draft", "--format", "html", "--out", str(out)])
    assert result.exit_code != 0 and "has no report yet" in result.output


def test_cli_draft_exports_the_working_copy_marked_as_draft(runner, app, make_consultation, tmp_path):
    pytest.importorskip("engage.services.report_data", reason="the report data builder is not in this tree yet")
    from engage.services.reports import ensure_report

    make_consultation("sro-review")
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
        ensure_report(consultation=consultation, user=None)
        db.session.commit()
    out = tmp_path / "draft.html"
    result = runner.invoke(args=["report", "sro-review", "--draft", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "the working draft" in result.output
    assert "Draft — not published" in out.read_text(encoding="utf-8")
    result = runner.invoke(args=["report", "sro-review", "--format", "html", "--out", str(out)])
    assert result.exit_code != 0 and "has not been published" in result.output  # a draft is not a publication
