"""Test data for D2's program-review tests: a review with streams, signed-in clients, CSRF-carrying posts."""
from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation, Review
from tests.helpers import hidden_inputs


def make_review(app, slug="sro-review", *, status="active", streams=(), **fields) -> int:
    """A review; `streams` are (consultation id, phase, audience, format, partner). Returns the review's id."""
    with app.app_context():
        review = Review(slug=slug, title=fields.pop("title", "SRO program review"), status=status,
                        phases=fields.pop("phases", ["Phase 1", "Phase 2"]),
                        lead_organisation=fields.pop("lead_organisation", "Calgary Board of Education"),
                        partners=fields.pop("partners", ["Calgary Police Service", "ActionDignity"]), **fields)
        db.session.add(review)
        db.session.flush()
        for cid, phase, audience, fmt, partner in streams:
            c = db.session.get(Consultation, cid)
            c.review_id, c.stream_phase, c.stream_audience, c.stream_format, c.stream_partner = (
                review.id, phase, audience, fmt, partner)
        db.session.commit()
        return review.id


def review_by_slug(slug: str) -> Review:
    return db.session.scalar(select(Review).where(Review.slug == slug))


def post(client, url, data=None, *, form_page=None):
    """POST with the CSRF token from the page holding the form (default: the same URL)."""
    token = hidden_inputs(client.get(form_page or url).get_data(as_text=True)).get("csrf_token", "")
    return client.post(url, data={"csrf_token": token, **(data or {})})


def csrf_from(client, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    return next(v for k, v in hidden_inputs(html).items() if k.endswith("csrf_token"))
