"""Helpers that fill the participant form the way a browser would: from the rendered HTML."""
from html.parser import HTMLParser

from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.hidden[attrs["name"]] = attrs.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.hidden


def question_ids(app, slug: str) -> dict[str, int]:
    """Map each question's kind-and-position (text0, scale1, ...) and each segment key to its id."""
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        ids = {f"{q.kind}{q.position}": q.id for q in consultation.questions}
        ids.update({f.key: f.id for f in consultation.segment_fields})
        ids.update({f"{f.key}:{o.label}": o.id for f in consultation.segment_fields for o in f.options})
        ids.update({f"q{q.position}:{o.label}": o.id for q in consultation.questions for o in q.options})
        return ids


def fresh_form(client, slug: str) -> dict[str, str]:
    response = client.get(f"/c/{slug}/respond")
    assert response.status_code == 200
    return hidden_inputs(response.get_data(as_text=True))


def valid_answers(app, slug: str, text: str = "The officer is friendly and helps.") -> dict:
    ids = question_ids(app, slug)
    return {f"q{ids['text0']}": text, f"q{ids['scale1']}": "4"}
