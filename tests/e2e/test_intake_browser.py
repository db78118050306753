"""A participant fills in and sends the demo form in a real browser, and gets a receipt."""
import re

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Answer, Response
from engage.services.demo import seed_demo

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(live_app):
    with live_app.app_context():
        seed_demo(responses=0)
        db.session.commit()


def test_participant_fills_and_sends_the_form(demo, live_app, live_server, page):
    page.goto(live_server + "/")
    page.get_by_role("link", name="School Resource Officer Program Review").click()
    assert page.get_by_role("heading", name="Who will read your answers?").is_visible()
    page.get_by_role("link", name="Start").click()

    # Send too early: the error summary lists what is missing and what was typed stays.
    later = page.get_by_label("What should change? What would help you feel safer at school?")
    later.fill("More counsellors, please.")
    page.get_by_role("button", name="Send my answers").click()
    summary = page.get_by_role("alert")
    assert "Please fix these 3 things" in summary.inner_text()
    assert "Please choose an answer." in summary.inner_text() and "Not a valid choice" not in summary.inner_text()
    assert later.input_value() == "More counsellors, please."

    story = page.get_by_label(re.compile("Tell us about the School Resource Officer"))
    story.fill("The officer says hi to everyone at lunch.")
    assert "character" in page.locator("[data-count-for]").first.inner_text()  # the live count is running
    page.locator("fieldset", has_text="I feel safe at my school.").get_by_label("Agree", exact=True).check()
    page.locator("fieldset", has_text="makes me feel safer").get_by_label("Strongly agree").check()
    page.get_by_label("Teacher", exact=True).check()
    page.locator("fieldset", has_text="Do you belong to any").get_by_label("2SLGBTQ+").check()
    page.get_by_role("button", name="Send my answers").click()

    assert page.get_by_role("heading", name="Thank you. We got your answers.").is_visible()
    receipt = page.locator(".receipt-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", receipt)
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        texts = set(db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))))
        assert texts == {"The officer says hi to everyone at lunch.", "More counsellors, please."}

    page.get_by_role("link", name="Check a receipt").click()
    page.get_by_label("Receipt code").fill(receipt.lower())
    page.get_by_role("button", name="Check").click()
    assert page.get_by_role("heading", name="You said, we did").is_visible()


def _fill_required(page, story: str) -> None:
    page.get_by_label(re.compile("Tell us about the School Resource Officer")).fill(story)
    page.locator("fieldset", has_text="I feel safe at my school.").get_by_label("Agree", exact=True).check()
    page.locator("fieldset", has_text="makes me feel safer").get_by_label("Strongly agree").check()


def test_back_after_sending_does_not_show_the_answers_to_the_next_person(demo, live_app, live_server, page):
    """A shared school computer: the next person pressing Back finds an empty form, not the last answers."""
    form_url = live_server + "/c/sro-review/respond"
    page.goto(live_server + "/")
    page.goto(form_url)
    _fill_required(page, "PRIVATE: something only I should see.")
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", name="Thank you. We got your answers.").is_visible()
    page.get_by_role("link", name="Back to the home page").click()
    page.go_back()  # the thanks page (its receipt is shown once only)
    page.go_back()  # the form that was sent
    page.wait_for_load_state("load")
    assert page.url == form_url
    story = page.get_by_label(re.compile("Tell us about the School Resource Officer"))
    page.wait_for_function("() => !document.querySelector('textarea').value")
    assert story.input_value() == ""
    assert not page.locator("fieldset", has_text="I feel safe at my school.").get_by_label("Agree", exact=True).is_checked()
    assert "PRIVATE" not in page.content()

    # The next person types in that emptied form and steps away to read the privacy page: Back keeps their text.
    story = page.get_by_label(re.compile("Tell us about the School Resource Officer"))
    story.fill("Half written, still mine.")
    page.get_by_role("link", name="How we keep your answers safe").first.click()
    page.go_back()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # let a late restore and the page's own check both run
    assert page.get_by_label(re.compile("Tell us about the School Resource Officer")).input_value() == \
        "Half written, still mine."
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_prefer_not_to_say_stands_alone_among_groups(demo, live_server, page):
    page.goto(live_server + "/c/sro-review/respond")
    groups = page.locator("fieldset", has_text="Do you belong to any")
    groups.get_by_label("2SLGBTQ+").check()
    groups.get_by_label("Prefer not to say").check()
    assert not groups.get_by_label("2SLGBTQ+").is_checked()  # ticking it clears the groups...
    groups.get_by_label("2SLGBTQ+").check()
    assert not groups.get_by_label("Prefer not to say").is_checked()  # ...and a group clears it


def test_the_character_count_counts_what_the_server_counts(demo, live_server, page):
    page.goto(live_server + "/c/sro-review/respond")
    story = page.get_by_label(re.compile("Tell us about the School Resource Officer"))
    limit = int(story.get_attribute("data-limit"))
    story.fill("Safe 🙂🙂")  # two emoji are two characters to the server, four UTF-16 units to JavaScript
    counter = page.locator(f"#{story.get_attribute('id')}-count")
    assert f"{limit - 7:,} characters left" in counter.inner_text()
