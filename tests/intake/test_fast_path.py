"""The quick reading of a posted form (engage.intake.forms.read_valid_answers) agrees with the full form.

It must accept exactly the answers the WTForms form accepts without a message and read them the same way;
everything else goes to the full form, which says what is wrong and keeps what was typed.
"""
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engage.extensions import db
from engage.intake import views
from engage.intake.forms import build_response_form, read_valid_answers
from engage.models import Answer, Response, SegmentAnswer
from engage.services.snapshots import get_consultation_view
from tests.helpers import fresh_form, hidden_inputs, question_ids, valid_answers

LIMIT = 5000


def _cases(ids: dict) -> list[dict]:
    text, scale, single, multiple, note = (f"q{ids[k]}" for k in ("text0", "scale1", "single2", "multiple3", "text4"))
    role, groups = f"s{ids['role']}", f"s{ids['groups']}"
    friend, talk, teach = str(ids["q2:A friend"]), str(ids["q3:Talk"]), str(ids["q3:Teach"])
    student, racialized = str(ids["role:Student"]), str(ids["groups:Racialized"])
    base = {text: "It is fine.", scale: "4"}
    return [
        base,
        base | {single: friend, multiple: [talk, teach], role: student, groups: [racialized], note: "More."},
        base | {role: "prefer_not"},
        base | {groups: [racialized, "prefer_not"]},
        base | {multiple: [talk, talk]},  # the form keeps a repeated choice; so must the quick reading
        base | {text: "  spaces around  ", note: "   "},
        base | {text: "line one\r\nline\x00 two\x07"},
        base | {note: "\u200b \u200d"},  # an optional answer of invisible characters: stored as no answer
        base | {single: ""},
        base | {note: ""},
        base | {scale: ["2", "5"]},  # a radio group sent twice: the first value counts
        # Optional choices sent blank pass the form's Optional() check with their values; the quick reading
        # leaves these odd posts to the form (below, it may step aside from an accepted post, never the reverse).
        base | {single: " "},
        base | {multiple: ["", talk]},
        base | {groups: [" "]},
        # Each of these is refused by the form: the quick reading must step aside.
        {scale: "4"},
        {text: "It is fine."},
        base | {text: ""},
        base | {text: "   "},  # spaces alone do not answer a required question
        base | {text: "\u00a0\u200b\n\t"},  # nor do a no-break space, a zero-width space and a tab
        base | {scale: "9"},
        base | {scale: ""},
        base | {single: "99999"},
        base | {multiple: [talk, "99999"]},
        base | {role: "7777"},
        base | {note: "x" * 201},
        base | {text: "x" * (LIMIT + 1)},
        base | {text: "garbled \ufffd text"},
        base | {"website": "http://spam.example"},
        base | {"submission_key": ""},
        base | {"submission_key": "k" * 65},
    ]


def _full_form_result(consultation, formdata):
    """What the full path makes of the same post: None when the form has a message, else its Submission."""
    form = build_response_form(consultation, text_limit=LIMIT, formdata=formdata)
    form.meta.csrf = False  # the CSRF token is checked separately, here and in the view
    if form.website.data or not form.validate():
        return None
    key = form.submission_key.data
    if not key or len(key) > 64:
        return None
    return views._submission_from(form, consultation), key


def test_quick_reading_accepts_and_reads_exactly_what_the_form_does(app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    app.config["WTF_CSRF_ENABLED"] = False
    cases = _cases(ids)
    quick_ones = 0
    for case in cases:
        formdata = MultiDict({"submission_key": "a-key", "started_at": "1"})
        for name, value in case.items():
            formdata.setlist(name, value if isinstance(value, list) else [value])
        with app.test_request_context("/c/school-safety/respond", method="POST"):
            consultation = get_consultation_view(slug="school-safety", max_age=0)
            expected = _full_form_result(consultation, formdata)
            quick = read_valid_answers(consultation, formdata, text_limit=LIMIT)
            if expected is None:
                assert quick is None, case  # never accept what the form would refuse
                continue
            if quick is None:
                continue
            quick_ones += 1
            submission, key = expected
            assert (quick.texts, quick.scales, quick.choices, quick.segments, quick.access_code) == (
                submission.texts, submission.scales, submission.choices, submission.segments, submission.access_code
            ), case
            assert quick.submission_key == key
    assert quick_ones == 11  # every ordinary post above is read quickly


@pytest.mark.parametrize("code, accepted", [("maple-7", True), ("  MAPLE-7 ", True), ("", False), ("x" * 41, False)])
def test_quick_reading_of_access_codes_matches_the_form(app, make_consultation, code, accepted):
    make_consultation(access_codes=("MAPLE-7",))
    ids = question_ids(app, "school-safety")
    app.config["WTF_CSRF_ENABLED"] = False
    formdata = MultiDict({"submission_key": "a-key", f"q{ids['text0']}": "Fine.", f"q{ids['scale1']}": "3",
                          "access_code": code})
    with app.test_request_context("/c/school-safety/respond", method="POST"):
        consultation = get_consultation_view(slug="school-safety", max_age=0)
        expected = _full_form_result(consultation, formdata)
        quick = read_valid_answers(consultation, formdata, text_limit=LIMIT)
        assert (expected is not None) == (quick is not None) == accepted
        if accepted:
            assert quick.access_code == expected[0].access_code


def _stored(app) -> list[tuple]:
    with app.app_context():
        answers = db.session.execute(
            select(Answer.question_id, Answer.text, Answer.scale_value, Answer.option_id).order_by(
                Answer.question_id, Answer.option_id)
        ).all()
        segments = db.session.execute(
            select(SegmentAnswer.field_id, SegmentAnswer.option_id).order_by(SegmentAnswer.field_id)
        ).all()
        languages = db.session.scalars(select(Response.language)).all()
        return [tuple(a) for a in answers], [tuple(s) for s in segments], languages


def _answers(app, ids) -> dict:
    return valid_answers(app, "school-safety") | {
        f"q{ids['single2']}": str(ids["q2:A friend"]), f"q{ids['multiple3']}": [str(ids["q3:Talk"]), str(ids["q3:Teach"])],
        f"s{ids['role']}": "prefer_not", f"s{ids['groups']}": [str(ids["groups:Racialized"])],
        f"q{ids['text4']}": "Encore une chose.",
    }


def _french_form(client) -> dict:
    return hidden_inputs(client.get("/c/school-safety/respond?lang=fr").get_data(as_text=True))


def test_quick_and_full_paths_store_the_same_rows(app, make_consultation, monkeypatch):
    make_consultation()
    ids = question_ids(app, "school-safety")
    client = app.test_client()
    data = _french_form(client) | _answers(app, ids)
    assert client.post("/c/school-safety/respond?lang=fr", data=data).status_code == 303
    quick = _stored(app)
    with app.app_context():
        for model in (Answer, SegmentAnswer, Response):
            db.session.execute(model.__table__.delete())
        db.session.commit()
    monkeypatch.setattr(views, "read_valid_answers", lambda *args, **kwargs: None)  # the full path only
    client = app.test_client()
    data = _french_form(client) | _answers(app, ids)
    assert client.post("/c/school-safety/respond?lang=fr", data=data).status_code == 303
    assert _stored(app) == quick
    assert quick[2] == ["fr"] and len(quick[0]) == 6 and quick[1] == [(ids["role"], None), (ids["groups"], ids["groups:Racialized"])]


def test_quick_path_double_submit_stores_one_response(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_quick_path_refuses_a_forged_token_and_keeps_the_text(client, app, make_consultation):
    make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="keep these words")
    for token in ("forged", ""):
        response = client.post("/c/school-safety/respond", data=data | {"csrf_token": token})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "keep these words" in page and "Your answers are still below" in page
    other = app.test_client()  # a token from another browser session does not match this one
    fresh_form(other, "school-safety")
    response = other.post("/c/school-safety/respond", data=data)
    assert response.status_code == 422 and "keep these words" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []


def test_quick_path_rate_limit_keeps_choices_and_text(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    app.config["INTAKE_SESSION_LIMIT"] = "1 per minute"
    assert client.post("/c/school-safety/respond",
                       data=fresh_form(client, "school-safety") | valid_answers(app, "school-safety")).status_code == 303
    data = fresh_form(client, "school-safety") | _answers(app, ids) | {f"q{ids['text0']}": "second, kept"}
    response = client.post("/c/school-safety/respond", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert "second, kept" in page and "Encore une chose." in page
    assert f'value="{ids["q2:A friend"]}" checked' in page or f'value="{ids["q2:A friend"]}"' in page
    assert 'class="error-summary"' not in page  # nothing was wrong with the answers themselves
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_quick_path_too_fast_goes_to_the_form_that_says_so(client, app, make_consultation):
    make_consultation()
    app.config["MIN_FILL_SECONDS"] = 30
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="quick but human")
    response = client.post("/c/school-safety/respond", data=data)
    assert response.status_code == 422 and "take a moment" in response.get_data(as_text=True)
    app.config["MIN_FILL_SECONDS"] = 0
    assert client.post("/c/school-safety/respond", data=data).status_code == 303


def test_blank_optional_choices_are_no_answer_not_a_server_error(client, app, make_consultation):
    make_consultation()
    ids = question_ids(app, "school-safety")
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety") | {
        f"q{ids['single2']}": " ", f"q{ids['multiple3']}": ["", str(ids["q3:Talk"])], f"s{ids['groups']}": [" "]}
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    answers, segments, _ = _stored(app)
    assert [a[0] for a in answers] == [ids["text0"], ids["scale1"], ids["multiple3"]] and segments == []


def test_clean_text_drops_exactly_control_surrogate_and_private_use_characters():
    import sys
    import unicodedata

    from engage.intake.forms import clean_text

    kept = {"\n", "\t"}
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if ch == "\r":
            continue  # turned into a newline first
        dropped = ch not in kept and unicodedata.category(ch) in ("Cc", "Cs", "Co")
        text = f"a{ch}b"
        if unicodedata.normalize("NFC", text) != text:
            continue  # a combining character joins the "a": normalisation, not cleaning
        assert clean_text(text) == ("ab" if dropped else text), hex(code)
