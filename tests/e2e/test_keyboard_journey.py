"""A participant who uses only the keyboard: from the consultation page, through a mistake and the form, to the
receipt. No clicks and no .fill(): Tab, Shift+Tab, arrows, Space, Enter and typing only."""
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Answer, Response
from engage.services.demo import DEMO_SLUG
from tests.public_pages import public_app, public_template  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

STORY = "The officer says hi to us at lunch."


@pytest.fixture
def live_app(public_template, tmp_path):
    return public_app(public_template, tmp_path)


def focused(page) -> dict:
    """What has the keyboard focus: tag, id, name, type, classes and text."""
    return page.evaluate("""() => { const e = document.activeElement; return {
        tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '', type: e.type || '',
        cls: e.className || '', text: (e.innerText || '').trim(), checked: !!e.checked}; }""")


def tab_until(page, matches, *, limit=80, key="Tab") -> dict:
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"never reached the element with {limit} presses of {key}; last: {focused(page)}")


def field_name(page, prompt: str) -> str:
    """The form field name of the question whose legend or label starts with `prompt` (read, not clicked)."""
    return page.evaluate("""prompt => {
        for (const el of document.querySelectorAll('legend, label[for]')) {
            if (el.innerText.trim().startsWith(prompt)) {
                const input = el.tagName === 'LEGEND' ? el.closest('fieldset').querySelector('input')
                                                      : document.getElementById(el.htmlFor);
                return input.name;
            }
        }
        return null; }""", prompt)


def test_keyboard_only_from_the_consultation_to_the_receipt(live_app, live_server, page):
    page.goto(f"{live_server}/c/{DEMO_SLUG}?lang=en")

    # The skip link is the first Tab stop, and it takes the focus past the header to the page's content.
    page.keyboard.press("Tab")
    first = focused(page)
    assert "skip-link" in first["cls"] and first["text"] == "Skip to main content"
    assert page.locator(".skip-link").is_visible()  # visible when focused
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Start")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/respond$"))

    # Send at once: the error summary takes the focus and its links lead to each question to fix.
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Send my answers", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    # The deferred script moves the focus once the page has been parsed; wait for it rather than race it.
    page.wait_for_load_state("load")
    assert focused(page)["id"] == "error-summary"
    assert "Please fix these 3 things" in page.locator("#error-summary").inner_text()
    first_link = tab_until(page, lambda f: f["tag"] == "a", limit=3)
    target = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert first_link["text"] == "Please choose an answer." and target.startswith("#q")
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == target
    # The focus is in the field, and the question it answers (with its error message) is on screen above it.
    assert page.evaluate("() => '#' + document.activeElement.id") == target
    legend_top = page.evaluate(
        "() => document.activeElement.closest('fieldset').querySelector('legend').getBoundingClientRect().top")
    assert 0 < legend_top < page.viewport_size["height"] / 2

    safe, safer, story = (field_name(page, p) for p in (
        "I feel safe at my school.", "Having a School Resource Officer", "Tell us about the School Resource Officer"))
    # The link moved the keyboard's starting point to that question: Tab leaves its radio group, Shift+Tab
    # comes back into it. Then answer the three required questions in order.
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["name"] == safe
    page.keyboard.press("ArrowDown")  # radio groups: arrows move and choose; from "Strongly disagree"...
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator(f"input[name={safe}]:checked").get_attribute("value") == "4"  # ... to "Agree"

    tab_until(page, lambda f: f["name"] == safer)
    page.keyboard.press("Space")  # the first choice, "Strongly disagree"
    page.keyboard.press("ArrowUp")  # wraps round to the last, "Strongly agree"
    assert page.locator(f"input[name={safer}]:checked").get_attribute("value") == "5"

    tab_until(page, lambda f: f["name"] == story and f["tag"] == "textarea")
    page.keyboard.type(STORY)
    assert "characters left" in page.locator(f"#{story}-count").inner_text()

    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Send my answers", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector(".receipt-code")
    assert page.locator("h1").inner_text() == "Thank you. We got your answers."
    receipt = page.locator(".receipt-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", receipt)
    with live_app.app_context():
        response = db.session.scalars(select(Response).where(Response.is_demo.is_(False))).one()
        texts = set(db.session.scalars(select(Answer.text).where(Answer.response_id == response.id,
                                                                 Answer.text.is_not(None))))
    assert texts == {STORY} and response.language == "en"
