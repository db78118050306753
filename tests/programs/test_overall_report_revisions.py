"""The overall report's section history over real HTTP: who saved each version, and restoring one as the newest."""
import re

from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Report, ReportRevision
from tests.helpers import hidden_inputs
from tests.programs.test_overall_report import post, publisher, review_ids, reviewer  # noqa: F401 (fixtures)
from tests.review.data_factory import sign_in

SLUG = "safety-review"
EDITOR = f"/programs/{SLUG}/report/sections/executive_summary"


def save(client, text: str, title: str = "Summary"):
    token = hidden_inputs(client.get(EDITOR).get_data(as_text=True))["csrf_token"]
    response = client.post(EDITOR, data={"csrf_token": token, "title": title, "body": text})
    assert response.status_code == 303, response.get_data(as_text=True)


def restore(client, number: int, url: str = EDITOR):
    token = hidden_inputs(client.get(EDITOR).get_data(as_text=True))["csrf_token"]
    return client.post(f"{url}/restore/{number}", data={"csrf_token": token})


def history(app, review_id: int, key: str = "executive_summary") -> list[tuple[int, str, str]]:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_id))
        return [(r.number, r.kind, r.body) for r in db.session.scalars(
            select(ReportRevision).where(ReportRevision.report_id == report.id, ReportRevision.section_key == key)
            .order_by(ReportRevision.number))]


def report_state(app, review_id: int) -> tuple[str, str]:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_id))
        section = next(s for s in report.sections if s.key == "executive_summary")
        return report.status, section.body


def test_restoring_an_earlier_version_brings_its_text_back_as_the_newest(app, review_ids, reviewer):
    save(reviewer, "First words.")
    save(reviewer, "Second words.")
    html = reviewer.get(EDITOR).get_data(as_text=True)
    # The list names who saved each version and when, in plain HTML.
    assert re.search(r"Version 3 \(edited\), \w+ \d+, \d{4}, by rev@example\.org", html)
    assert re.search(r"Version 1 \(machine draft\), \w+ \d+, \d{4}, by rev@example\.org", html)
    assert 'aria-label="Restore version 2 of “Summary”"' in html
    assert 'aria-label="Restore version 1 of “Summary”"' in html
    assert "Restore version 3 of" not in html  # the newest version is the current text
    actions = re.findall(r'action="([^"]+/restore/(\d+))"', html)
    assert [number for _, number in actions] == ["2", "1"]

    response = reviewer.post(actions[0][0], data={"csrf_token": hidden_inputs(html)["csrf_token"]})
    assert response.status_code == 303 and response.headers["Location"].endswith(EDITOR)
    page = reviewer.get(EDITOR).get_data(as_text=True)
    assert "Version 2 of “Summary” restored as the newest version." in page
    assert re.search(r'<textarea[^>]*id="body"[^>]*>First words\.</textarea>', page)
    assert "Version 4 (restored)" in page

    revisions = history(app, review_ids[0])
    assert [(number, kind) for number, kind, _ in revisions] == [(1, "draft"), (2, "edit"), (3, "edit"), (4, "restore")]
    assert [body for _, _, body in revisions[1:]] == ["First words.", "Second words.", "First words."]
    assert report_state(app, review_ids[0]) == ("draft", "First words.")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "restore_report_section"))
        assert event.details == {"section": "executive_summary", "version": 2}

    # Version 2 is what the section says now: restoring it again says so and adds no version.
    response = restore(reviewer, 2)
    assert response.status_code == 303
    page = reviewer.get(EDITOR).get_data(as_text=True)
    assert "Version 2 is the same as the section&#39;s text now: there is nothing to restore." in page
    assert len(history(app, review_ids[0])) == 4


def test_people_who_may_not_edit_cannot_restore(app, review_ids, reviewer, publisher, make_user, client):
    save(reviewer, "First words.")
    save(reviewer, "Second words.")
    before = history(app, review_ids[0])

    page = publisher.get(EDITOR)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Version 2 (edited)" in html and "/restore/" not in html  # publishers read the history only
    assert restore(publisher, 1).status_code == 403

    advisor = sign_in(app, make_user, "advisor", email="adv@example.org")
    token = hidden_inputs(advisor.get("/auth/login").get_data(as_text=True)).get("csrf_token", "")
    assert advisor.post(f"{EDITOR}/restore/1", data={"csrf_token": token}).status_code == 403

    token = hidden_inputs(client.get("/auth/login").get_data(as_text=True))["csrf_token"]
    anonymous = client.post(f"{EDITOR}/restore/1", data={"csrf_token": token})
    assert anonymous.status_code in (302, 303) and "/auth/login" in anonymous.headers["Location"]

    assert reviewer.post(f"{EDITOR}/restore/1").status_code == 400  # no CSRF token
    assert history(app, review_ids[0]) == before
    assert report_state(app, review_ids[0])[1] == "Second words."


def test_unknown_versions_and_sections_are_404(app, review_ids, reviewer):
    save(reviewer, "First words.")
    assert restore(reviewer, 99).status_code == 404
    assert restore(reviewer, 0).status_code == 404
    # Version 2 exists for the summary, not for "about", which has only its machine draft.
    assert restore(reviewer, 2, f"/programs/{SLUG}/report/sections/about").status_code == 404
    assert restore(reviewer, 1, f"/programs/{SLUG}/report/sections/nope").status_code == 404
    assert restore(reviewer, 1, "/programs/no-such-review/report/sections/about").status_code == 404
    assert [number for number, _, _ in history(app, review_ids[0])] == [1, 2]


def test_restoring_after_approval_sends_the_report_back_to_draft(app, review_ids, reviewer, publisher):
    save(reviewer, "Approved words.")
    assert post(reviewer, f"/programs/{SLUG}/report/submit").status_code == 303
    assert post(publisher, f"/programs/{SLUG}/report/approve").status_code == 303
    assert report_state(app, review_ids[0]) == ("approved", "Approved words.")

    assert restore(reviewer, 1).status_code == 303
    page = reviewer.get(EDITOR).get_data(as_text=True)
    assert "restored as the newest version. The report went back to draft: it needs approving again." in page
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_ids[0]))
        assert report.status == "draft" and report.approved_by_id is None and report.approved_fingerprint is None
    machine_draft = history(app, review_ids[0])[0][2]
    assert report_state(app, review_ids[0])[1] == machine_draft
    # Publishing now is refused: the restored text needs approving again.
    assert post(publisher, f"/programs/{SLUG}/report/publish").status_code == 303
    with app.app_context():
        assert not db.session.scalar(select(Report).where(Report.review_id == review_ids[0])).versions


def test_restoring_the_machine_draft_follows_the_data_again(app, review_ids, reviewer):
    """Version 1 was drafted from the data as it stood then; going back to it means today's draft, not that text."""
    save(reviewer, "My own words.")
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_ids[0]))
        section = next(s for s in report.sections if s.key == "executive_summary")
        db.session.execute(ReportRevision.__table__.update().where(
            ReportRevision.report_id == report.id, ReportRevision.section_key == "executive_summary",
            ReportRevision.number == 1).values(body="A stale draft with old numbers."))
        db.session.commit()
    assert restore(reviewer, 1).status_code == 303
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.review_id == review_ids[0]))
        section = next(s for s in report.sections if s.key == "executive_summary")
        assert not section.edited and "stale draft" not in section.body and section.body.strip()
    revisions = history(app, review_ids[0])
    assert [kind for _, kind, _ in revisions] == ["draft", "edit", "draft"]
    # It already follows the data: a second restore says so and adds nothing.
    restore(reviewer, 1)
    page = reviewer.get(EDITOR).get_data(as_text=True)
    assert "The section already follows the data" in page and len(history(app, review_ids[0])) == 3
