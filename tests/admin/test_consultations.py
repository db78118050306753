"""Admins manage consultations; questions with answers keep their meaning."""
import datetime as dt

from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, Question, QuestionRevision, SegmentField
from tests.helpers import fresh_form, hidden_inputs, question_ids, valid_answers

SETTINGS = {
    "title": "Bus safety", "slug": "bus-safety", "summary": "Tell us about the bus.",
    "description": "Some students take a bus to school.", "purpose": "We want to make it safer.",
    "audience": "The transport team reads the answers.", "status": "open", "opens_on": "", "closes_on": "",
    "min_group_size": "10", "safeguarding_role": "admin", "safeguarding_guidance": "",
}


def _post(client, url, data):
    """POST as the signed-in admin's browser would; the CSRF token is per session, so any staff page has it."""
    token = hidden_inputs(client.get("/staff/").get_data(as_text=True))["csrf_token"]
    return client.post(url, data={"csrf_token": token} | data)


def _create(client, **changes):
    return _post(client, "/admin/consultations/new", SETTINGS | changes)


def test_admin_creates_a_consultation_people_can_answer(app, client, login_as):
    login_as("admin")
    response = _create(client)
    assert response.status_code == 303
    edit_url = response.headers["Location"]
    assert _post(client, edit_url + "/questions", {"kind": "text", "prompt": "What is the bus like?", "required": "y"}).status_code == 303
    assert _post(client, edit_url + "/questions", {"kind": "single", "prompt": "How do you get there?",
                                                   "options": "Bus\nWalk\nCar"}).status_code == 303
    client.post("/auth/logout", data=hidden_inputs(client.get("/staff/").get_data(as_text=True)))
    assert "Bus safety" in client.get("/").get_data(as_text=True)
    ids = question_ids(app, "bus-safety")
    data = fresh_form(client, "bus-safety") | {f"q{ids['text1']}": "It is crowded."}
    assert client.post("/c/bus-safety/respond", data=data).status_code == 303
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[:4] == ["login", "create_consultation", "add_question", "add_question"]


def test_bad_settings_are_refused_with_reasons(app, client, login_as):
    login_as("admin")
    assert _create(client).status_code == 303
    for changes, message in (({"slug": "Bad Slug!"}, "lower-case letters"), ({"slug": "bus-safety"}, "already uses"),
                             ({"slug": "later", "opens_on": "2030-05-02", "closes_on": "2030-05-01"}, "on or after")):
        response = _create(client, **changes)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Consultation)) == 1


def test_answered_question_can_be_reworded_or_closed_but_not_changed_in_meaning(app, client, login_as, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    assert client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety")).status_code == 303
    login_as("admin")
    url = f"/admin/questions/{ids['text0']}"
    changed = _post(client, url, {"kind": "single", "prompt": "What is it like?", "options": "Good\nBad"})
    assert changed.status_code == 422 and "cannot change" in changed.get_data(as_text=True)
    assert _post(client, url, {"kind": "text", "prompt": "What is school like for you?", "max_length": "5000"}).status_code == 303
    refused = _post(client, url + "/delete", {})
    assert "cannot be deleted" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert _post(client, url + "/close", {}).status_code == 303
    with app.app_context():
        revision = db.session.scalars(select(QuestionRevision).order_by(QuestionRevision.id)).first()
        assert (revision.field, revision.old_value, revision.new_value) == ("prompt", "What is it like?", "What is school like for you?")
        assert db.session.get(Question, ids["text0"]).closed
    form_page = client.get("/c/school-safety/respond").get_data(as_text=True)
    assert "What is school like for you?" not in form_page  # closed: no longer asked
    assert "I feel safe at school." in form_page


def test_unanswered_question_can_change_kind_and_be_deleted(app, client, login_as, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    login_as("admin")
    url = f"/admin/questions/{ids['text4']}"
    assert _post(client, url, {"kind": "single", "prompt": "Pick one", "options": "A\nB"}).status_code == 303
    assert _post(client, url + "/delete", {}).status_code == 303
    with app.app_context():
        assert db.session.get(Question, ids["text4"]) is None


def test_segment_field_with_expected_shares_and_protected_options(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    login_as("admin")
    base = f"/admin/consultations/{consultation_id}"
    response = _post(client, base + "/segment-fields", {"key": "grade", "label": "Your grade?", "options": "Grade 4-6 | 40%\nGrade 7-9 | 0.35\nGrade 10-12"})
    assert response.status_code == 303
    with app.app_context():
        field = db.session.scalar(select(SegmentField).where(SegmentField.key == "grade"))
        assert [(o.label, o.expected_share) for o in field.options] == [("Grade 4-6", 0.4), ("Grade 7-9", 0.35), ("Grade 10-12", None)]
    bad = _post(client, base + "/segment-fields", {"key": "x2", "label": "?", "options": "A | lots\nB"})
    assert bad.status_code == 422 and "is not a share" in bad.get_data(as_text=True)
    ids = question_ids(app, "school-safety")
    client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety") | {f"s{ids['role']}": str(ids["role:Student"])})
    refused = _post(client, f"/admin/segment-fields/{ids['role']}", {"key": "role", "label": "Which describes you?", "options": "Teacher\nParent"})
    assert refused.status_code == 422 and "cannot be removed" in refused.get_data(as_text=True)


def test_access_codes_gate_answers_and_can_be_switched_off(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    app.config["CONSULTATION_CACHE_SECONDS"] = 60  # edits must still show at once in this process
    login_as("admin")
    base = f"/admin/consultations/{consultation_id}"
    settings = SETTINGS | {"title": "School safety check-in", "slug": "school-safety", "requires_access_code": "y"}
    assert _post(client, base, settings).status_code == 303
    assert _post(client, base + "/access-codes", {"code": "oak-42", "label": "Oak School"}).status_code == 303
    assert "Access code" in client.get("/c/school-safety/respond").get_data(as_text=True)
    ok = client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety") | {"access_code": "OAK-42"})
    assert ok.status_code == 303
    with app.app_context():
        code_id = db.session.get(Consultation, consultation_id).access_codes[0].id
    assert _post(client, f"/admin/access-codes/{code_id}/deactivate", {}).status_code == 303
    refused = client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety") | {"access_code": "OAK-42"})
    assert refused.status_code == 422
