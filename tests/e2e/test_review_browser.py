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
    page.get_by_role("link", name="School Resource Officer Program Review", exact=True).click()
    page.get_by_role("heading", name="Analysis runs").wait_for()
    page.get_by_label("Number of themes").fill("5")
    page.get_by_role("button", name="Start analysis").click()
    page.get_by_role("heading", name="Analysis run 1").wait_for()
    # The progress bar is there while it runs, and the page turns into the theme board when it finishes.
    page.get_by_role("heading", name="Themes").wait_for(timeout=60_000)
    assert re.search(r"\d+ comments, 5 themes\.", page.content())
    assert page.locator(".theme-card").count() == 5
    assert page.locator(".theme-card blockquote").count() >= 5


@pytest.fixture
def coded_review(live_app, reviewer):
    """An analysed demo consultation whose themes are in the codebook, with a dozen comments coded."""
    from sqlalchemy import select

    from engage.models import Answer, Consultation
    from engage.services import analysis_runs
    from engage.services.coding import code_comment
    from engage.services.themes import active_themes, adopt_run_themes

    with live_app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == "sro-review"))
        run = analysis_runs.start_analysis(consultation=consultation, user=None, n_themes=4)
        db.session.commit()
        run = analysis_runs.execute_run(run_id=run.id)
        adopt_run_themes(run=run, user=None)
        db.session.commit()
        themes = active_themes(consultation_id=consultation.id)
        answers = db.session.scalars(select(Answer).where(Answer.text.is_not(None)).order_by(Answer.id).limit(12)).all()
        for i, answer in enumerate(answers):
            code_comment(consultation=consultation, answer=answer, user=None, theme_ids={themes[i % 2].id})
        db.session.commit()
    return reviewer


def test_reviewer_merges_two_themes(coded_review, live_server, page):
    sign_in(page, live_server, coded_review)
    page.goto(live_server + "/review/sro-review/themes")
    cards = page.locator(".theme-card")
    before = cards.count()
    first_name = cards.first.locator("h2").inner_text()
    cards.first.get_by_role("link", name=re.compile("Rename, merge, split or delete")).click()
    merge_into = page.get_by_label("Merge into")
    merge_into.select_option(index=1)
    target_name = merge_into.locator("option:checked").inner_text().strip()
    # A merge moves many codes at once, so the page asks first, naming both themes: saying no changes nothing,
    # saying yes merges.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Merge").click()
    assert questions and "separate them again" in questions[0]
    assert f"“{first_name}” into “{target_name}”" in questions[0]
    assert "/themes/" in page.url  # still on the theme's page
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Merge").click()
    page.get_by_role("heading", name="Themes", exact=True).wait_for()
    assert page.locator(".theme-card").count() == before - 1
    assert first_name not in [h.inner_text() for h in page.locator(".theme-card h2").all()]
    # Changed their mind: "Merged themes" brings it back as it was.
    page.get_by_role("button", name=f"Separate again {first_name}").click()
    page.get_by_text(f"Separated “{first_name}” again").wait_for()
    assert page.locator(".theme-card").count() == before
    assert first_name in [h.inner_text() for h in page.locator(".theme-card h2").all()]


def test_reviewer_codes_comments_from_the_queue(coded_review, live_app, live_server, page):
    from sqlalchemy import func, select

    from engage.models import Code

    sign_in(page, live_server, coded_review)
    page.goto(live_server + "/review/sro-review/queue")
    page.get_by_role("heading", name="Least certain next").wait_for()
    page.locator(".coding-queue a").first.click()
    page.get_by_role("heading", name="Code a comment").wait_for()
    page.locator("input[type=checkbox][name=themes]").first.check()
    page.get_by_role("button", name=re.compile("Save codes")).click()
    page.get_by_role("heading", name=re.compile("Code a comment|Least certain next")).wait_for()
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Code)) == 13


def test_reviewer_opens_the_segment_table(coded_review, live_server, page):
    sign_in(page, live_server, coded_review)
    page.goto(live_server + "/review/sro-review/themes")
    page.get_by_role("navigation", name="Review of this consultation").get_by_role("link", name="Segments").click()
    page.get_by_role("heading", name="Themes by group").wait_for()
    page.get_by_label("Split respondents by").select_option(index=0)
    page.get_by_role("button", name="Show table").click()
    caption = page.locator("table caption").first
    assert "Themes by" in caption.inner_text()
    assert page.locator("svg title").count() >= 1  # the chart carries a text alternative
