"""The demo program review seeds quickly, is shaped like the issue's review, and publishes its overall report."""
import time

from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Code, Recommendation, Response, Review, ReviewFinding, Theme
from engage.services import reviews
from engage.services.demo_review import REVIEW_SLUG, publish_demo_review, seed_demo_review


def test_the_demo_review_seeds_and_publishes(app, client):
    with app.app_context():
        started = time.perf_counter()
        review, created = seed_demo_review()
        db.session.commit()
        publish_demo_review(review)
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert created and elapsed < 90, elapsed
        assert seed_demo_review()[1] is False  # idempotent

        streams = reviews.streams(review)
        assert [c.stream_phase for c in streams] == ["Phase 1"] + ["Phase 2"] * 4
        counts = dict(db.session.execute(select(Response.consultation_id, func.count())
                                         .group_by(Response.consultation_id)).all())
        assert [counts[c.id] for c in streams] == [1904, 115, 225, 551, 103]
        assert reviews.participation(review)["total"] == 2898
        assert review.lead_organisation and review.partners and review.phases == ["Phase 1", "Phase 2"]
        # The shared codebook is in every stream; a stream keeps a theme of its own; comments are coded.
        shared_links = db.session.scalar(select(func.count()).select_from(Theme).where(Theme.review_theme_id.is_not(None)))
        own = db.session.scalar(select(func.count()).select_from(Theme).where(Theme.review_theme_id.is_(None)))
        assert shared_links == 8 * 5 and own >= 1
        assert db.session.scalar(select(func.count()).select_from(Code)) >= 2898

        # The staff view: in public, "Feeling safe" is hidden review-wide, because the focus groups' own report
        # hides their 9 while every other stream's report shows its count.
        public = reviews.cross_stream(review, public=True)
        assert {t["name"]: t["n"] for t in public["themes"]}["Feeling safe"] is None
        cross = reviews.cross_stream(review, public=False)
        audience = {r["label"]: r for r in cross["views"]["audience"]["rows"]}
        names = {t["name"]: str(t["id"]) for t in cross["themes"]}
        students = audience["Racialized, 2SLGBTQ+ and disabled students"]["cells"]
        teachers = audience["Teachers"]["cells"]
        assert students[names["Fear and discomfort"]]["share"] > 3 * teachers[names["Fear and discomfort"]]["share"]
        assert teachers[names["Feeling safe"]]["share"] > 0.4
        assert cross["sentiment"]
        assert db.session.scalar(select(func.count()).select_from(ReviewFinding)) >= 1

        recs = db.session.scalars(select(Recommendation).order_by(Recommendation.number)).all()
        assert {r.status for r in recs} >= {"planned", "in_progress", "done", "not_proceeding"}
        stopped = next(r for r in recs if r.status == "not_proceeding")
        assert stopped.reason and all(r.published_on for r in recs)
        assert len({c.changed_on for r in recs for c in r.changes}) >= 3  # dated history
        review_status = db.session.scalar(select(Review.status).where(Review.slug == REVIEW_SLUG))
    assert review_status == "active"

    page = client.get(f"/reviews/{REVIEW_SLUG}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2,898" in html and "1,904" in html and "Private teacher survey" in html
    assert "Not proceeding" in html and "/c/sro-teachers/report" in html and "/c/sro-focus-groups/report" in html
    assert client.get("/c/sro-teachers/report").status_code == 200
    assert client.get(f"/reviews/{REVIEW_SLUG}/report.csv").status_code == 200
