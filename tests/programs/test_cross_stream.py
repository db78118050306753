"""Cross-stream analysis: shared themes by stream, phase and audience, suppressed like every other breakdown."""
import datetime as dt

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation, Review, ReviewFinding, ReviewTheme, Theme
from engage.services import reviews
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in

SLUG = "safety-review"


def make_review(app, make_consultation, streams, *, slug=SLUG, minimum=5, public_minimum=5, shared=("Safety", "Fear")):
    """streams: [(slug, phase, audience, rows)], rows as tests.review.data_factory.add_responses takes them.

    Creates the review, its streams (each coded with its own themes), the shared codebook, and adopts it."""
    with app.app_context():
        review = Review(slug=slug, title="Safety program review", description="A review in two phases.",
                        status="active", lead_organisation="City police", partners=["School board"],
                        phases=["Phase 1", "Phase 2"], starts_on=dt.date(2024, 1, 8), ends_on=dt.date(2025, 6, 30))
        db.session.add(review)
        db.session.commit()
        review_id = review.id
    ids = []
    for stream_slug, phase, audience, rows in streams:
        cid = make_consultation(stream_slug, title=f"Stream {stream_slug}", min_group_size=minimum,
                                public_min_group_size=public_minimum)
        with app.app_context():
            consultation = db.session.get(Consultation, cid)
            consultation.review_id, consultation.stream_phase, consultation.stream_audience = review_id, phase, audience
            consultation.stream_format, consultation.stream_partner = "Survey", "School board"
            db.session.commit()
        add_responses(app, cid, rows)
        ids.append(cid)
    with app.app_context():
        review = db.session.get(Review, review_id)
        for name in shared:
            reviews.save_review_theme(review=review, user=None, theme=None, name=name)
        reviews.adopt_into_streams(review=review, user=None)
        db.session.commit()
    return review_id, ids


def rows(n, text, role, themes, channel="online"):
    return [(text, channel, {"role": [role]}, list(themes))] * n


@pytest.fixture
def small_stream_review(app, make_consultation):
    """Two big streams and one of 3 people (below the minimum of 5)."""
    return make_review(app, make_consultation, [
        ("teachers", "Phase 1", "Teachers", rows(20, "Officer keeps us safe.", "Teacher", ["Safety"])
         + rows(10, "Some students are scared.", "Teacher", ["Fear"])),
        ("students", "Phase 2", "Students", rows(12, "Feels safer.", "Student", ["Safety"])
         + rows(28, "I feel nervous.", "Student", ["Fear"])),
        ("circle", "Phase 2", "Students", rows(3, "Scared of police.", "Student", ["Fear"])),
    ])


def _view(app, review_id, by, public=False):
    with app.app_context():
        return reviews.cross_stream(db.session.get(Review, review_id), public=public)


def test_adopting_links_a_stream_theme_of_the_same_name_and_keeps_stream_only_themes(app, make_consultation):
    review_id, (a, b) = make_review(app, make_consultation, [
        ("one", "Phase 1", "Teachers", rows(6, "Safe.", "Teacher", ["Safety", "Coaching"])),
        ("two", "Phase 2", "Students", rows(6, "Scared.", "Student", ["Fear"])),
    ])
    with app.app_context():
        shared = {t.name: t.id for t in db.session.scalars(select(ReviewTheme))}
        themes = db.session.scalars(select(Theme)).all()
        by_stream = {(t.consultation_id, t.name): t.review_theme_id for t in themes}
    assert by_stream[(a, "Safety")] == shared["Safety"] and by_stream[(a, "Coaching")] is None
    assert by_stream[(b, "Fear")] == shared["Fear"]
    assert by_stream[(b, "Safety")] == shared["Safety"]  # created in the stream that had no such theme
    assert sum(1 for (cid, name) in by_stream if name == "Safety") == 2  # linked, not duplicated


def test_a_small_stream_is_hidden_with_a_complementary_cell_and_totals_do_not_reveal_it(app, small_stream_review):
    review_id, (teachers, students, circle) = small_stream_review
    cross = _view(app, review_id, "stream")
    view = cross["views"]["stream"]
    row = {r["key"]: r for r in view["rows"]}
    assert cross["total"] == 73
    assert row[str(circle)]["n"] is None
    hidden_n = [r for r in view["rows"] if r["n"] is None]
    assert len(hidden_n) >= 2  # the small stream and a complementary one: the total cannot give it away
    fear = str(next(t["id"] for t in cross["themes"] if t["name"] == "Fear"))
    assert row[str(circle)]["cells"][fear]["n"] is None
    assert sum(1 for r in view["rows"] if r["cells"][fear]["n"] is None) >= 2
    # The phase view adds up streams: a phase holding a hidden stream is hidden too, never total less the rest.
    phases = {r["key"]: r for r in cross["views"]["phase"]["rows"]}
    assert phases["Phase 2"]["n"] is None
    shown = [r["n"] for r in view["rows"] if r["n"] is not None]
    assert cross["total"] - sum(shown) not in (3,) or len(hidden_n) >= 2


def test_stream_participants_are_suppressed_and_the_total_does_not_reveal_a_small_stream(app, small_stream_review):
    review_id, (teachers, students, circle) = small_stream_review
    with app.app_context():
        table = reviews.participation(db.session.get(Review, review_id), public=True)
    shown = {r["id"]: r["participants"] for r in table["rows"]}
    assert table["total"] == 73
    assert shown[circle] is None
    assert sum(1 for v in shown.values() if v is None) >= 2
    assert table["total"] - sum(v for v in shown.values() if v is not None) != 3 or \
        sum(1 for v in shown.values() if v is None) >= 2


def test_big_streams_show_every_figure_and_differences_can_be_pinned(app, make_consultation, make_user):
    review_id, (teachers, students) = make_review(app, make_consultation, [
        ("teachers", "Phase 1", "Teachers", rows(30, "Officer keeps us safe.", "Teacher", ["Safety"])
         + rows(6, "Some students are scared.", "Teacher", ["Fear"])),
        ("students", "Phase 2", "Racialized students", rows(8, "Feels safer.", "Student", ["Safety"])
         + rows(30, "I feel nervous.", "Student", ["Fear"])),
    ])
    cross = _view(app, review_id, "audience")
    audience = {r["key"]: r for r in cross["views"]["audience"]["rows"]}
    assert audience["Teachers"]["n"] == 36 and audience["Racialized students"]["n"] == 38
    fear = str(next(t["id"] for t in cross["themes"] if t["name"] == "Fear"))
    assert audience["Racialized students"]["cells"][fear]["n"] == 30
    found = reviews.differences(cross, "audience")
    assert any(d.group == "Racialized students" and d.feature == fear for d in found)

    client = sign_in(app, make_user, "reviewer", email="rev@example.org")
    page = client.get(f"/programs/{SLUG}/analysis/differences?by=audience")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Racialized students" in html and "Pin" in html
    token = hidden_inputs(html)["csrf_token"]
    response = client.post(f"/programs/{SLUG}/analysis/differences", data={
        "csrf_token": token, "by": "audience", "group": "Racialized students", "feature": fear, "note": "Headline"})
    assert response.status_code == 303
    with app.app_context():
        finding = db.session.scalar(select(ReviewFinding))
        assert finding.data["group_n"] == 38 and finding.data["value"] == "Racialized students"
        assert set(finding.data) >= {"group_share", "rest_n", "rest_share"}


def test_the_analysis_page_shows_hidden_cells_as_hidden(app, small_stream_review, make_user):
    client = sign_in(app, make_user, "reviewer", email="rev@example.org")
    for by in ("stream", "phase", "audience"):
        page = client.get(f"/programs/{SLUG}/analysis?by={by}")
        assert page.status_code == 200, by
        html = page.get_data(as_text=True)
        assert "hidden" in html
        assert "Sentiment is not available" in html  # no analysis run yet
    assert client.get(f"/programs/{SLUG}/analysis?by=nonsense").status_code == 200


def test_the_codebook_page_adds_and_adopts_shared_themes(app, small_stream_review, make_user):
    client = sign_in(app, make_user, "reviewer", email="rev@example.org")
    page = client.get(f"/programs/{SLUG}/codebook")
    assert page.status_code == 200 and "Fear" in page.get_data(as_text=True)
    token = hidden_inputs(page.get_data(as_text=True))["csrf_token"]
    response = client.post(f"/programs/{SLUG}/codebook", data={"csrf_token": token, "action": "add",
                                                               "name": "Trust", "description": "Trust in police"})
    assert response.status_code == 303
    response = client.post(f"/programs/{SLUG}/codebook", data={"csrf_token": token, "action": "adopt"})
    assert response.status_code == 303
    with app.app_context():
        trust = db.session.scalar(select(ReviewTheme).where(ReviewTheme.name == "Trust"))
        linked = db.session.scalars(select(Theme).where(Theme.review_theme_id == trust.id)).all()
    assert len(linked) == 3


def test_a_theme_total_that_the_streams_own_reports_would_give_away_is_hidden_in_public(app, small_stream_review):
    # Each stream's own report shows Fear when it reaches that stream's public minimum (5): teachers 10,
    # students 28; the circle's 3 are hidden there. A public review-wide Fear total of 41 would give the 3 away
    # (41 - 10 - 28), however the stream table hides its cells.
    review_id, (teachers, students, circle) = small_stream_review
    public, staff = _view(app, review_id, "stream", public=True), _view(app, review_id, "stream")
    names = {t["name"]: t for t in public["themes"]}
    fear = names["Fear"]["id"]
    # Everyone here has exactly one theme, so the totals add up to everyone: Safety is hidden to cover Fear.
    assert names["Fear"]["n"] is None and names["Safety"]["n"] is None
    assert fear not in public["views"]["stream"]["theme_ids"]
    assert {t["name"]: t["n"] for t in staff["themes"]}["Fear"] == 41  # staff pages already show each stream
