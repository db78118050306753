"""Bugs the fuzzer found, each pinned by a plain test that failed before its fix."""
import pytest

from tests.fuzz.world import EMAIL, SPREADSHEET

HUGE = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("number", HUGE)
def test_a_number_too_large_for_the_database_in_a_url_is_not_found(app, client, login_as, make_consultation, number):
    # It reached the database, where SQLite raised OverflowError: a server error on any <int:...> route.
    make_consultation()
    login_as("admin", "reviewer")
    for url in (f"/admin/consultations/{number}", f"/review/school-safety/themes/{number}",
                f"/c/school-safety/report/v{number}", f"/admin/questions/{number}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/users/{number}/deactivate").status_code == 404


def test_urls_take_ids_up_to_the_largest_database_integer(app):
    from werkzeug.exceptions import NotFound

    urls = app.url_map.bind("localhost")
    assert urls.match("/admin/consultations/2147483647") == ("admin.edit_consultation", {"consultation_id": 2**31 - 1})
    with pytest.raises(NotFound):
        urls.match("/admin/consultations/2147483648")


@pytest.mark.parametrize("page, kept", [("email", SPREADSHEET), ("spreadsheet", EMAIL)], ids=["email", "spreadsheet"])
def test_an_upload_opened_on_the_other_kind_of_import_page_is_not_found(app, client, login_as, make_consultation,
                                                                        tmp_path, page, kept):
    # A spreadsheet's token on the email page (or the reverse) raised ImportFileError: a server error.
    from engage.facilitate.uploads import save_upload

    app.instance_path = str(tmp_path / "instance")
    make_consultation()
    login_as("facilitator")
    with app.app_context():
        token = save_upload(kept, "comments.csv" if kept == SPREADSHEET else "note.eml")
    assert client.get(f"/facilitate/school-safety/{page}/{token}").status_code == 404
    from tests.helpers import hidden_inputs

    hidden = hidden_inputs(client.get(f"/facilitate/school-safety/{page}").get_data(as_text=True))
    assert client.post(f"/facilitate/school-safety/{page}/{token}", data=hidden).status_code == 404


def _token(client, url="/receipt") -> str:
    from tests.helpers import hidden_inputs

    return hidden_inputs(client.get(url).get_data(as_text=True))["csrf_token"]


@pytest.mark.parametrize("number", ["²", "9" * 5000, "99999999999999999999"])
def test_numbers_that_str_isdigit_accepts_but_int_refuses_are_refused_politely(app, client, login_as,
                                                                               make_consultation, number):
    # str.isdigit() is true for "²" and for 5,000 nines, and int() raises on both (ValueError: a server error);
    # 20 nines reached SQLite (OverflowError).
    make_consultation()
    login_as("admin", "reviewer", "facilitator")
    token = _token(client)
    assert client.get("/review/school-safety/report/quotes/candidates", query_string={"theme": number}).status_code == 400
    assert client.post("/review/school-safety/report/quotes/propose",
                       data={"csrf_token": token, "theme": number, "answer_id": "x"}).status_code == 400
    assert client.get("/review/school-safety/segments", query_string={"question": number}).status_code == 400
    pinned = client.post("/review/school-safety/segments/findings", data={
        "csrf_token": token, "by": "f1", "value": "Student", "feature": "1", "question": number, "source": "codes"})
    assert pinned.status_code == 303  # told that the finding cannot be pinned, on the page it came from
    saved = client.post("/facilitate/school-safety/sessions/save", data={
        "csrf_token": token, "channel": "focus_group", "attendees": "3", "language": "en", "notes": "x",
        "comment": ["We talked.", "More talk."], "leave": number, "join": number, "action": "check"})
    assert saved.status_code == 200 and b"We talked." in saved.data


def test_an_audit_log_page_past_the_end_is_empty_not_an_error(app, client, login_as):
    # The page number went straight into OFFSET; SQLite raised OverflowError past 64 bits.
    login_as("admin")
    response = client.get("/admin/audit", query_string={"page": "99999999999999999999"})
    assert response.status_code == 200


def test_a_nul_character_in_the_address_or_a_form_is_refused_before_any_query(app, client, make_consultation):
    # PostgreSQL cannot compare or store text holding NUL: a slug or a sign-in email with one was a server error,
    # and on SQLite a NUL in the comment search ended the full-text query mid-string ("unterminated string").
    make_consultation()
    assert client.get("/c/school-safety%00").status_code == 404
    assert client.get("/review/school-safety/comments", query_string={"q": "a\x00"}).status_code == 400
    token = _token(client)
    response = client.post("/auth/login", data={"csrf_token": token, "email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400 and b"not readable text" in response.data
    response = client.post("/receipt", data={"csrf_token": token, "code": "ABCD\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("filename, body", [
    ("codebook.csv", b"name,description\nNul\x00theme,Feeling safe\n"),
    ("codebook.json", b'[{"name": "Nul\\u0000theme"}]'),
    ("codebook.json", b'[{"name": "Safety", "keywords": ["a\\u0000b"]}]'),
], ids=["csv", "json-name", "json-keyword"])
def test_a_codebook_holding_a_nul_character_is_refused(app, client, login_as, make_consultation, filename, body):
    # It was stored as a theme name: fine on SQLite, a server error on PostgreSQL.
    import io

    from sqlalchemy import func, select

    from engage.extensions import db
    from engage.models import Theme

    make_consultation()
    login_as("reviewer")
    response = client.post("/review/school-safety/themes/import", data={
        "csrf_token": _token(client), "file": (io.BytesIO(body), filename)}, content_type="multipart/form-data")
    assert response.status_code == 422 and b"NUL character" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Theme)) == 0


def test_a_multipart_part_without_a_name_is_not_an_error(app, client, login_as, make_consultation):
    # Werkzeug gives such a part the name None; the NUL check assumed a string (TypeError: a server error).
    make_consultation()
    login_as("facilitator")
    token = _token(client)
    body = (b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode() +
            b'\r\n--b\r\nContent-Disposition: form-data; name="\n"\r\n\r\n\r\n--b--\r\n')
    response = client.post("/facilitate/school-safety/spreadsheet", data=body,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 422
