"""The last-resort error page: a failure nobody handled still gives back what the form carried."""
import shutil

from engage import create_app
from engage.extensions import csrf


def test_an_unhandled_error_on_a_post_shows_the_typed_text_and_hides_secrets(sqlite_template, tmp_path, caplog):
    path = tmp_path / "engage.db"
    shutil.copyfile(sqlite_template, path)
    # As in production: the app's own 500 page, not the test client's re-raised exception.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", TESTING=False)

    @csrf.exempt
    def broken():
        raise RuntimeError("a bug nobody handled")

    app.add_url_rule("/broken-editor", "broken_editor", broken, methods=["GET", "POST"])
    response = app.test_client().post("/broken-editor", data={
        "body": "Three paragraphs <b>written</b> for the report", "password": "hunter2 secret", "website": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "Three paragraphs &lt;b&gt;written&lt;/b&gt; for the report</textarea>" in html
    assert "hunter2" not in html
    assert '<a href="/broken-editor">Open the page again</a>' in html
    assert "a bug nobody handled" in caplog.text  # logged for the team, not shown to the person
    assert "a bug nobody handled" not in html
    assert "Three paragraphs" not in caplog.text
