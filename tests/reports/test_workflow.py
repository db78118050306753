"""The What We Heard workflow over real HTTP: draft, edit, approve, publish, correct; roles and the embargo."""
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, Report, ReportRevision, ReportVersion, Theme
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in

SLUG = "school-safety"


@pytest.fixture
def consultation_id(app, make_consultation):
    cid = make_consultation(min_group_size=5)
    rows = [("The officer makes me feel safe at lunch.", "online", {"role": ["Teacher"]}, ["Safety"])] * 30
    rows += [("I feel nervous when police walk past my class.", "online", {"role": ["Student"]}, ["Fear"])] * 14
    rows += [("Tickets for small things are unfair.", "paper", {"role": ["Student"]}, ["Tickets"])] * 3
    add_responses(app, cid, rows)
    return cid


@pytest.fixture
def reviewer(app, make_user):
    return sign_in(app, make_user, "reviewer", email="rev@example.org")


@pytest.fixture
def publisher(app, make_user):
    return sign_in(app, make_user, "publisher", email="pub@example.org")


def post(client, url, data=None, *, form_page):
    """POST with the CSRF token from the page that holds the form."""
    token = hidden_inputs(client.get(form_page).get_data(as_text=True))["csrf_token"]
    return client.post(url, data={"csrf_token": token, **(data or {})})


def overview(slug=SLUG):
    return f"/review/{slug}/report"


def test_the_draft_has_every_section_with_numbers_from_the_data(app, consultation_id, reviewer):
    page = reviewer.get(f"/review/{SLUG}/report/preview")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("Executive summary", "About the project", "How we engaged", "What we asked", "What we heard",
                  "Next steps"):
        assert title in html
    assert "We heard from 47 people" in html
    assert "Tickets" in html and "hidden" in html  # 3 people: hidden at the public minimum of 10
    assert not re.search(r"\b3 people\b", html)
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert len(report.sections) == 7
        assert db.session.scalar(select(ReportRevision).where(ReportRevision.section_key == "about")).kind == "draft"


def test_publishers_see_only_report_pages_and_anonymous_visitors_none(app, consultation_id, publisher, client):
    assert publisher.get(overview()).status_code == 200
    assert publisher.get(f"/review/{SLUG}/comments").status_code == 403
    assert client.get(overview()).status_code in (302, 303)


def test_edits_keep_versions_and_restoring_one_adds_a_new_version(app, consultation_id, reviewer):
    url = f"/review/{SLUG}/report/sections/about"
    for text in ("First words.", "Second words."):
        response = post(reviewer, url, {"title": "About the project", "body": text}, form_page=url)
        assert response.status_code == 303
    html = reviewer.get(url).get_data(as_text=True)
    assert "Second words." in html and "Version 3" in html
    response = post(reviewer, f"{url}/restore/2", form_page=url)
    assert response.status_code == 303
    with app.app_context():
        numbers = db.session.scalars(select(ReportRevision.number).where(ReportRevision.section_key == "about")).all()
        section_body = next(s.body for s in db.session.scalar(select(Report)).sections if s.key == "about")
    assert sorted(numbers) == [1, 2, 3, 4] and section_body == "First words."


def test_the_history_names_who_saved_each_version_and_offers_restore_only_to_writers(app, consultation_id, reviewer,
                                                                                     publisher):
    url = f"/review/{SLUG}/report/sections/about"
    post(reviewer, url, {"title": "About the project", "body": "Words."}, form_page=url)
    writer = reviewer.get(url).get_data(as_text=True)
    assert "by rev@example.org" in writer and "Restore version 1 of" in writer
    reader = publisher.get(url).get_data(as_text=True)
    assert "by rev@example.org" in reader and "Restore version" not in reader  # publishers read; they cannot restore


def test_markup_in_a_section_is_escaped_on_every_page(app, consultation_id, reviewer):
    url = f"/review/{SLUG}/report/sections/about"
    post(reviewer, url, {"title": "About", "body": "Hi <script>alert(1)</script> [x](javascript:alert(2))"},
         form_page=url)
    html = reviewer.get(f"/review/{SLUG}/report/preview").get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html


def _publish(reviewer, publisher, note=""):
    assert post(reviewer, f"{overview()}/submit", form_page=overview()).status_code == 303
    assert post(publisher, f"{overview()}/approve", form_page=overview()).status_code == 303
    return post(publisher, f"{overview()}/publish", {"correction_note": note}, form_page=overview())


def test_nothing_is_public_before_publication_and_the_published_version_is_frozen(app, client, consultation_id,
                                                                                   reviewer, publisher):
    reviewer.get(overview())
    for url in (f"/c/{SLUG}/report", f"/c/{SLUG}/report/v1", f"/c/{SLUG}/report.pdf", f"/c/{SLUG}/report.csv",
                f"/c/{SLUG}/report/v1.html"):
        assert client.get(url).status_code == 404, url
    assert "not ready yet" in client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)

    assert _publish(reviewer, publisher).status_code == 303
    public = client.get(f"/c/{SLUG}/report")
    assert public.status_code == 200 and "We heard from 47 people" in public.get_data(as_text=True)
    # New responses change the working copy, not the published version.
    add_responses(app, consultation_id, [("More safety please.", "online", {"role": ["Teacher"]}, ["Safety"])] * 2)
    assert "We heard from 47 people" in client.get(f"/c/{SLUG}/report").get_data(as_text=True)
    assert "We heard from 49 people" in reviewer.get(f"/review/{SLUG}/report/preview").get_data(as_text=True)
    outcome = client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)
    assert "Read the What We Heard report" in outcome
    # Still open: the report covers the answers sent so far, and it does not claim to have read every answer.
    assert "read the answers sent so far" in outcome and "read every answer" not in outcome
    with app.app_context():
        db.session.get(Consultation, consultation_id).status = "closed"
        db.session.commit()
    assert "The review team read every answer." in client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)


def test_only_a_publisher_approves_and_publishes(app, consultation_id, reviewer, publisher):
    post(reviewer, f"{overview()}/submit", form_page=overview())
    response = post(reviewer, f"{overview()}/approve", form_page=overview())
    assert response.status_code == 303
    assert "Only a publisher" in reviewer.get(overview()).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "in_review"
    post(publisher, f"{overview()}/approve", form_page=overview())
    post(reviewer, f"{overview()}/publish", form_page=overview())
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "approved"
        assert db.session.scalar(select(ReportVersion)) is None


def test_an_edit_after_approval_needs_approval_again(app, consultation_id, reviewer, publisher):
    post(reviewer, f"{overview()}/submit", form_page=overview())
    post(publisher, f"{overview()}/approve", form_page=overview())
    url = f"/review/{SLUG}/report/sections/about"
    post(reviewer, url, {"title": "About", "body": "Changed after approval."}, form_page=url)
    post(publisher, f"{overview()}/publish", form_page=overview())
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "draft"
        assert db.session.scalar(select(ReportVersion)) is None


def test_data_that_changes_after_approval_sends_the_report_back(app, consultation_id, reviewer, publisher):
    post(reviewer, f"{overview()}/submit", form_page=overview())
    post(publisher, f"{overview()}/approve", form_page=overview())
    add_responses(app, consultation_id, [("Safe.", "online", {"role": ["Teacher"]}, ["Safety"])])
    post(publisher, f"{overview()}/publish", form_page=overview())
    assert "changed since it was approved" in publisher.get(overview()).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReportVersion)) is None
        assert db.session.scalar(select(Report)).status == "in_review"


def test_a_report_approved_in_english_can_be_published_from_a_french_page(app, client, consultation_id, reviewer,
                                                                          publisher):
    """Block words follow the page's language; what was approved is the report, not the approver's language."""
    post(reviewer, f"{overview()}/submit", form_page=overview())
    post(publisher, f"{overview()}/approve", form_page=overview())
    publisher.set_cookie("lang", "fr")
    assert 'lang="fr"' in publisher.get(overview()).get_data(as_text=True)
    post(publisher, f"{overview()}/publish", form_page=overview())
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "published"
        assert db.session.scalar(select(ReportVersion)).number == 1
    # A real change is still caught, whatever the language.
    post(reviewer, f"{overview()}/submit", form_page=overview())
    post(publisher, f"{overview()}/approve", form_page=overview())
    add_responses(app, consultation_id, [("Safe.", "online", {"role": ["Teacher"]}, ["Safety"])])
    post(publisher, f"{overview()}/publish", {"correction_note": "More responses."}, form_page=overview())
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "in_review"


def test_a_correction_is_a_new_public_version_with_a_public_note(app, client, consultation_id, reviewer, publisher):
    _publish(reviewer, publisher)
    url = f"/review/{SLUG}/report/sections/about"
    post(reviewer, url, {"title": "About the project", "body": "Corrected wording."}, form_page=url)
    response = _publish(reviewer, publisher, note="")
    assert "Say what changed" in publisher.get(overview()).get_data(as_text=True)
    post(publisher, f"{overview()}/publish", {"correction_note": "Fixed the description of the program."},
         form_page=overview())
    latest = client.get(f"/c/{SLUG}/report").get_data(as_text=True)
    assert "Corrected wording." in latest and "Fixed the description of the program." in latest
    first = client.get(f"/c/{SLUG}/report/v1").get_data(as_text=True)
    assert "Corrected wording." not in first and "earlier version" in first
    assert response.status_code == 303
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "publish_report")).all()
    assert len(actions) == 2


def test_a_version_that_would_give_a_few_late_responses_away_is_refused(app, client, consultation_id, reviewer,
                                                                       publisher):
    """Every published version stays public, so version 2 minus version 1 must not describe a small group."""
    assert _publish(reviewer, publisher).status_code == 303
    late = ("Tickets for small things are unfair.", "paper", {"role": ["Student"]}, ["Tickets"])
    add_responses(app, consultation_id, [late] * 3)
    page = reviewer.get(overview()).get_data(as_text=True)
    assert "Anyone could subtract version 1 from this one" in page and "people went from 47 to 50" in page
    post(reviewer, f"{overview()}/submit", form_page=overview())
    assert "Fix 1 problem first" in reviewer.get(overview()).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Report)).status == "published"
    # Once every group changed by at least the public minimum (10), the new version can go out.
    add_responses(app, consultation_id, [late] * 7 + [("Safe.", "online", {"role": ["Teacher"]}, ["Safety"])] * 10)
    assert "Anyone could subtract" not in reviewer.get(overview()).get_data(as_text=True)
    assert _publish(reviewer, publisher, note="Twenty late responses.").status_code == 303
    assert "We heard from 67 people" in client.get(f"/c/{SLUG}/report").get_data(as_text=True)
    assert "We heard from 47 people" in client.get(f"/c/{SLUG}/report/v1").get_data(as_text=True)


def test_commitments_link_themes_date_status_changes_and_need_a_reason_to_stop(app, client, consultation_id,
                                                                               reviewer, publisher):
    with app.app_context():
        safety = db.session.scalar(select(Theme).where(Theme.name == "Safety")).id
    url = f"/review/{SLUG}/report/commitments"
    response = post(reviewer, url, {"title": "Train every officer on anti-racism", "status": "planned",
                                    "themes": str(safety), "owner": "Police service", "target_on": "2027-06-30"},
                    form_page=url)
    assert response.status_code == 303
    refused = post(reviewer, url, {"title": "Remove uniforms", "status": "not_proceeding"}, form_page=url)
    assert refused.status_code == 400 and "reason" in refused.get_data(as_text=True)
    _publish(reviewer, publisher)
    outcome = client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)
    assert "Train every officer on anti-racism" in outcome and "Planned" in outcome and "Safety" in outcome
    report = client.get(f"/c/{SLUG}/report").get_data(as_text=True)
    assert "Train every officer on anti-racism" in report


def test_unknown_sections_commitments_and_versions_are_404(app, client, consultation_id, reviewer):
    assert reviewer.get(f"/review/{SLUG}/report/sections/nope").status_code == 404
    assert reviewer.get(f"/review/{SLUG}/report/commitments/999").status_code == 404
    assert client.get(f"/c/{SLUG}/report/v7").status_code == 404
    assert client.get(f"/c/{SLUG}/report.exe").status_code == 404
    assert reviewer.get("/review/no-such/report").status_code == 404


def test_a_draft_consultation_has_no_public_report(app, client, make_consultation):
    make_consultation("hidden-one", status="draft")
    assert client.get("/c/hidden-one/report").status_code == 404
    assert client.get("/c/hidden-one/outcome").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Consultation).where(Consultation.slug == "hidden-one")) is not None


def test_a_receipt_code_leads_to_the_published_report_and_commitments(app, client, make_consultation, make_user):
    from tests.helpers import fresh_form, valid_answers

    make_consultation()
    first = client.post("/c/school-safety/respond", data=fresh_form(client, SLUG) | valid_answers(app, SLUG))
    code = client.get(first.headers["Location"]).get_data(as_text=True).split(
        'class="receipt-code"><strong>')[1].split("<")[0]
    reviewer = sign_in(app, make_user, "reviewer", email="rev@example.org")
    publisher = sign_in(app, make_user, "publisher", email="pub@example.org")
    url = f"/review/{SLUG}/report/commitments"
    post(reviewer, url, {"title": "Meet students every term", "status": "in_progress"}, form_page=url)
    _publish(reviewer, publisher)
    token = fresh_form(client, SLUG)["csrf_token"]
    found = client.post("/receipt", data={"code": code, "csrf_token": token})
    outcome = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "Read the What We Heard report" in outcome and f"/c/{SLUG}/report" in outcome
    assert "Meet students every term" in outcome and "In progress" in outcome


def test_the_team_exports_the_draft_and_the_public_cannot(app, client, consultation_id, reviewer):
    csv_file = reviewer.get(f"/review/{SLUG}/report/export.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert "draft" in csv_file.headers["Content-Disposition"]
    page = reviewer.get(f"/review/{SLUG}/report/export.html")
    assert "style-src 'sha256-" in page.headers["Content-Security-Policy"]
    assert reviewer.get(f"/review/{SLUG}/report/export.exe").status_code == 404
    assert client.get(f"/review/{SLUG}/report/export.csv").status_code in (302, 303)


def test_a_long_french_section_fits_and_a_timed_out_page_shows_the_text_back(app, consultation_id, reviewer):
    url = f"/review/{SLUG}/report/sections/about"
    # 30,000 accented letters are 180,000 bytes once a browser encodes the form: more than a participant may send.
    long_french = "é" * 30_000
    assert post(reviewer, url, {"title": "À propos", "body": long_french}, form_page=url).status_code == 303
    response = reviewer.post(url, data={"csrf_token": "expired", "title": "À propos",
                                        "body": "Mes mots <b>à garder</b>\nligne deux"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "This page timed out" in html
    assert "Mes mots &lt;b&gt;à garder&lt;/b&gt;\nligne deux</textarea>" in html and "expired" not in html
    assert re.search(r'<label for="kept-\d+">Body</label>', html)
    assert f'<a href="{url}">Open the page again</a>' in html  # the editor opens again at its own address
    with app.app_context():
        assert next(s.body for s in db.session.scalar(select(Report)).sections if s.key == "about") == long_french
