"""The advisory board over real HTTP: advisors read ready drafts and suppressed figures of their reviews only,
comment on drafts, and reach nothing else on the staff side."""
import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation, DraftComment, Report, ReviewAccess, User
from engage.services import reports
from tests.programs.tracker_factory import make_review, post, review_by_slug
from tests.review.data_factory import add_responses, sign_in

SECRET = "My teacher Ms Example told the officer about me."


def _report(app, cid, status):
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        report = reports.ensure_report(consultation=consultation, user=None)
        reports.build_draft(report=report, consultation=consultation)  # the machine draft's sections
        report.status = status
        db.session.commit()
        return report.id


@pytest.fixture
def board(app, make_user, make_consultation):
    """A review with two streams (one report waiting for approval, one still being written) and a named advisor."""
    ready, writing = make_consultation("teachers"), make_consultation("students")
    add_responses(app, ready, [("Officers help a lot.", "online", {"role": ["Teacher"]}, ["Support"])] * 25
                  + [(SECRET, "online", {"role": ["Student"]}, ["Fear"])] * 3)
    make_review(app, "sro-review", streams=[(ready, "Phase 2", "Teachers", "Private survey", ""),
                                            (writing, "Phase 2", "Students", "Focus groups", "")])
    make_review(app, "other-review")
    ready_id, writing_id = _report(app, ready, "in_review"), _report(app, writing, "draft")
    advisor = sign_in(app, make_user, "advisor", email="parent@example.org")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "parent@example.org"))
        db.session.add(ReviewAccess(user_id=user_id, review_id=review_by_slug("sro-review").id))
        db.session.commit()
    return {"advisor": advisor, "ready": ready_id, "writing": writing_id}


def test_an_advisor_lands_on_their_reviews(board):
    advisor = board["advisor"]
    response = advisor.get("/staff/")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/programs/")
    listing = advisor.get("/programs/").get_data(as_text=True)
    assert "/programs/sro-review/board" in listing and "other-review" not in listing


@pytest.mark.parametrize("url", [
    "/review/teachers/comments", "/review/teachers/segments", "/review/teachers/segments/differences",
    "/review/teachers/participation", "/review/teachers/runs", "/review/teachers/report",
    "/review/teachers/report/preview", "/review/teachers/report/quotes", "/review/teachers/report/quotes/candidates",
    "/review/teachers/report/export.csv", "/review/teachers/report/export.html", "/admin/users", "/admin/audit",
    "/facilitate/", "/programs/sro-review", "/programs/sro-review/recommendations", "/programs/sro-review/advisors",
    "/programs/sro-review/analysis", "/programs/sro-review/codebook", "/programs/sro-review/report",
    "/programs/new",
])
def test_an_advisor_reaches_no_staff_page(board, url):
    assert board["advisor"].get(url).status_code in (403, 404)


def test_an_advisor_still_reads_the_public_site_and_signs_out(board):
    advisor = board["advisor"]
    assert advisor.get("/").status_code == 200
    assert advisor.get("/reviews/sro-review/tracker").status_code == 200
    assert post(advisor, "/auth/logout", form_page="/programs/").status_code == 303


def test_the_board_shows_suppressed_participation_and_ready_reports_only(board):
    advisor = board["advisor"]
    page = advisor.get("/programs/sro-review/board")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Private survey" in html and "hidden" in html
    assert f"/board/reports/{board['ready']}" in html and f"/board/reports/{board['writing']}" not in html
    assert SECRET not in html and "Officers help a lot." not in html


def test_an_advisor_cannot_open_a_review_they_are_not_named_on(board):
    assert board["advisor"].get("/programs/other-review/board").status_code == 404


def test_an_advisor_reads_a_draft_waiting_for_approval_but_not_one_being_written(board):
    advisor = board["advisor"]
    ready = advisor.get(f"/programs/sro-review/board/reports/{board['ready']}")
    assert ready.status_code == 200
    html = ready.get_data(as_text=True)
    assert "What we heard" in html and "This is a draft" in html
    assert SECRET not in html and "Officers help a lot." not in html  # never a raw comment
    assert "Fear" in html and "hidden" in html  # 3 people: the theme's figure is suppressed
    assert advisor.get(f"/programs/sro-review/board/reports/{board['writing']}").status_code == 404
    assert advisor.get("/programs/sro-review/board/reports/999999").status_code == 404


def test_an_advisor_comments_and_staff_see_it(app, make_user, board):
    advisor = board["advisor"]
    url = f"/programs/sro-review/board/reports/{board['ready']}"
    assert post(advisor, url, {"section_key": "executive_summary",
                                   "body": "Please say more about younger students."}
                ).status_code == 303
    assert post(advisor, url, {"body": ""}).status_code == 422
    assert post(advisor, url, {"section_key": "no-such-section", "body": "Hi"}).status_code == 422
    with app.app_context():
        comment = db.session.scalar(select(DraftComment))
        assert comment.body == "Please say more about younger students." and comment.section_key == "executive_summary"
    assert "Please say more about younger students." in advisor.get(url).get_data(as_text=True)
    reviewer = sign_in(app, make_user, "reviewer", email="rev@example.org")
    staff_page = reviewer.get("/programs/sro-review").get_data(as_text=True)
    assert "Please say more about younger students." in staff_page and "parent@example.org" in staff_page


def test_a_published_report_is_readable_and_closed_to_comments(app, board):
    with app.app_context():
        report = db.session.get(Report, board["ready"])
        consultation = db.session.get(Consultation, report.consultation_id)
        reports.freeze_version(report=report, document=reports.build_draft(report=report,
                                                                           consultation=consultation).document,
                               user=None)
        db.session.commit()
    advisor = board["advisor"]
    url = f"/programs/sro-review/board/reports/{board['ready']}"
    page = advisor.get(url)
    assert page.status_code == 200 and "comments are closed" in page.get_data(as_text=True)
    assert post(advisor, url, {"body": "Late thought"}).status_code == 409


def test_admins_name_advisors_from_users_with_the_role(app, make_user):
    make_review(app, "sro-review")
    make_user(email="board@example.org", roles=("advisor",))
    make_user(email="notboard@example.org", roles=("reviewer",))
    admin = sign_in(app, make_user, "admin", email="admin@example.org")
    page = admin.get("/programs/sro-review/advisors").get_data(as_text=True)
    assert "board@example.org" in page and "notboard@example.org" not in page
    with app.app_context():
        board_id = db.session.scalar(select(User.id).where(User.email == "board@example.org"))
        other_id = db.session.scalar(select(User.id).where(User.email == "notboard@example.org"))
    assert post(admin, "/programs/sro-review/advisors", {"advisors": [str(board_id)]}).status_code == 303
    assert post(admin, "/programs/sro-review/advisors", {"advisors": [str(other_id)]}).status_code == 422
    with app.app_context():
        assert [a.user_id for a in db.session.scalars(select(ReviewAccess))] == [board_id]
    assert post(admin, "/programs/sro-review/advisors", {}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ReviewAccess)) is None


def test_staff_who_are_also_advisors_keep_their_staff_pages(app, make_user, board):
    both = sign_in(app, make_user, "reviewer", "advisor", email="both@example.org")
    assert both.get("/review/teachers/comments").status_code == 200
    assert both.get("/staff/").status_code == 200


def test_an_advisor_reads_and_comments_on_the_overall_draft(app, board):
    from engage.services import review_reports

    with app.app_context():
        review = review_by_slug("sro-review")
        report = review_reports.ensure_review_report(review=review, user=None)
        review_reports.build_draft(report=report)
        db.session.commit()
        report_id = report.id
    advisor = board["advisor"]
    url = f"/programs/sro-review/board/reports/{report_id}"
    assert advisor.get(url).status_code == 404  # still being written
    with app.app_context():
        db.session.get(Report, report_id).status = "approved"
        db.session.commit()
    assert f"/board/reports/{report_id}" in advisor.get("/programs/sro-review/board").get_data(as_text=True)
    page = advisor.get(url)
    assert page.status_code == 200 and SECRET not in page.get_data(as_text=True)
    assert post(advisor, url, {"body": "The streams table is clear."}).status_code == 303


def test_an_approved_quote_stays_out_of_the_boards_draft(app, make_user, board):
    """Board members may know the writer: until publication they read the figures, never a participant's words."""
    from engage.models import Answer, ReportQuote, ReportSection

    quote = "Officers help a lot."
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id).where(Answer.text == quote).limit(1))
        db.session.add(ReportQuote(report_id=board["ready"], answer_id=answer_id, text=quote, status="approved"))
        section = db.session.scalar(select(ReportSection).where(ReportSection.report_id == board["ready"],
                                                                 ReportSection.key == "what_we_heard"))
        section.body, section.edited = section.body + "\n\n{{ block:quotes:all }}\n", True
        db.session.commit()
    reviewer = sign_in(app, make_user, "reviewer", email="rev2@example.org")
    assert quote in reviewer.get("/review/teachers/report/preview").get_data(as_text=True)  # staff see it
    page = board["advisor"].get(f"/programs/sro-review/board/reports/{board['ready']}").get_data(as_text=True)
    assert quote not in page and "What we heard" in page
