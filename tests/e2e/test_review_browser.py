"""Review journeys in a real browser: sign in, run an analysis and watch it finish."""
import re

import pytest

from engage.extensions import db
from engage.services.accounts import create_user
from engage.services.demo import seed_demo
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def reviewer(live_app):
    with live_app.app_context():
        seed_demo(responses=60)
        create_user(email="rev@example.org", roles=["reviewer"], password=STAFF_PASSWORD)
        db.session.commit()
    return "rev@example.org"


def sign_in(page, base, email):
    page.goto(base + "/staff/")
    assert "/auth/login" in page.url  # staff pages send visitors to sign in first
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Staff home").wait_for()


def test_reviewer_runs_an_analysis_and_watches_it_finish(reviewer, live_server, page):
    sign_in(page, live_server, reviewer)
    page.get_by_role("link", name="School Resource Officer Program Review").click()
    page.get_by_role("heading", name="Analysis runs").wait_for()
    page.get_by_label("Number of themes").fill("5")
    page.get_by_role("button", name="Start analysis").click()
    page.get_by_role("heading", name="Analysis run 1").wait_for()
    # The progress bar is there while it runs, and the page turns into the theme board when it finishes.
    page.get_by_role("heading", name="Themes").wait_for(timeout=60_000)
    assert re.search(r"\d+ comments, 5 themes\.", page.content())
    assert page.locator(".theme-card").count() == 5
    assert page.locator(".theme-card blockquote").count() >= 5
