"""The participant journey through real HTTP: find, read, answer, submit, receipt."""
import datetime as dt
import re

from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Answer, Receipt, Response, SegmentAnswer
from tests.helpers import fresh_form, hidden_inputs, question_ids, valid_answers


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def submit(client, app, slug="school-safety", **extra):
    data = fresh_form(client, slug) | valid_answers(app, slug) | extra
    return client.post(f"/c/{slug}/respond", data=data)


def test_home_lists_only_open_consultations(client, make_consultation):
    make_consultation("open-one", title="Open one")
    make_consultation("draft-one", title="Draft one", status="draft")
    make_consultation("closed-one", title="Closed one", status="closed")
    make_consultation("later-one", title="Later one", opens_on=dt.date.today() + dt.timedelta(days=5))
    page = client.get("/").get_data(as_text=True)
    assert "Open one" in page
    assert "Draft one" not in page and "Closed one" not in page and "Later one" not in page


def test_intro_explains_in_plain_words(client, make_consultation):
    make_consultation()
    page = client.get("/c/school-safety").get_data(as_text=True)
    for heading in ("What is this about?", "Why are we asking?", "Who will read your answers?", "What will be shared?"):
        assert heading in page
    assert "do not need to give your name" in page
    assert "fewer than 10 people" in page


def test_submitting_stores_one_anonymous_response_and_shows_a_receipt(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    response = submit(
        client, app,
        **{f"q{ids['single2']}": str(ids["q2:A friend"]), f"q{ids['multiple3']}": [str(ids["q3:Talk"]), str(ids["q3:Teach"])],
           f"s{ids['role']}": str(ids["role:Student"]), f"s{ids['groups']}": [str(ids["groups:Racialized"])]},
    )
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your receipt code is" in thanks
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert stored.channel == "online"
        assert stored.submitted_on == dt.date.today()
        assert sorted(a.text or a.scale_value or a.option_id for a in stored.answers if a.text) == [
            "The officer is friendly and helps."
        ]
        assert len(stored.answers) == 5  # text, scale, one single choice, two multiple choices
        assert {s.option_id for s in stored.segment_answers} == {ids["role:Student"], ids["groups:Racialized"]}
        assert db.session.scalar(select(func.count()).select_from(Receipt)) == 1


def test_demographics_are_optional_and_prefer_not_to_say_is_kept(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    assert submit(client, app).status_code == 303
    assert count(app, SegmentAnswer) == 0
    assert submit(client, app, **{f"s{ids['role']}": "prefer_not"}).status_code == 303
    with app.app_context():
        row = db.session.scalars(select(SegmentAnswer)).one()
        assert row.field_id == ids["role"] and row.option_id is None


def test_missing_required_answer_shows_summary_and_keeps_text(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    data = fresh_form(client, "school-safety") | {f"q{ids['text4']}": "I typed this and want to keep it"}
    response = client.post("/c/school-safety/respond", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in page and "Please fix these 2 things" in page
    assert f'href="#q{ids["text0"]}"' in page and f'href="#q{ids["scale1"]}-0"' in page
    assert "I typed this and want to keep it" in page
    assert count(app, Response) == 0


def test_spaces_alone_do_not_answer_a_required_question(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    for blank in ("     ", "\n\t ", "\u00a0\u200b"):
        response = submit(client, app, **{f"q{ids['text0']}": blank})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "Please answer this question." in page
        assert f'href="#q{ids["text0"]}"' in page
    assert count(app, Response) == 0


def test_too_long_answer_is_refused_with_its_limit_and_kept(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    long_text = "word " * 50  # the fixture's second text question allows 200 characters
    response = submit(client, app, **{f"q{ids['text4']}": long_text + "tail-marker"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "keep it to 200 characters" in page
    assert "tail-marker" in page
    assert count(app, Response) == 0


def test_tampered_choice_is_refused(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    response = submit(client, app, **{f"q{ids['single2']}": "99999", f"q{ids['scale1']}": "9"})
    assert response.status_code == 422
    assert count(app, Response) == 0


def test_double_submit_stores_one_response_and_shows_the_same_receipt(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety")
    first = client.post("/c/school-safety/respond", data=data)
    first_page = client.get(first.headers["Location"]).get_data(as_text=True)
    second = client.post("/c/school-safety/respond", data=data)
    second_page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert first.status_code == second.status_code == 303
    assert count(app, Response) == 1 and count(app, Receipt) == 1
    receipt = first_page.split('class="receipt-code"><strong>')[1].split("<")[0]
    assert receipt in second_page


def test_two_forms_make_two_responses_with_different_receipts(client, app, make_consultation):
    make_consultation()
    assert submit(client, app).status_code == 303
    assert submit(client, app).status_code == 303
    assert count(app, Response) == 2 and count(app, Receipt) == 2


def test_expired_csrf_token_keeps_every_answer(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="Please keep my words")
    data["csrf_token"] = "expired-or-forged"
    response = client.post("/c/school-safety/respond", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Your answers are still below" in page
    assert "Please keep my words" in page
    assert re.search(rf'<input [^>]*id="q{ids["scale1"]}-3"[^>]* checked>', page)  # "Agree" is still chosen
    assert count(app, Response) == 0
    # The page carries a fresh token, so sending it again works.
    retry = {k: v for k, v in data.items()} | {"csrf_token": fresh_form(client, "school-safety")["csrf_token"]}
    assert client.post("/c/school-safety/respond", data=retry).status_code == 303
    assert count(app, Response) == 1


def test_access_code_is_required_checked_and_not_stored(client, app, make_consultation):
    make_consultation(access_codes=("MAPLE-7",))
    wrong = submit(client, app, access_code="nope")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "access code did not work" in page
    assert "The officer is friendly and helps." in page
    assert count(app, Response) == 0
    assert submit(client, app, access_code="maple-7").status_code == 303
    assert count(app, Response) == 1
    assert not any("access" in column for column in Response.__table__.columns.keys())


def test_closed_consultation_accepts_nothing_and_shows_what_was_typed(client, app, make_consultation):
    make_consultation(closes_on=dt.date.today() - dt.timedelta(days=1), opens_on=dt.date.today() - dt.timedelta(days=10))
    page = client.get("/c/school-safety/respond").get_data(as_text=True)
    assert "closed now" in page and "<form" not in page
    ids = question_ids(app, "school-safety")
    response = client.post("/c/school-safety/respond", data={f"q{ids['text0']}": "my unsent words"})
    assert response.status_code == 409
    assert "my unsent words" in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_not_yet_open_consultation_says_when_it_opens(client, app, make_consultation):
    opens = dt.date.today() + dt.timedelta(days=3)
    make_consultation(opens_on=opens)
    page = client.get("/c/school-safety").get_data(as_text=True)
    assert "not open yet" in page and str(opens.year) in page
    assert client.post("/c/school-safety/respond", data={}).status_code == 409
    assert count(app, Response) == 0


def test_draft_and_unknown_consultations_are_not_found(client, make_consultation):
    make_consultation(status="draft")
    assert client.get("/c/school-safety").status_code == 404
    assert client.get("/c/school-safety/respond").status_code == 404
    assert client.get("/c/no-such-thing").status_code == 404


def test_receipt_code_leads_to_the_consultation(client, app, make_consultation):
    make_consultation()
    first = submit(client, app)
    code = client.get(first.headers["Location"]).get_data(as_text=True).split('class="receipt-code"><strong>')[1].split("<")[0]
    token = fresh_form(client, "school-safety")["csrf_token"]
    found = client.post("/receipt", data={"code": code.lower().replace("-", " "), "csrf_token": token})
    assert found.status_code == 303 and found.headers["Location"].endswith("/c/school-safety/outcome")
    missing = client.post("/receipt", data={"code": "AAAA-BBBB-CCCC", "csrf_token": token})
    assert missing.status_code == 404 and "could not find that code" in missing.get_data(as_text=True)
    # Left open too long (the session's token is gone): the code stays in the box, with what to do.
    client.delete_cookie("session")
    expired = client.post("/receipt", data={"code": code, "csrf_token": token})
    page = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "This page timed out" in page and f'value="{code}"' in page
    assert "Press Check again." in page
    again = client.post("/receipt", data={"code": code, "csrf_token": hidden_inputs(page)["csrf_token"]})
    assert again.status_code == 303


def test_closing_is_honoured_even_while_the_form_snapshot_is_cached(client, app, make_consultation):
    from engage.models import Consultation

    app.config["CONSULTATION_CACHE_SECONDS"] = 60
    consultation_id = make_consultation(slug="cached-close")
    data = fresh_form(client, "cached-close") | valid_answers(app, "cached-close", text="typed before it closed")
    with app.app_context():
        db.session.get(Consultation, consultation_id).status = "closed"
        db.session.commit()
    response = client.post("/c/cached-close/respond", data=data)
    assert response.status_code == 409
    assert "typed before it closed" in response.get_data(as_text=True)
    assert count(app, Response) == 0


def test_each_fresh_form_gets_its_own_key_and_a_working_token(client, app, make_consultation):
    """The empty form is rendered once and personalised per request: nothing may leak between visitors."""
    make_consultation()
    first = client.get("/c/school-safety/respond").get_data(as_text=True)
    other_browser = app.test_client()
    second = other_browser.get("/c/school-safety/respond").get_data(as_text=True)
    assert "placeholder" not in first and "placeholder" not in second
    assert hidden_inputs(first)["submission_key"] != hidden_inputs(second)["submission_key"]
    assert hidden_inputs(first)["csrf_token"] != hidden_inputs(second)["csrf_token"]
    data = hidden_inputs(second) | valid_answers(app, "school-safety")
    assert other_browser.post("/c/school-safety/respond", data=data).status_code == 303


def test_receipt_is_shown_once_so_the_next_person_at_a_shared_computer_cannot_see_it(client, app, make_consultation):
    make_consultation()
    response = client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety"))
    assert "receipt-code" in client.get(response.headers["Location"]).get_data(as_text=True)
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "receipt-code" not in again and "Thank you" in again


def test_a_head_request_reads_the_form_like_a_get(client, app, make_consultation):
    make_consultation()
    head = client.head("/c/school-safety/respond")
    assert head.status_code == 200 and head.get_data() == b""
    assert count(app, Response) == 0
