"""axe-core on every public page, in English and in French, in a real browser.

Serious and critical violations fail the test (the shared `assert_accessible` rule); moderate and minor ones are
printed so they can be read and weighed.
"""
import pytest

from engage.services.demo import DEMO_SLUG
from tests.e2e.conftest import axe_violations, describe_violations
from tests.public_pages import CLOSED_SLUG, SOON_SLUG, public_app, public_template  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


@pytest.fixture
def live_app(public_template, tmp_path):
    return public_app(public_template, tmp_path)


def fill_required_answers(page):
    """The demo's three required questions, answered the quickest way (clicks are fine here: axe is the point)."""
    page.locator("fieldset", has_text="I feel safe at my school.").locator("input").nth(3).check()
    page.locator("fieldset", has_text="makes me feel safer").locator("input").nth(4).check()
    page.locator("textarea").first.fill("The officer says hi to us at lunch.")


def visit_every_public_page(page, base, language):
    """Yield (name, page) at each public page, in the given language."""
    page.goto(f"{base}/?lang={language}")  # the cookie keeps the language for the rest of the visit
    assert page.locator("html").get_attribute("lang") == language
    yield "home"
    for name, path in (("consultation", f"/c/{DEMO_SLUG}"), ("privacy", "/privacy"), ("find receipt", "/receipt"),
                       ("outcome", f"/c/{DEMO_SLUG}/outcome"), ("report", f"/c/{DEMO_SLUG}/report"),
                       ("closed", f"/c/{CLOSED_SLUG}"), ("closed form", f"/c/{CLOSED_SLUG}/respond"),
                       ("not open yet", f"/c/{SOON_SLUG}")):
        assert page.goto(base + path).ok, name
        yield name
    assert page.goto(f"{base}/c/no-such-thing").status == 404
    yield "404"
    page.goto(f"{base}/receipt")
    page.locator("#code").fill("AAAA-BBBB-CCCC")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    yield "receipt not found"
    page.goto(f"{base}/c/{DEMO_SLUG}/respond")
    yield "form"
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    yield "form with errors"
    fill_required_answers(page)
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".receipt-code")
    yield "thanks"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_public_page_passes_axe(live_server, page, language, capsys):
    blocking, report = [], []
    for name in visit_every_public_page(page, live_server, language):
        assert page.locator("html").get_attribute("lang") == language, name
        found = axe_violations(page, impacts=ALL_IMPACTS)
        report.append(f"  {language} {name:<18} " + (", ".join(f"{v['id']} ({v['impact']})" for v in found) or "no violations"))
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        if serious:
            blocking.append(f"{name}:\n" + describe_violations(serious))
    with capsys.disabled():
        print("\naxe-core results:\n" + "\n".join(report))
    assert not blocking, "axe found serious/critical problems:\n" + "\n".join(blocking)


def test_the_report_page_has_no_blocking_axe_problems_with_the_shared_check(live_server, page, assert_accessible):
    """The shared fixture, on the page with the most structure (tables, charts, downloads)."""
    page.goto(f"{live_server}/c/{DEMO_SLUG}/report?lang=fr")
    assert_accessible(page, "the French report page")
