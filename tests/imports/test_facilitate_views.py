"""The facilitator's pages: upload, map, preview with every problem, import; session notes; email."""
import io
import re

from tests.helpers import hidden_inputs
from tests.imports.conftest import count_rows, database_contains


def _csrf(client, url):
    return hidden_inputs(client.get(url).get_data(as_text=True)).get("csrf_token", "")


def test_spreadsheet_upload_map_preview_import(app, client, login_as, consultation):
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    data = {"csrf_token": token, "channel": "paper",
            "file": (io.BytesIO(b"Text,feel\nKeep it,4\nBad scale,8\n"), "paper.csv")}
    response = client.post("/facilitate/school-safety/spreadsheet", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    map_url = response.headers["Location"]
    page = client.get(map_url).get_data(as_text=True)
    assert 'value="Text" selected' in page  # the text column is mapped by its name
    preview = client.post(map_url, data={"csrf_token": token, "channel": "paper", "map-text": "Text", "map-q2": "feel",
                                         "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 422 and "Row 3, column 2 (feel)" in html and "Import 2 rows" not in html
    imported = client.post(map_url, data={"csrf_token": token, "channel": "paper", "map-text": "Text", "action": "import"})
    assert imported.status_code == 303
    assert "Imported 2 responses." in client.get(imported.headers["Location"]).get_data(as_text=True)
    assert count_rows(app)["responses"] == 2
    assert client.get(map_url).status_code == 404  # the uploaded file is deleted after the import


def test_bad_upload_shows_the_reason(app, client, login_as, consultation):
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    response = client.post("/facilitate/school-safety/spreadsheet", content_type="multipart/form-data",
                           data={"csrf_token": token, "channel": "paper", "file": (io.BytesIO(b"\x89PNG\r\n\x00"), "a.csv")})
    assert response.status_code == 422 and "not a text file" in response.get_data(as_text=True)


def test_uploads_may_exceed_the_global_request_limit(app, client, login_as, consultation):
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    body = b"text\n" + b"".join(f"comment number {i} with some words\n".encode() for i in range(8000))
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/facilitate/school-safety/spreadsheet", content_type="multipart/form-data",
                           data={"csrf_token": token, "channel": "paper", "file": (io.BytesIO(body), "big.csv")})
    assert response.status_code == 303


def test_anonymous_large_post_is_still_capped(app, client, consultation):
    response = client.post("/facilitate/school-safety/spreadsheet", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"x" * 300_000), "big.csv")})
    assert response.status_code in (302, 413)
    assert count_rows(app)["responses"] == 0


def test_session_notes_split_adjust_save(app, client, login_as, consultation):
    login_as("facilitator")
    url = "/facilitate/school-safety/sessions/new"
    token = _csrf(client, url)
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, "channel": "roundtable", "held_on": "2024-04-09", "organisation": "Parents' council",
        "attendees": "18", "language": "en", "segment_description": "parents", "notes": "- One\n- Two\n- Three\n- Four"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count('name="comment"') == 4
    form = hidden_inputs(html)
    saved = client.post("/facilitate/school-safety/sessions/save", data=form | {
        "comment": ["One", "Two edited", "Three", "Four"], "leave": ["3"], "join": ["0"], "action": "save"})
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "One Two edited" in page and "Three" in page and "Four" not in page and "Parents&#39; council" in page
    overview = client.get("/facilitate/school-safety").get_data(as_text=True)
    assert "2 comments from 1 session with 18 attendees" in overview
    assert count_rows(app)["responses"] == 2


def test_session_form_needs_notes(app, client, login_as, consultation):
    login_as("facilitator")
    url = "/facilitate/school-safety/sessions/new"
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": _csrf(client, url), "channel": "focus_group", "attendees": "3", "language": "en"})
    assert response.status_code == 422 and "Paste the notes or upload a notes file." in response.get_data(as_text=True)


def test_email_upload_preview_import(app, client, login_as, consultation):
    login_as("facilitator")
    url = "/facilitate/school-safety/email"
    message = b"From: Wilhelmina Quist <wq@mail.example>\nSubject: view\n\nMore support staff.\n\nRegards,\nWilhelmina\n"
    response = client.post(url, content_type="multipart/form-data",
                           data={"csrf_token": _csrf(client, url), "file": (io.BytesIO(message), "v.eml")})
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "More support staff." in preview and "Wilhelmina" not in preview and "wq@" not in preview
    done = client.post(response.headers["Location"], data={"csrf_token": hidden_inputs(preview)["csrf_token"]})
    assert done.status_code == 303 and count_rows(app)["responses"] == 1
    assert not database_contains(app, "Wilhelmina") and not database_contains(app, "mail.example")


def test_pages_have_no_inline_scripts_or_styles(app, client, login_as, consultation):
    login_as("facilitator")
    for url in ("/facilitate/", "/facilitate/school-safety", "/facilitate/school-safety/spreadsheet",
                "/facilitate/school-safety/sessions/new", "/facilitate/school-safety/email"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=", html), url


def test_a_file_too_long_for_the_page_is_refused_with_the_way_forward(app, client, login_as, consultation):
    """Past IMPORT_WEB_MAX_ROWS the page would outlast the server's timeout: it says so and imports nothing."""
    app.config["IMPORT_WEB_MAX_ROWS"] = 50
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    body = b"text\n" + b"".join(f"comment {i}\n".encode() for i in range(51))
    uploaded = client.post("/facilitate/school-safety/spreadsheet", content_type="multipart/form-data",
                           data={"csrf_token": token, "channel": "paper", "file": (io.BytesIO(body), "long.csv")})
    map_url = uploaded.headers["Location"]
    attempt = client.post(map_url, data={"csrf_token": token, "channel": "paper", "map-text": "text", "action": "import"})
    html = attempt.get_data(as_text=True)
    assert attempt.status_code == 422 and "more than 50 rows" in html and "flask --app engage import" in html
    assert count_rows(app)["responses"] == 0
    app.config["IMPORT_WEB_MAX_ROWS"] = 51  # exactly at the limit is fine
    assert client.post(map_url, data={"csrf_token": token, "channel": "paper", "map-text": "text",
                                      "action": "import"}).status_code == 303
    assert count_rows(app)["responses"] == 51


def test_a_spreadsheet_of_french_comments_is_imported_as_french(app, client, login_as, consultation):
    """Analysis reads each language with its own word lists, so the facilitator says which language the file is in."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.models import Response

    login_as("facilitator")
    page = client.get("/facilitate/school-safety/spreadsheet").get_data(as_text=True)
    assert 'name="language"' in page and "Language of the comments" in page
    token = hidden_inputs(page)["csrf_token"]
    data = {"csrf_token": token, "channel": "paper", "language": "fr",
            "file": (io.BytesIO("Text\nJe me sens en sécurité.\nLe policier est gentil.\n".encode()), "papier.csv")}
    response = client.post("/facilitate/school-safety/spreadsheet", data=data, content_type="multipart/form-data")
    assert response.status_code == 303 and "language=fr" in response.headers["Location"]
    map_url = response.headers["Location"].split("?")[0]
    mapped = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<input type="hidden" name="language" value="fr">' in mapped
    refused = client.post(map_url, data={"csrf_token": token, "channel": "paper", "language": "xx", "map-text": "Text",
                                         "action": "import"})
    assert refused.status_code == 400 and count_rows(app)["responses"] == 0
    imported = client.post(map_url, data={"csrf_token": token, "channel": "paper", "language": "fr", "map-text": "Text",
                                          "action": "import"})
    assert imported.status_code == 303
    with app.app_context():
        assert sorted(db.session.scalars(select(Response.language))) == ["fr", "fr"]


def test_a_cell_too_long_to_read_found_at_preview_is_a_message(app, client, login_as, consultation):
    # The header reads fine, so the upload is kept; the over-long cell is only met when the rows are read.
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    data = {"csrf_token": token, "channel": "paper",
            "file": (io.BytesIO(b"text\n" + b"a" * 200_000 + b"\n"), "long.csv")}
    response = client.post("/facilitate/school-safety/spreadsheet", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    map_url = response.headers["Location"]
    for action in ("preview", "import"):
        answer = client.post(map_url, data={"csrf_token": token, "channel": "paper", "map-text": "text",
                                            "action": action})
        assert answer.status_code == 422, action
        assert "The CSV file is malformed" in answer.get_data(as_text=True), action
    assert count_rows(app)["responses"] == 0


def test_a_file_over_the_import_limit_is_named_as_too_big_a_file(app, client, login_as, consultation):
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    login_as("facilitator")
    token = _csrf(client, "/facilitate/school-safety/spreadsheet")
    # Built by hand, so the test client keeps the 1.4 MB body in memory instead of a temporary file.
    body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token.encode()
            + b"\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\ntext\n"
            + b"x" * 1_400_000 + b"\r\n--b--\r\n")
    response = client.post("/facilitate/school-safety/spreadsheet", data=body,
                           content_type="multipart/form-data; boundary=b")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "the largest file Engage takes is 1 MiB" in html and "Make your longest answer shorter" not in html
    assert count_rows(app)["responses"] == 0
