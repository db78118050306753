"""A program review's overall What We Heard report: its data, its machine draft and its published versions.

The overall report is a ``Report`` row with ``review_id`` set. It goes through the same working copy, revisions,
workflow, approval fingerprint and frozen versions as a consultation's report (``engage.services.reports``, which
calls in here when a report or its data belongs to a review). Its data dict has ``"kind": "review"``; every figure
in it is suppressed at the review's public minimum (see ``engage.services.reviews``).
"""
import datetime as dt

from sqlalchemy import select

from engage.database import begin_write
from engage.extensions import db
from engage.i18n import current_language
from engage.models import ConsultationStatus, Report, ReportStatus, ReportVersion, Review, User
from engage.services import reviews
from engage.services.audit import record_event

SCHEMA = 1
SECTIONS = (
    ("executive_summary", "Summary"),
    ("about", "About the review"),
    ("how_we_engaged", "How we engaged"),
    ("what_we_heard", "What we heard across streams"),
    ("stream_reports", "Each stream's report"),
    ("recommendations", "Recommendations"),
    ("appendix", "Appendix: the numbers by phase"),
)
SECTION_TITLES = dict(SECTIONS)
STATUS_LABELS = {"planned": "Planned", "in_progress": "In progress", "done": "Done",
                 "not_proceeding": "Not proceeding"}


def is_review_data(data: dict) -> bool:
    return data.get("kind") == "review"


def report_for_review(review: Review) -> Report | None:
    return db.session.scalar(select(Report).where(Report.review_id == review.id))


def ensure_review_report(*, review: Review, user: User | None) -> Report:
    """The review's overall report, created (empty, as a draft) on first use."""
    report = report_for_review(review)
    if report is not None:
        return report
    begin_write()
    report = report_for_review(review)
    if report is None:
        report = Report(review_id=review.id, title=f"What We Heard: {review.title}"[:300],
                        created_by_id=user.id if user else None, status=ReportStatus.DRAFT.value)
        db.session.add(report)
        db.session.flush()
        record_event(actor=user, action="create_report", target_type="report", target_id=report.id,
                     details={"review_id": review.id})
    return report


def _iso(day) -> str | None:
    if day is None:
        return None
    return (day.date() if isinstance(day, dt.datetime) else day).isoformat()


def _stream_reports(consultations) -> list[dict]:
    from engage.services.reports import published_version

    found = []
    for consultation in consultations:
        if consultation.status == ConsultationStatus.DRAFT.value:
            continue
        version = published_version(consultation=consultation)
        if version is not None:
            found.append({"slug": consultation.slug, "title": consultation.title, "report_title": version.title,
                          "url": f"/c/{consultation.slug}/report", "version": version.number,
                          "published_on": _iso(version.published_at)})
    return found


def _recommendations(review: Review, themes: dict[int, str]) -> list[dict]:
    from engage.services.recommendations import public_recommendations

    return [{"number": r.number, "title": r.title, "description": r.description or "", "owner": r.owner or "",
             "status": r.status, "status_label": STATUS_LABELS.get(r.status, r.status), "reason": r.reason or "",
             "target_on": _iso(r.target_on), "published_on": _iso(r.published_on),
             "theme_names": [themes[link.review_theme_id] for link in r.theme_links if link.review_theme_id in themes]}
            for r in public_recommendations(review)]


def build_review_data(*, review: Review, report: Report | None = None, today: dt.date | None = None) -> dict:
    """The overall report's data (JSON-ready), every breakdown suppressed at the review's public minimum."""
    found = reviews.streams(review)
    part = reviews.participation(review, public=True)
    cross = reviews.cross_stream(review, public=True)
    names = {t["id"]: t["name"] for t in cross["themes"]}
    differences = [{"group": d.group, "feature": d.label, "group_n": d.group_n, "group_share": round(d.group_share, 4),
                    "rest_n": d.rest_n, "rest_share": round(d.rest_share, 4)}
                   for d in reviews.differences(cross, "audience") if d.feature.isdigit()][:8]
    summary = " ".join((review.description or "").split())
    return {
        "schema": SCHEMA,
        "kind": "review",
        "generated_on": (today or dt.date.today()).isoformat(),
        "review": {"slug": review.slug, "title": review.title, "summary": summary[:300],
                   "description": review.description or "", "lead_organisation": review.lead_organisation or "",
                   "partners": list(review.partners or []), "phases": list(review.phases or []),
                   "starts_on": _iso(review.starts_on), "ends_on": _iso(review.ends_on)},
        "public_min": cross["min"],
        "identity_min": cross["min"],
        "streams": {"total": part["total"], "min": part["min"],
                    "rows": [{k: v for k, v in row.items() if k != "consultation"} for row in part["rows"]]},
        "cross": cross,
        "agreement": reviews.agreement(cross, "audience"),
        "differences": differences,
        "findings": reviews.safe_findings(review, cross),
        "stream_reports": _stream_reports(found),
        "recommendations": _recommendations(review, names),
        "themes": [{"id": t["id"], "name": t["name"], "description": t["description"], "n": t["n"],
                    "share": t["share"]} for t in cross["themes"]],
        "quotes": [],
        "appendix": [],
    }


# --- The machine draft -------------------------------------------------------------------------------------------

def _md(text: str) -> str:
    from engage.services.reports import _md as md

    return md(text)


def draft_section(key: str, data: dict) -> str:
    return _DRAFTERS[key](data).strip() + "\n"


def _draft_summary(data: dict) -> str:
    review = data["review"]
    lines = [f"{_md(review['title'])} heard from {{{{ participants }}}} people in {{{{ streams }}}} streams"
             + (" over {{ phases }} phases." if review["phases"] else ".")]
    ranked = sorted((t for t in data["themes"] if t["n"] is not None), key=lambda t: (-t["n"], t["name"]))
    if ranked:
        lines += ["", "Across the streams, the themes we heard most often were:", ""]
        lines += [f"- **{_md(t['name'])}**: {{{{ rt{t['id']}.share }}}} of the people whose comments were coded"
                  for t in ranked[:5]]
    if data["findings"] or data["differences"]:
        lines += ["", "Different audiences did not always see things the same way. The section "
                      "*What we heard across streams* explains where."]
    if data["recommendations"]:
        lines += ["", "The review made {{ recommendations }} recommendations. The section *Recommendations* "
                      "shows each one and how far it has got."]
    return "\n".join(lines)


def _draft_about(data: dict) -> str:
    review = data["review"]
    parts = [_md(review["description"]) if review["description"] else ""]
    if review["lead_organisation"]:
        parts += ["", f"**Who led it.** {_md(review['lead_organisation'])}"]
    if review["partners"]:
        parts += ["", "**Partners.** " + ", ".join(_md(p) for p in review["partners"])]
    if review["starts_on"] or review["ends_on"]:
        parts += ["", "**When.** The review ran from {{ starts_on }} to {{ ends_on }}."]
    if review["phases"]:
        parts += ["", "**Phases.** " + ", ".join(_md(p) for p in review["phases"]) + "."]
    return "\n".join(parts)


def _draft_engaged(data: dict) -> str:
    return "\n".join([
        "The review listened in several ways, each one a stream with its own audience and format.", "",
        "{{ block:streams:all }}", "",
        "To protect people, we do not show any group smaller than {{ public_min }} people, and we hide some other "
        "numbers too, so that a hidden number cannot be worked out from the ones shown.",
    ])


def _draft_heard(data: dict) -> str:
    lines = ["Every stream was coded with the same shared list of themes, so a theme means the same thing in "
             "every stream. {{ coded_people }} people's comments were coded.", "",
             "{{ block:crossstream:stream }}", "",
             "### By audience", "", "{{ block:crossstream:audience }}", "",
             "### Where audiences agree", "", "{{ block:agreement:audience }}", "",
             "### Where audiences differ", "", "{{ block:differences:audience }}", ""]
    if data["findings"]:
        lines += ["{{ block:findings:all }}", ""]
    return "\n".join(lines)


def _draft_streams(data: dict) -> str:
    return "Each stream has its own What We Heard report, with more detail and people's own words.\n\n" \
           "{{ block:streamreports:all }}"


def _draft_recommendations(data: dict) -> str:
    if not data["recommendations"]:
        return "The review's recommendations will be published here, each with its progress."
    return "These are the review's recommendations and how far each one has got.\n\n{{ block:recommendations:all }}"


def _draft_appendix(data: dict) -> str:
    return "The shared themes by phase.\n\n{{ block:crossstream:phase }}"


_DRAFTERS = {
    "executive_summary": _draft_summary, "about": _draft_about, "how_we_engaged": _draft_engaged,
    "what_we_heard": _draft_heard, "stream_reports": _draft_streams, "recommendations": _draft_recommendations,
    "appendix": _draft_appendix,
}


# --- Facts -------------------------------------------------------------------------------------------------------

def review_facts(data: dict) -> dict:
    from engage.services.reports import HIDDEN_TEXT, Fact, _long_date

    found: dict = {}

    def add(key, label, text, hidden=False):
        found[key] = Fact(key, label, text, hidden)

    streams, review = data["streams"], data["review"]
    add("participants", "people who took part in every stream", f"{streams['total']:,}")
    add("streams", "streams", f"{len(streams['rows']):,}")
    add("phases", "phases", f"{len(review['phases']):,}")
    add("public_min", "the public minimum group size", f"{data['public_min']:,}")
    add("starts_on", "first day of the review", _long_date(review["starts_on"]))
    add("ends_on", "last day of the review", _long_date(review["ends_on"]))
    add("coded_people", "people whose comments were coded", f"{data['cross']['total']:,}")
    add("recommendations", "published recommendations", f"{len(data['recommendations']):,}")
    add("findings", "pinned findings", f"{len(data['findings']):,}")
    for row in streams["rows"]:
        n = row["participants"]
        add(f"s{row['id']}.participants", f"participants in {row['title']}",
            HIDDEN_TEXT if n is None else f"{n:,}", n is None)
    for theme in data["themes"]:
        hidden = theme["n"] is None
        add(f"rt{theme['id']}.n", f"people mentioning {theme['name']}", HIDDEN_TEXT if hidden else f"{theme['n']:,}",
            hidden)
        add(f"rt{theme['id']}.share", f"share mentioning {theme['name']}",
            HIDDEN_TEXT if theme["share"] is None else f"{theme['share']:.0%}", theme["share"] is None)
    return found


# --- Published versions ---------------------------------------------------------------------------------------

def published_version(*, review: Review, number: int | None = None) -> ReportVersion | None:
    """The public version (the latest, or one by number); None before publication (the embargo)."""
    query = (select(ReportVersion).join(Report, Report.id == ReportVersion.report_id)
             .where(Report.review_id == review.id))
    if number is not None:
        return db.session.scalar(query.where(ReportVersion.number == number))
    return db.session.scalar(query.order_by(ReportVersion.number.desc()).limit(1))


def version_document(version: ReportVersion, *, review: Review):
    from engage.services.reports import Document, _corrections

    return Document(slug=review.slug, title=version.title, sections=version.sections, data=version.data,
                    draft=False, version=version.number, published_on=version.published_at.date(),
                    corrections=[c for c in _corrections(version.report) if c["number"] <= version.number])


def build_draft(*, report: Report, user: User | None = None):
    from engage.services.reports import build_draft as build

    return build(report=report, consultation=None, user=user)


def cached_export(*, version: ReportVersion, review: Review, fmt: str) -> bytes:
    """A published version's file, rendered once and kept in the instance folder (versions are frozen)."""
    import os
    import tempfile
    from pathlib import Path

    from flask import current_app

    folder = Path(current_app.instance_path) / "report_cache"
    stamp = version.published_at.strftime("%Y%m%dT%H%M%S%f")
    # Blocks are worded in the page's language (engage.reporting.blocks), so each language gets its own file.
    path = folder / f"report-{version.report_id}-v{version.number}-{version.id}-{stamp}-{current_language()}.{fmt}"
    if path.exists():
        return path.read_bytes()
    body = render_file(version_document(version, review=review), fmt)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(body)
    os.replace(temp, path)
    return body


def render_file(document, fmt: str) -> bytes:
    """The document as PDF, CSV or standalone HTML bytes (the same renderers as every report)."""
    if fmt == "pdf":
        from engage.reporting.pdf import document_pdf

        return document_pdf(document)
    if fmt == "csv":
        from engage.reporting.csv_export import report_csv

        return report_csv(document.data).encode("utf-8")
    from engage.reporting.document import render_document

    return render_document(document, standalone=True).encode("utf-8")
