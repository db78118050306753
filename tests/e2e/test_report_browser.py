"""What We Heard in a real browser: a reviewer drafts, a publisher approves and publishes, the public reads it."""
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import STAFF_PASSWORD
from tests.review.data_factory import add_responses

pytestmark = pytest.mark.e2e

SLUG = "school-safety"
TITLE = "School safety check-in"
QUOTE = "The officer says hello in the hallway and the mornings feel calmer."
ADDED = "We thank the {{ respondents }} people who wrote to us."
COMMITMENT = "Meet with students every term"
SECTIONS = ("Executive summary", "About the project", "How we engaged", "What we asked", "What we heard",
            "Next steps")


@pytest.fixture
def app(live_app):
    """The shared factories (make_consultation, make_user) write to the database the live server reads."""
    return live_app


@pytest.fixture
def consultation(live_app, tmp_path, make_consultation, make_user):
    """42 coded comments from teachers and students: two large themes and one of 6 people, below the minimum of 10."""
    # Published files are cached in the instance folder; keep this test's files apart from the checkout's.
    live_app.instance_path = str(tmp_path / "instance")
    cid = make_consultation()
    safe = [f"Teachers like that the officer is around at lunch, {w}." for w in ("mostly", "often", "usually")]
    rows = [(QUOTE, "online", {"role": ["Teacher"]}, ["Feeling safe"])]
    rows += [(safe[i % 3], "online", {"role": ["Teacher"]}, ["Feeling safe"]) for i in range(19)]
    rows += [("I feel nervous when police walk past my class.", "online", {"role": ["Student"]}, ["Fear"])] * 16
    rows += [("Tickets for small things are unfair.", "paper", {"role": ["Student"]}, ["Tickets"])] * 6
    add_responses(live_app, cid, rows)
    make_user(email="rev@example.org", roles=["reviewer"])
    make_user(email="pub@example.org", roles=["publisher"])
    return cid


@pytest.fixture
def public(browser):
    """A member of the public: a browser context of its own that never signs in."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def expect_flash(page, text):
    """The confirmation is announced: flashed messages sit in a status region."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def open_report(page):
    page.get_by_role("link", name=f"Report for {TITLE}").click()
    expect(page.get_by_role("heading", name="What We Heard report", exact=True)).to_be_visible()


def test_a_report_goes_from_draft_to_public(consultation, live_server, page, public):
    assert public.goto(f"{live_server}/c/{SLUG}/report").status == 404  # nothing before publication

    # The reviewer edits a section, proposes a quote, adds a commitment and sends the draft for approval.
    sign_in(page, live_server, "rev@example.org")
    open_report(page)
    page.get_by_role("list").get_by_role("link", name="About the project").click()
    expect(page.get_by_role("heading", name="Edit “About the project”")).to_be_visible()
    body = page.get_by_label("Text (Markdown)")
    body.fill(body.input_value() + "\n\n" + ADDED + "\n")
    page.get_by_role("button", name="Save this section").click()
    expect_flash(page, "“About the project” saved.")
    expect(page.locator(".report-preview")).to_contain_text("We thank the 42 people who wrote to us.")

    page.get_by_role("navigation", name="Review of this consultation").get_by_role("link", name="Quotes").click()
    page.get_by_role("link", name="Find comments to quote").click()
    page.get_by_label("Theme").select_option(label="Feeling safe")
    page.get_by_role("button", name="Show comments").click()
    expect(page.get_by_role("heading", name="Comments to quote: Feeling safe")).to_be_visible()
    candidate = page.get_by_role("listitem").filter(has=page.get_by_text(QUOTE, exact=True))
    candidate.get_by_role("button", name=re.compile(r"^Propose .*as a quote$")).click()
    expect(page.get_by_role("listitem").filter(has=page.get_by_text(QUOTE, exact=True))).to_contain_text(
        "Already a quote: waiting for a decision")

    page.get_by_role("navigation", name="Review of this consultation").get_by_role("link", name="Report").click()
    page.get_by_role("link", name="Next steps: commitments").click()
    page.get_by_label("What we will do").fill(COMMITMENT)
    page.get_by_role("group", name="Themes it answers").get_by_label("Fear").check()
    page.get_by_label("Who is responsible").fill("School board")
    page.get_by_label("Status").select_option(label="Planned")
    page.get_by_role("button", name="Save commitment").click()
    expect_flash(page, f"Commitment “{COMMITMENT}” saved.")
    expect(page.get_by_role("table")).to_contain_text(COMMITMENT)

    page.get_by_role("link", name="Back to the report").click()
    page.get_by_role("button", name="Send for approval").click()
    expect_flash(page, "Sent to a publisher for approval.")
    for url in (f"/c/{SLUG}/report", f"/c/{SLUG}/report.pdf"):  # still embargoed while in review
        assert public.request.get(live_server + url).status == 404, url
    sign_out(page)

    # The publisher approves the quote and the report, then publishes it.
    sign_in(page, live_server, "pub@example.org")
    open_report(page)
    page.get_by_role("link", name=re.compile(r"^Quotes \(1 waiting")).click()
    item = page.get_by_role("listitem").filter(has=page.get_by_text(QUOTE, exact=True))
    # Words no one else used are flagged; the publisher reads the warning and confirms the quote is safe.
    expect(item).to_contain_text("Rare detail. Uses words few other respondents used")
    item.get_by_label("I have checked the warnings").check()
    item.get_by_role("button", name=re.compile(r"^Approve \(quote \d+ in “[^”]+”: “The officer says hello")).click()
    page.get_by_role("link", name=re.compile(r"^Approved \(1\)")).click()
    expect(page.get_by_text(QUOTE, exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Review of this consultation").get_by_role("link", name="Report").click()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect_flash(page, "Approved. A publisher can now publish it.")
    page.get_by_role("button", name="Publish version 1").click()
    expect_flash(page, "Published. The report is now public.")
    sign_out(page)

    # A member of the public reads the report, downloads it and follows the next steps.
    problems = []
    public.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    public.on("pageerror", lambda e: problems.append(str(e)))
    public.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                           "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    assert public.goto(f"{live_server}/c/{SLUG}/report").status == 200
    headings = public.get_by_role("heading", level=2).all_inner_texts()
    assert [h for h in headings if h in SECTIONS] == list(SECTIONS)
    report = public.locator("article.report")
    expect(report).to_contain_text("We thank the 42 people who wrote to us.")
    expect(report.get_by_role("blockquote").filter(has_text=QUOTE)).to_have_text(QUOTE)
    # The 6 people who mentioned tickets are below the minimum of 10: their theme is named, its numbers hidden.
    themes = report.get_by_role("table", name="Themes in answers to “What is it like?”: the numbers")
    expect(themes.get_by_role("row").filter(has=public.get_by_role("rowheader", name="Feeling safe"))
           .get_by_role("cell")).to_have_text(["20", "48%", "not shown"])
    expect(themes.get_by_role("row").filter(has=public.get_by_role("rowheader", name="Tickets"))
           .get_by_role("cell")).to_have_text(["hidden", "hidden", "hidden"])
    chart = report.get_by_role("figure", name="Themes in answers to “What is it like?”")
    expect(chart.get_by_role("img")).to_have_accessible_name(re.compile(
        r"Bar chart\. Feeling safe: 48% \(20\); .*Tickets: hidden to protect groups under 10\.$"))
    expect(report.get_by_role("heading", name=COMMITMENT)).to_be_visible()

    downloads = public.get_by_role("navigation", name="Downloads")

    def download(name):
        return public.request.get(live_server + downloads.get_by_role("link", name=name).get_attribute("href"))

    pdf = download("Download as PDF")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    data = download("Open data (CSV)")
    assert data.ok and data.headers["content-type"].startswith("text/csv")
    tickets = [row for row in csv_rows(data.text()) if "Tickets" in (row["theme"], row["group"])]
    assert tickets and all(row["value"] == "" and row["note"].startswith("hidden") for row in tickets), tickets
    printable = downloads.get_by_role("link", name="Printable page").get_attribute("href")
    assert public.goto(live_server + printable).status == 200  # its inline stylesheet is allowed by hash
    expect(public.get_by_role("heading", name="Next steps")).to_be_visible()
    public.go_back()

    downloads.get_by_role("link", name=re.compile("You said, we did")).click()
    expect(public.get_by_role("heading", name="You said, we did")).to_be_visible()
    expect(public.get_by_role("heading", name=COMMITMENT)).to_be_visible()
    expect(public.get_by_text("This answers what people said about: Fear.")).to_be_visible()
    assert problems == []
