"""The review workspace passes axe in a real browser: every main page, signed in through the real login page."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engage.extensions import db
from engage.services.accounts import create_user
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.e2e

SLUG = "sro-review"
BASE = f"/review/{SLUG}"
EMAIL = "rev@example.org"


@pytest.fixture
def workspace(live_app, tmp_path):
    """The demo analysed, coded and reported, plus open flags, proposed quotes and two double-coding samples."""
    from engage.models import Answer, Consultation, QuoteStatus, ReportQuote
    from engage.services import double_coding, flags, quotes, reports
    from engage.services.demo import seed_demo, seed_demo_report
    from engage.services.themes import active_themes

    live_app.instance_path = str(tmp_path / "instance")  # published files are cached there
    with live_app.app_context():
        consultation, _ = seed_demo(responses=150)
        me = create_user(email=EMAIL, roles=["reviewer", "publisher"], password=STAFF_PASSWORD)
        other = create_user(email="second@example.org", roles=["reviewer"], password=STAFF_PASSWORD)
        third = create_user(email="third@example.org", roles=["reviewer"], password=STAFF_PASSWORD)
        db.session.commit()
        seed_demo_report(consultation)
        db.session.commit()
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == SLUG))
        report = reports.ensure_report(consultation=consultation, user=me)
        themes = active_themes(consultation_id=consultation.id)
        # Several quotes waiting for a decision, so each has its own Approve and Reject buttons.
        taken = set(db.session.scalars(select(ReportQuote.answer_id).where(ReportQuote.report_id == report.id)))
        proposed = 0
        for theme in themes[:4]:
            for candidate in quotes.candidate_quotes(consultation=consultation, theme_id=theme.id, limit=10):
                if candidate.answer_id in taken:
                    continue
                quotes.propose_quote(report=report, answer=db.session.get(Answer, candidate.answer_id),
                                     theme_id=theme.id, user=me)
                taken.add(candidate.answer_id)
                proposed += 1
                break
        assert proposed >= 3
        # One sample where I code blind, one between two others that is finished, with disagreements.
        mine = double_coding.create_sample(consultation=consultation, user=None, coder_a=me, coder_b=other,
                                           size=5, seed=1)
        theirs = double_coding.create_sample(consultation=consultation, user=None, coder_a=other, coder_b=third,
                                             size=5, seed=2)
        for i, answer_id in enumerate(double_coding.sample_answer_order(theirs)):
            double_coding.save_sample_coding(sample=theirs, user=other, answer_id=answer_id, theme_ids={themes[0].id})
            double_coding.save_sample_coding(sample=theirs, user=third, answer_id=answer_id,
                                             theme_ids={themes[i % 2].id})
        answer = db.session.get(Answer, double_coding.sample_answer_order(theirs)[0])
        flag = flags.flag_comment(answer=answer, kind="pii", user=me)
        db.session.commit()
        ids = {"mine": mine.id, "theirs": theirs.id, "flag": flag.id, "theme": themes[0].id,
               "first_item": double_coding.sample_answer_order(mine)[0],
               "approved": db.session.scalar(select(ReportQuote.id).where(
                   ReportQuote.status == QuoteStatus.APPROVED.value).limit(1))}
    return ids


def sign_in(page, base):
    page.goto(base + "/auth/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()


def test_every_review_page_passes_axe(workspace, live_server, page, assert_accessible):
    sign_in(page, live_server)
    problems = []

    def check(path, heading=None):
        response = page.goto(live_server + path)
        assert response.status < 500, path
        if heading:
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        try:
            assert_accessible(page, path)
        except AssertionError as error:  # collect every page's problems, then fail once with all of them
            problems.append(str(error))

    ids = workspace
    check(f"{BASE}/themes", "Themes")
    check(f"{BASE}/themes/{ids['theme']}")
    check(f"{BASE}/comments", "Comments")
    check(f"{BASE}/comments?q=officer&theme=c{ids['theme']}&channel=online", "Comments")
    check(f"{BASE}/comments?question=nonsense&theme=zz", "Comments")  # the error summary for unusable filters
    check(f"{BASE}/queue")
    page.locator(".coding-queue a").first.click()
    expect(page.get_by_role("heading", name="Code a comment")).to_be_visible()
    check(page.url.removeprefix(live_server))
    check(f"{BASE}/suggestions")
    check(f"{BASE}/double-coding", "Double coding")
    check(f"{BASE}/double-coding/{ids['mine']}")
    check(f"{BASE}/double-coding/{ids['mine']}/items/{ids['first_item']}")
    check(f"{BASE}/double-coding/{ids['theirs']}")
    check(f"{BASE}/machine-agreement")
    check(f"{BASE}/flags")
    check(f"{BASE}/flags/{ids['flag']}/redact")
    check(f"{BASE}/participation")
    check(f"{BASE}/segments")
    expect(page.get_by_role("figure").first).to_be_visible()
    page.get_by_role("link", name=re.compile("Where this group differs")).first.click()
    check(page.url.removeprefix(live_server))
    check(f"{BASE}/report/quotes")
    check(f"{BASE}/report/quotes?status=approved")
    check(f"{BASE}/report/quotes/candidates?theme={ids['theme']}")
    check(f"{BASE}/report")
    check(f"{BASE}/report/sections/executive_summary")
    check(f"{BASE}/report/commitments")
    check(f"{BASE}/report/preview")

    # Forms sent back with errors: the error summaries are checked too.
    page.goto(f"{live_server}{BASE}/themes")
    page.get_by_role("button", name="Add theme").click()
    expect(page.get_by_role("alert")).to_be_visible()
    try:
        assert_accessible(page, "the theme board with errors")
    except AssertionError as error:
        problems.append(str(error))

    # In French too (the language switcher's choice sticks, so switch back to English afterwards).
    check(f"{BASE}/segments?lang=fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("table.segment-table")).to_contain_text(re.compile(r"\(\d+\u00a0%\)"))  # "(48 %)"
    check(f"{BASE}/report/quotes?lang=fr")
    page.goto(f"{live_server}{BASE}/themes?lang=en")

    assert not problems, "\n\n".join(problems)

    # Several quotes on one page: every Approve, Reject and Withdraw button names its own quote.
    page.goto(f"{live_server}{BASE}/report/quotes")
    names = [" ".join(b.text_content().split()) for b in page.locator(".quote-list").get_by_role("button").all()]
    for action in ("Approve", "Reject", "Withdraw"):
        named = [n for n in names if n.startswith(action)]
        assert len(named) >= 3 and len(set(named)) == len(named), names

    # Each segment chart is an image whose text alternative gives every figure, with a table of the same figures.
    page.goto(f"{live_server}{BASE}/segments")
    figures = page.get_by_role("figure")
    assert figures.count() >= 1
    for figure in figures.all()[:3]:
        expect(figure.get_by_role("img")).to_have_accessible_name(re.compile(r"^Share of each group mentioning .+: .+%"))
        expect(figure.get_by_role("table")).to_have_count(1)
        expect(figure.get_by_role("rowheader").first).to_be_visible()
