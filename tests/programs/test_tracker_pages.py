"""The public review page and tracker over real HTTP: no sign-in, no drafts, no staff names, dated history."""
import datetime as dt
import re

from flask_babel import format_date

from engage.extensions import db
from engage.models import Report, ReportVersion, ReviewTheme, User
from engage.services import recommendations as recs
from tests.programs.tracker_factory import make_review, review_by_slug
from tests.review.data_factory import add_responses

D = dt.date


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _publish_report(app, cid):
    with app.app_context():
        report = Report(consultation_id=cid, title="What We Heard: students", status="published")
        db.session.add(report)
        db.session.flush()
        db.session.add(ReportVersion(report_id=report.id, number=1, title=report.title, sections=[], data={}))
        db.session.commit()


def _streams(app, make_consultation):
    big, small, other = (make_consultation(s, public_min_group_size=10) for s in ("teachers", "focus", "round"))
    add_responses(app, big, [("Fine.", "online", {}, [])] * 30)
    add_responses(app, small, [("Scared.", "online", {}, [])] * 3)
    add_responses(app, other, [("Okay.", "online", {}, [])] * 12)
    return big, small, other


def test_a_draft_review_does_not_exist_for_the_public(client, app):
    make_review(app, "secret", status="draft")
    assert client.get("/reviews/secret").status_code == 404
    assert client.get("/reviews/secret/tracker").status_code == 404
    assert client.get("/reviews/nothing-here").status_code == 404


def test_the_overview_shows_streams_with_suppressed_participation_and_published_links(client, app,
                                                                                        make_consultation):
    big, small, other = _streams(app, make_consultation)
    make_review(app, "sro-review", streams=[(big, "Phase 2", "Teachers", "Private survey", "Calgary Police Service"),
                                            (small, "Phase 2", "Racialized students", "Focus groups", "ActionDignity"),
                                            (other, "Phase 1", "Everyone", "Roundtables", "")])
    _publish_report(app, big)
    html = client.get("/reviews/sro-review").get_data(as_text=True)
    text = _text(html)
    assert "Calgary Board of Education" in text and "ActionDignity" in text
    assert "Private survey" in text and "Racialized students" in text and "Roundtables" in text
    assert "In all, 45 people took part." in text
    # 3 is below the public minimum of 10, and 12 is hidden too, or 45 - 30 would give the 3 away.
    assert not re.search(r"\b3\b", text) and not re.search(r"\b12\b", text)
    assert text.count("hidden") >= 2 and "30" in text
    assert "/c/teachers/report" in html and "/c/focus/report" not in html and "/c/round/report" not in html
    assert text.index("Phase 1") < text.index("Phase 2")  # phases in the review's order
    assert "/reviews/sro-review/tracker" in html
    assert "overall report is not published yet" in text


def test_the_overall_report_is_linked_once_published(client, app):
    rid = make_review(app, "sro-review")
    assert "/reviews/sro-review/report" not in client.get("/reviews/sro-review").get_data(as_text=True)
    with app.app_context():
        report = Report(review_id=rid, title="Overall", status="published")
        db.session.add(report)
        db.session.flush()
        db.session.add(ReportVersion(report_id=report.id, number=1, title="Overall", sections=[], data={}))
        db.session.commit()
    html = client.get("/reviews/sro-review").get_data(as_text=True)
    assert ("/reviews/sro-review/report" in html) == ("programs.show_report" in app.view_functions)


def _recommendations(app):
    with app.app_context():
        review = review_by_slug("sro-review")
        staff = User(email="secret.staffer@example.org", name="Pat Staffer")
        theme = ReviewTheme(review_id=review.id, name="Feeling safe at school")
        db.session.add_all([staff, theme])
        db.session.flush()
        one = recs.create(review, number=1, title="Train officers in youth work", owner="Calgary Police Service",
                          target_on=D(2026, 9, 1), theme_ids=[theme.id], publish=True, user=staff, on=D(2026, 1, 15))
        recs.change(one, status="in_progress", note="Training began with 40 officers.", user=staff,
                    on=D(2026, 3, 12))
        two = recs.create(review, number=2, title="Move officers out of schools", publish=True, on=D(2026, 1, 15))
        recs.change(two, status="not_proceeding", reason="The province funds the program until 2027.",
                    on=D(2026, 2, 3))
        recs.create(review, number=3, title="Internal idea still being discussed", on=D(2026, 1, 10))
        db.session.commit()


def _long(app, day: dt.date, lang="en") -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return format_date(day, format="long")


def test_the_tracker_shows_published_recommendations_and_their_dated_history(client, app):
    make_review(app, "sro-review")
    _recommendations(app)
    march12, feb3, jan15 = _long(app, D(2026, 3, 12)), _long(app, D(2026, 2, 3)), _long(app, D(2026, 1, 15))
    response = client.get("/reviews/sro-review/tracker")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "Train officers in youth work" in text and "Move officers out of schools" in text
    assert "Internal idea" not in text  # a draft stays internal
    assert "secret.staffer" not in html and "Pat Staffer" not in html  # never who made a change
    assert "Feeling safe at school" in text and _long(app, D(2026, 9, 1)) in text
    assert f"{march12} : Status changed from Planned to In progress. — Training began with 40 officers." in text
    assert f"{jan15} : Published with the status Planned." in text
    assert "Why it is not going ahead: The province funds the program until 2027." in text
    assert '<time datetime="2026-03-12">' in html
    timeline = text[text.index("Timeline"):]
    assert timeline.index(march12) < timeline.index(feb3) < timeline.index(jan15)
    assert timeline.index("Status changed from Planned to Not proceeding") < timeline.index("Public reason:")
    # Counts by status cover the published ones only.
    counts = text[text.index("Recommendations by status"):]
    assert re.match(r"Recommendations by status Planned In progress Done Not proceeding 0 1 0 1", counts)


def test_the_tracker_reads_in_french_with_french_dates(client, app):
    make_review(app, "sro-review")
    _recommendations(app)
    text = _text(client.get("/reviews/sro-review/tracker?lang=fr").get_data(as_text=True))
    assert _long(app, D(2026, 3, 12), "fr") in text and "mars 2026" in text


def test_a_closed_review_stays_readable(client, app):
    make_review(app, "sro-review", status="closed")
    _recommendations(app)
    assert client.get("/reviews/sro-review").status_code == 200
    assert "Train officers" in client.get("/reviews/sro-review/tracker").get_data(as_text=True)
