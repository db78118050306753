"""The overall What We Heard report of a program review: its numbers, its workflow and embargo, and its exports."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Consultation, Report, ReportVersion, Response, Review
from engage.services import recommendations, reports
from tests.helpers import hidden_inputs
from tests.programs.test_cross_stream import make_review, rows
from tests.review.data_factory import add_responses, sign_in

SLUG = "safety-review"


@pytest.fixture
def review_ids(app, make_consultation):
    review_id, ids = make_review(app, make_consultation, [
        ("teachers", "Phase 1", "Teachers", rows(30, "Officer keeps us safe.", "Teacher", ["Safety"])
         + rows(6, "Some students are scared.", "Teacher", ["Fear"])),
        ("students", "Phase 2", "Racialized students", rows(8, "Feels safer.", "Student", ["Safety"])
         + rows(30, "I feel nervous.", "Student", ["Fear"])),
    ])
    with app.app_context():
        review = db.session.get(Review, review_id)
        teachers = db.session.get(Consultation, ids[0])
        stream_report = reports.ensure_report(consultation=teachers, user=None)
        reports.freeze_version(report=stream_report, user=None,
                               document=reports.build_draft(report=stream_report, consultation=teachers).document)
        recommendations.create(review, number=1, title="Train every officer", owner="Police service", publish=True)
        recommendations.create(review, number=2, title="An internal idea", owner="Board")  # a draft: not public
        db.session.commit()
    return review_id, ids


@pytest.fixture
def reviewer(app, make_user):
    return sign_in(app, make_user, "reviewer", email="rev@example.org")


@pytest.fixture
def publisher(app, make_user):
    return sign_in(app, make_user, "publisher", email="pub@example.org")


def post(client, url, data=None):
    token = hidden_inputs(client.get(f"/programs/{SLUG}/report").get_data(as_text=True))["csrf_token"]
    return client.post(url, data={"csrf_token": token, **(data or {})})


def publish_through_the_workflow(reviewer, publisher):
    assert post(reviewer, f"/programs/{SLUG}/report/submit").status_code == 303
    assert post(publisher, f"/programs/{SLUG}/report/approve").status_code == 303
    assert post(publisher, f"/programs/{SLUG}/report/publish").status_code == 303


def test_the_draft_is_404_publicly_and_the_published_version_is_frozen(app, review_ids, reviewer, publisher, client):
    page = reviewer.get(f"/programs/{SLUG}/report/preview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("Summary", "About the review", "How we engaged", "What we heard across streams",
                  "Each stream&#39;s report", "Recommendations"):
        assert title in html, title
    for url in (f"/reviews/{SLUG}/report", f"/reviews/{SLUG}/report/v1", f"/reviews/{SLUG}/report.pdf",
                f"/reviews/{SLUG}/report.csv", f"/reviews/{SLUG}/report.html"):
        assert client.get(url).status_code == 404, url

    publish_through_the_workflow(reviewer, publisher)
    public = client.get(f"/reviews/{SLUG}/report")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "Stream teachers" in html and "Train every officer" in html
    assert "An internal idea" not in html  # an unpublished recommendation stays internal
    assert "/c/teachers/report" in html and "/c/students/report" not in html  # only published stream reports
    assert client.get(f"/reviews/{SLUG}/report/v1").status_code == 200
    assert client.get(f"/reviews/{SLUG}/report/v2").status_code == 404

    # New responses change the live data, never the published version.
    add_responses(app, review_ids[1][1], rows(12, "Nervous in the hall.", "Student", ["Fear"]))
    again = client.get(f"/reviews/{SLUG}/report").get_data(as_text=True)
    # 74 people took part when it was published; 86 now. Chart coordinates such as x="186.0" are not counts.
    assert again.count("74") == html.count("74") and not re.search(r"(?<![\d.])86(?![\d.])", again)

    with app.app_context():
        review = db.session.get(Review, review_ids[0])
        review.status = "draft"
        db.session.commit()
    assert client.get(f"/reviews/{SLUG}/report").status_code == 404


def test_the_overall_numbers_equal_the_streams(app, review_ids, reviewer, publisher):
    publish_through_the_workflow(reviewer, publisher)
    with app.app_context():
        version = db.session.scalar(select(ReportVersion).join(Report).where(Report.review_id == review_ids[0]))
        counts = dict(db.session.execute(select(Response.consultation_id, func.count()).group_by(
            Response.consultation_id)).all())
        stream_version = db.session.scalar(select(ReportVersion).join(Report).where(
            Report.consultation_id == review_ids[1][0]))
    streams = version.data["streams"]
    shown = {row["id"]: row["participants"] for row in streams["rows"]}
    assert shown == {cid: counts[cid] for cid in review_ids[1]}
    assert streams["total"] == sum(counts.values()) == 74
    # The teachers' own published report says the same number of people.
    assert stream_version.data["participation"]["respondents"] == shown[review_ids[1][0]]
    views = version.data["cross"]["views"]
    assert sum(r["n"] for r in views["stream"]["rows"]) == views["stream"]["total"] == 74
    assert {r["label"]: r["n"] for r in views["audience"]["rows"]} == {"Teachers": 36, "Racialized students": 38}


def test_publishing_refuses_when_the_data_changed_since_approval(app, review_ids, reviewer, publisher, client):
    assert post(reviewer, f"/programs/{SLUG}/report/submit").status_code == 303
    assert post(publisher, f"/programs/{SLUG}/report/approve").status_code == 303
    add_responses(app, review_ids[1][0], rows(5, "Safe.", "Teacher", ["Safety"]))
    response = post(publisher, f"/programs/{SLUG}/report/publish")
    assert response.status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_ids[0]))
        assert report.status == "in_review" and not report.versions
    assert client.get(f"/reviews/{SLUG}/report").status_code == 404


def test_only_publishers_approve_and_anonymous_visitors_reach_no_staff_page(app, review_ids, reviewer, client):
    assert post(reviewer, f"/programs/{SLUG}/report/submit").status_code == 303
    post(reviewer, f"/programs/{SLUG}/report/approve")
    with app.app_context():
        assert db.session.scalar(select(Report.status).where(Report.review_id == review_ids[0])) == "in_review"
    assert client.get(f"/programs/{SLUG}/report").status_code == 302


def test_a_section_edit_keeps_revisions_and_sends_an_approved_report_back(app, review_ids, reviewer, publisher):
    url = f"/programs/{SLUG}/report/sections/about"
    assert reviewer.get(url).status_code == 200
    token = hidden_inputs(reviewer.get(url).get_data(as_text=True))["csrf_token"]
    response = reviewer.post(url, data={"csrf_token": token, "title": "About the review",
                                        "body": "We heard from {{ participants }} people."})
    assert response.status_code == 303
    assert "We heard from 74 people." in reviewer.get(url).get_data(as_text=True)
    assert reviewer.get(f"/programs/{SLUG}/report/sections/nope").status_code == 404


@pytest.mark.parametrize("fmt", ["html", "pdf", "csv"])
def test_the_cli_renders_the_published_overall_report(app, review_ids, reviewer, publisher, runner, tmp_path, fmt):
    out = tmp_path / f"overall.{fmt}"
    result = runner.invoke(args=["report", "--review", SLUG, "--format", fmt, "--out", str(out)])
    assert result.exit_code != 0 and "not been published" in result.output
    assert reviewer.get(f"/programs/{SLUG}/report").status_code == 200  # starts the working copy
    result = runner.invoke(args=["report", "--review", SLUG, "--format", fmt, "--out", str(out), "--draft"])
    assert result.exit_code == 0, result.output
    publish_through_the_workflow(reviewer, publisher)
    result = runner.invoke(args=["report", "--review", SLUG, "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    body = out.read_bytes()
    if fmt == "pdf":
        assert body.startswith(b"%PDF")
    elif fmt == "csv":
        table = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        participants = {row[1]: row[5] for row in table if row[0] == "stream"}
        assert participants == {"Stream teachers": "36", "Stream students": "38"}
        assert ["overview", "", "", "", "participants", "74", ""] in table
    else:
        assert b"Stream teachers" in body and b"Draft" not in body
    assert runner.invoke(args=["report", "--format", fmt, "--out", str(out)]).exit_code != 0  # neither slug
    assert runner.invoke(args=["report", "teachers", "--format", fmt, "--out", str(out)]).exit_code == 0


def test_public_downloads_serve_the_frozen_version(app, review_ids, reviewer, publisher, client):
    publish_through_the_workflow(reviewer, publisher)
    pdf = client.get(f"/reviews/{SLUG}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    data = client.get(f"/reviews/{SLUG}/report.csv").get_data(as_text=True)
    assert "Stream students" in data
    assert client.get(f"/reviews/{SLUG}/report.exe").status_code == 404
