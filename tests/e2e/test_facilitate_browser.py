"""Browser journey: a facilitator adds a focus-group transcript and sees its comments."""
from engage.extensions import db
from tests.conftest import STAFF_PASSWORD


def test_facilitator_imports_a_focus_group_transcript(live_app, live_server, page, tmp_path):
    from engage.services.accounts import create_user
    from engage.services.demo import seed_demo

    with live_app.app_context():
        seed_demo(responses=5, seed=1)
        create_user(email="fac@example.org", roles=["facilitator"], password=STAFF_PASSWORD)
        db.session.commit()
    notes = tmp_path / "transcript.txt"
    notes.write_text("- We want counsellors more than officers\n- The officer helped after a fight\n\nSome students felt watched.\n")

    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Email").fill("fac@example.org")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/facilitate/sro-review")
    page.get_by_role("link", name="Add a focus group or roundtable").click()
    page.get_by_label("Number of attendees").fill("14")
    page.get_by_label("Who was there, as a group").fill("grade 5-6 students")
    page.get_by_label("Or upload the notes (.txt or .docx)").set_input_files(str(notes))
    page.get_by_role("button", name="Split into comments").click()
    page.get_by_label("Leave out").nth(2).check()
    page.get_by_role("button", name="Save 3 comments").click()
    comments = page.locator(".session-comments li")
    assert sorted(comments.all_inner_texts()) == ["The officer helped after a fight", "We want counsellors more than officers"]
    page.get_by_role("link", name="Back").click()
    assert "2 comments from 1 session with 14 attendees" in page.locator(".session-summary").inner_text()
