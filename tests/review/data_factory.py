"""Test data for the comment browser, segments, participation and flags: responses added straight to the database."""
import datetime as dt

from sqlalchemy import select

from engage.extensions import db
from engage.models import Answer, Code, Consultation, Response, SegmentAnswer, Theme
from tests.conftest import STAFF_PASSWORD
from tests.helpers import hidden_inputs


def add_responses(app, consultation_id: int, rows) -> list:
    """rows: (text, channel, {field_key: [option labels]}, [theme names]); returns the answer ids, in order."""
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        text_question = next(q for q in consultation.questions if q.kind == "text")
        fields = {f.key: f for f in consultation.segment_fields}
        themes = {t.name: t for t in db.session.scalars(select(Theme).where(Theme.consultation_id == consultation_id))}
        ids = []
        for text, channel, segments, theme_names in rows:
            response = Response(consultation_id=consultation_id, channel=channel, submitted_on=dt.date.today())
            answer = Answer(question_id=text_question.id, text=text)
            response.answers.append(answer)
            for key, labels in segments.items():
                for label in labels:
                    option = next((o for o in fields[key].options if o.label == label), None)
                    response.segment_answers.append(SegmentAnswer(field_id=fields[key].id, option_id=option and option.id))
            db.session.add(response)
            db.session.flush()
            for name in theme_names:
                if name not in themes:
                    themes[name] = Theme(consultation_id=consultation_id, name=name, position=len(themes))
                    db.session.add(themes[name])
                    db.session.flush()
                db.session.add(Code(answer_id=answer.id, theme_id=themes[name].id))
            ids.append(answer.id)
        db.session.commit()
        return ids


def sign_in(app, make_user, *roles, email, consultation_ids=()):
    """A new test client signed in as a new staff user with these roles."""
    make_user(email=email, roles=roles, consultation_ids=consultation_ids)
    client = app.test_client()
    hidden = hidden_inputs(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data=hidden | {"email": email, "password": STAFF_PASSWORD}).status_code == 303
    return client
