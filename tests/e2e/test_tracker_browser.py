"""A participant's receipt code leads, in a real browser, to the review's public tracker and its dated history."""
import datetime as dt
import re

import pytest
from flask_babel import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from engage.extensions import db
from engage.models import ReviewTheme
from engage.services import recommendations as recs
from tests.conftest import STAFF_PASSWORD
from tests.programs.tracker_factory import make_review, review_by_slug

pytestmark = pytest.mark.e2e

D = dt.date


@pytest.fixture
def app(live_app):
    """The shared factories (make_consultation) write to the database the live server reads."""
    return live_app


@pytest.fixture
def review(live_app, make_consultation):
    """An active review whose Phase 2 stream is open, with two published recommendations and one internal draft."""
    cid = make_consultation("student-sessions", title="Grade 5 and 6 sessions")
    make_review(live_app, "sro-review", title="School Resource Officer Program Review",
                streams=[(cid, "Phase 2", "Grade 5-6 students", "In-person sessions", "ActionDignity")])
    with live_app.app_context():
        found = review_by_slug("sro-review")
        theme = ReviewTheme(review_id=found.id, name="Feeling safe at school")
        db.session.add(theme)
        db.session.flush()
        one = recs.create(found, number=1, title="Train every officer in youth work", owner="Calgary Police Service",
                          target_on=D(2026, 9, 1), theme_ids=[theme.id], publish=True, on=D(2026, 1, 15))
        recs.change(one, status="in_progress", note="The first 40 officers started training.", on=D(2026, 3, 12))
        two = recs.create(found, number=2, title="Remove officers from elementary schools", publish=True,
                          on=D(2026, 1, 15))
        recs.change(two, status="not_proceeding", reason="The school board chose to keep officers for now.",
                    on=D(2026, 2, 3))
        recs.create(found, number=3, title="An idea still being discussed", on=D(2026, 2, 1))
        db.session.commit()
    with live_app.test_request_context("/"):
        return {"march12": format_date(D(2026, 3, 12), format="long"),
                "feb3": format_date(D(2026, 2, 3), format="long")}


def test_a_receipt_code_leads_to_the_tracker(review, live_server, page, assert_accessible):
    # A student answers the stream's form and keeps the receipt code.
    page.goto(live_server + "/c/student-sessions/respond")
    page.get_by_label(re.compile("What is it like")).fill("The officer says hi at lunch.")
    page.locator("fieldset", has_text="I feel safe at school.").get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you. We got your answers.")).to_be_visible()
    receipt = page.locator(".receipt-code").inner_text().strip()

    # Later, the code leads to "You said, we did", and from there to the review's tracker.
    page.get_by_role("link", name="Check a receipt").click()
    page.get_by_label("Receipt code").fill(receipt)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="You said, we did")).to_be_visible()
    page.get_by_role("link", name="See what the review is doing about it").click()

    expect(page.get_by_role("heading", name="Recommendations tracker", level=1)).to_be_visible()
    assert page.url.endswith("/reviews/sro-review/tracker")
    first = page.locator("#rec-1")
    expect(first.get_by_role("heading", level=3)).to_have_text("Recommendation 1: Train every officer in youth work")
    expect(first).to_contain_text("In progress")
    expect(first).to_contain_text("Calgary Police Service")
    expect(first).to_contain_text("Feeling safe at school")
    expect(first.get_by_role("listitem").first).to_have_text(
        f"{review['march12']}: Status changed from Planned to In progress. — The first 40 officers started training.")
    second = page.locator("#rec-2")
    expect(second).to_contain_text("Why it is not going ahead: The school board chose to keep officers for now.")
    timeline = page.locator("ol.timeline > li")
    expect(timeline.first).to_contain_text(review["march12"])
    expect(timeline).to_have_count(5)
    expect(page.get_by_text("An idea still being discussed")).to_have_count(0)
    assert_accessible(page, "the tracker")

    # The history's links lead back to each recommendation; the review's own page is one link away.
    timeline.nth(1).get_by_role("link").click()
    assert page.url.endswith("#rec-2")
    page.get_by_role("link", name="School Resource Officer Program Review").click()
    expect(page.get_by_role("heading", name="School Resource Officer Program Review", level=1)).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("In-person sessions")
    expect(page.get_by_role("table").first).to_contain_text("Grade 5-6 students")
    assert_accessible(page, "the review's public page")


def _sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_and_advisor_pages_are_accessible(review, live_app, live_server, page, make_user, assert_accessible):
    from engage.models import ReviewAccess, User
    from engage.services import review_reports

    make_user(email="admin@example.org", roles=["admin"])
    make_user(email="parent@example.org", roles=["advisor"])
    with live_app.app_context():
        found = review_by_slug("sro-review")
        report = review_reports.ensure_review_report(review=found, user=None)
        review_reports.build_draft(report=report)
        report.status = "in_review"
        advisor_id = db.session.scalar(select(User.id).where(User.email == "parent@example.org"))
        db.session.add(ReviewAccess(user_id=advisor_id, review_id=found.id))
        db.session.commit()
        report_id = report.id
    _sign_in(page, live_server, "admin@example.org")
    for path in ("/programs/", "/programs/new", "/programs/sro-review", "/programs/sro-review/edit",
                 "/programs/sro-review/recommendations", "/programs/sro-review/advisors"):
        page.goto(live_server + path)
        assert_accessible(page, path)
    page.goto(live_server + "/programs/sro-review/recommendations")
    page.get_by_role("link", name="Train every officer in youth work").click()
    expect(page.get_by_role("heading", name=re.compile("Recommendation 1"), level=1)).to_be_visible()
    assert_accessible(page, "a recommendation's page")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing changed.")
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, live_server, "parent@example.org")
    expect(page.get_by_role("heading", name="Your reviews")).to_be_visible()
    assert_accessible(page, "the advisor's reviews")
    page.get_by_role("link", name="School Resource Officer Program Review").click()
    assert_accessible(page, "the board page")
    page.goto(live_server + f"/programs/sro-review/board/reports/{report_id}")
    page.get_by_label("Your comment").fill("Please say more about younger students.")
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_role("status")).to_contain_text("Your comment was sent")
    expect(page.locator(".advisor-comments")).to_contain_text("Please say more about younger students.")
    assert_accessible(page, "a draft for the board")
