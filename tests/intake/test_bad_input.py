"""Bad or hostile input gets a clear message and changes nothing."""
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Answer, Response
from tests.helpers import fresh_form, question_ids, valid_answers


def responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_oversized_body_gets_a_clear_413_page(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="x" * 200_000)
    response = client.post("/c/school-safety/respond", data=data)
    assert response.status_code == 413
    assert "too much to send" in response.get_data(as_text=True)
    assert responses(app) == 0


def test_invalid_utf8_is_refused_with_a_message(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    hidden = fresh_form(client, "school-safety")
    body = "&".join(f"{k}={v}" for k, v in hidden.items()).encode() + f"&q{ids['text0']}=".encode() + b"\xff\xfe%ff"
    response = client.post("/c/school-safety/respond", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "not readable text" in response.get_data(as_text=True)
    assert responses(app) == 0


def test_script_tags_are_escaped_when_shown_back(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    data = fresh_form(client, "school-safety") | {f"q{ids['text0']}": "<script>alert('x')</script>"}
    page = client.post("/c/school-safety/respond", data=data).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page


def test_script_tags_are_stored_as_plain_text(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="<b>hi</b><script>x()</script>")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.text.is_not(None))) == "<b>hi</b><script>x()</script>"


def test_control_characters_are_removed(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="line one\r\nline\x00 two\x07\x1b")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.text.is_not(None))) == "line one\nline two"


def test_honeypot_quietly_stores_nothing(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety") | {"website": "http://spam.example"}
    response = client.post("/c/school-safety/respond", data=data)
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert responses(app) == 0


def test_too_fast_submission_is_shown_again_with_text(client, app, make_consultation):
    make_consultation()
    app.config["MIN_FILL_SECONDS"] = 30
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="quick but human")
    response = client.post("/c/school-safety/respond", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "take a moment" in page and "quick but human" in page
    assert responses(app) == 0


def test_missing_hidden_fields_do_not_crash(client, app, make_consultation):
    make_consultation()
    response = client.post("/c/school-safety/respond", data=valid_answers(app, "school-safety"))
    assert response.status_code == 422
    assert responses(app) == 0


def test_rate_limit_keeps_the_text_and_says_when_to_try_again(client, app, make_consultation):
    make_consultation()
    app.config["INTAKE_SESSION_LIMIT"] = "2 per minute"
    for _ in range(2):
        data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety")
        assert client.post("/c/school-safety/respond", data=data).status_code == 303
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="third, typed with care")
    response = client.post("/c/school-safety/respond", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "third, typed with care" in page and "Please wait a minute" in page
    assert responses(app) == 2
    # Another browser (a classmate at the same school address) is not held up.
    other = app.test_client()
    data = fresh_form(other, "school-safety") | valid_answers(app, "school-safety")
    assert other.post("/c/school-safety/respond", data=data).status_code == 303


def test_address_limit_is_shared_by_a_whole_school_but_loose(client, app, make_consultation):
    make_consultation()
    app.config["INTAKE_ADDRESS_LIMIT"] = "3 per minute"
    statuses = []
    for _ in range(4):
        browser = app.test_client()
        data = fresh_form(browser, "school-safety") | valid_answers(app, "school-safety")
        statuses.append(browser.post("/c/school-safety/respond", data=data).status_code)
    assert statuses == [303, 303, 303, 429]
