"""Recommendations over real HTTP: admins and publishers write them, reviewers read; changes are dated."""
import datetime as dt

from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Recommendation, RecommendationChange, ReviewFinding, ReviewTheme
from tests.programs.tracker_factory import make_review, post, review_by_slug
from tests.review.data_factory import sign_in

URL = "/programs/sro-review/recommendations"


def _links(app):
    with app.app_context():
        review = review_by_slug("sro-review")
        theme = ReviewTheme(review_id=review.id, name="Feeling safe")
        finding = ReviewFinding(review_id=review.id, title="Teachers support officers; racialized students fear them")
        db.session.add_all([theme, finding])
        db.session.commit()
        return theme.id, finding.id


def test_a_publisher_adds_publishes_and_changes_a_recommendation(app, make_user):
    make_review(app, "sro-review")
    theme_id, finding_id = _links(app)
    publisher = sign_in(app, make_user, "publisher", email="pub@example.org")
    page = publisher.get(URL).get_data(as_text=True)
    assert "Feeling safe" in page and "racialized students fear them" in page
    response = post(publisher, URL, {"number": "1", "title": "Train officers", "owner": "Police service",
                                     "status": "planned", "themes": [str(theme_id)], "findings": [str(finding_id)],
                                     "target_on": "2026-09-01"})
    assert response.status_code == 303
    with app.app_context():
        rec = db.session.scalar(select(Recommendation))
        assert rec.published_on is None and [l.review_theme_id for l in rec.theme_links] == [theme_id]
        rec_id = rec.id
    assert "Train officers" not in publisher.get("/reviews/sro-review/tracker").get_data(as_text=True)
    edit = f"{URL}/{rec_id}"
    assert post(publisher, edit, {"action": "publish"}).status_code == 303
    assert "Train officers" in publisher.get("/reviews/sro-review/tracker").get_data(as_text=True)
    response = post(publisher, edit, {"action": "save", "title": "Train officers", "owner": "Police service",
                                      "status": "in_progress", "target_on": "2026-09-01",
                                      "themes": [str(theme_id)], "note": "Training began.",
                                      "changed_on": "2026-03-12"})
    assert response.status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(RecommendationChange).order_by(RecommendationChange.id)).all()
        assert [r.field for r in rows] == ["created", "published", "status"]
        assert rows[-1].changed_on == dt.date(2026, 3, 12) and rows[-1].note == "Training began."
        assert rows[-1].changed_by_id is not None  # kept for staff, never shown publicly
        rec = db.session.get(Recommendation, rec_id)
        assert rec.finding_links == []  # unticked on this save
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "change_recommendation"))
    staff_page = publisher.get(edit).get_data(as_text=True)
    assert "Training began." in staff_page and "In progress" in staff_page


def test_not_proceeding_without_a_reason_is_refused(app, make_user):
    make_review(app, "sro-review")
    admin = sign_in(app, make_user, "admin", email="admin@example.org")
    response = post(admin, URL, {"number": "1", "title": "Move officers", "status": "not_proceeding"})
    assert response.status_code == 422
    assert "reason" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Recommendation)) is None


def test_a_duplicate_number_and_a_future_date_are_refused(app, make_user):
    make_review(app, "sro-review")
    admin = sign_in(app, make_user, "admin", email="admin@example.org")
    assert post(admin, URL, {"number": "4", "title": "One", "status": "planned"}).status_code == 303
    assert post(admin, URL, {"number": "4", "title": "Two", "status": "planned"}).status_code == 422
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert post(admin, URL, {"number": "5", "title": "Three", "status": "planned",
                             "changed_on": future}).status_code == 422


def test_reviewers_read_but_cannot_write(app, make_user):
    make_review(app, "sro-review")
    admin = sign_in(app, make_user, "admin", email="admin@example.org")
    post(admin, URL, {"number": "1", "title": "Train officers", "status": "planned"})
    reviewer = sign_in(app, make_user, "reviewer", email="rev@example.org")
    page = reviewer.get(URL)
    assert page.status_code == 200 and "Train officers" in page.get_data(as_text=True)
    assert "Add recommendation" not in page.get_data(as_text=True)
    assert post(reviewer, URL, {"number": "2", "title": "Sneaky", "status": "planned"}).status_code == 403
    with app.app_context():
        rec_id = db.session.scalar(select(Recommendation.id))
    assert reviewer.get(f"{URL}/{rec_id}").status_code == 200
    assert post(reviewer, f"{URL}/{rec_id}", {"action": "publish"}).status_code == 403
    assert reviewer.get(f"{URL}/99999").status_code == 404
