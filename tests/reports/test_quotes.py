"""Quotes for the report: verbatim scrubbed text, the re-identification check, and a publisher's approval."""
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    AnalysisRun, Answer, AuditEvent, CommentFlag, Consultation, MachineTheme, Report, ReportQuote, SegmentField,
    SegmentOption, Theme,
)
from engage.services import quotes
from engage.services.reports import ensure_report
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in

BASE = "/review/school-safety/report/quotes"
PLAIN = "The officer is friendly and helps students feel safe at school."
PHONE = "Call me at 403-555-0199 because the officer really helped my family."


@pytest.fixture
def consultation(app, make_consultation):
    """Five teachers (the public minimum here) and two students; every comment is coded to "Safety"."""
    cid = make_consultation(min_group_size=5, public_min_group_size=5)
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        consultation.segment_fields.append(SegmentField(key="school", position=2, label="Your school", options=[
            SegmentOption(position=0, label="Westview Secondary"), SegmentOption(position=1, label="Eastside Elementary")]))
        db.session.commit()
    teachers = [(f"Teachers said the officer is friendly and helps students feel safe, {word}.", "online",
                 {"role": ["Teacher"]}, ["Safety"]) for word in ("mostly", "often", "usually", "always")]
    ids = add_responses(app, cid, [
        (PLAIN, "online", {"role": ["Teacher"]}, ["Safety"]),
        ("I told Maria about it and she agreed the officer was kind to us.", "online", {"role": ["Student"]}, ["Safety"]),
        (PHONE, "online", {"role": ["Student"]}, ["Safety"]),
        *teachers,
    ])
    return cid, dict(zip(("plain", "maria", "phone"), ids))


def _theme_id(app, cid, name="Safety"):
    with app.app_context():
        return db.session.scalar(select(Theme.id).where(Theme.consultation_id == cid, Theme.name == name))


def _token(client, url=BASE):
    return hidden_inputs(client.get(url).get_data(as_text=True))


def _propose(client, answer_id, theme_id=None):
    data = _token(client, f"{BASE}/candidates") | {"answer_id": str(answer_id), "theme": theme_id or ""}
    return client.post(f"{BASE}/propose", data=data)


def _quote(app, answer_id) -> ReportQuote:
    with app.app_context():
        quote = db.session.scalar(select(ReportQuote).where(ReportQuote.answer_id == answer_id))
        db.session.expunge(quote)
        return quote


@pytest.fixture
def people(app, make_user, consultation):
    return {"reviewer": sign_in(app, make_user, "reviewer", email="r@example.org"),
            "publisher": sign_in(app, make_user, "publisher", email="p@example.org")}


def test_the_check_warns_about_names_schools_places_rare_details_and_small_groups(app, consultation):
    cid, _ = consultation
    add_responses(app, cid, [("I play the trombone and the officer came to band class.", "online", {}, [])])
    with app.app_context():
        c = db.session.get(Consultation, cid)

        def kinds(text, **label):
            found = quotes.reidentification_warnings(consultation=c, text=text, **label)
            assert all(w["message"] for w in found)
            return {w["kind"]: w["message"] for w in found}

        assert kinds(PLAIN) == {}
        assert "Maria" in kinds("I told Maria about it and she agreed.")["person"]
        assert "Westview" in kinds("At Westview the officer stands by the doors.")["school"]
        assert "Lincoln High" in kinds("My cousin at Lincoln High says the same.")["school"]
        assert "Oakridge" in kinds("Kids hang out near Oakridge after class.")["place"]
        assert "Maple Street" in kinds("The officer parks on Maple Street every day.")["place"]
        assert "I am 13" in kinds("I am 13 and the officer scares me.")["rare"]
        assert "the only Black teacher" in kinds("I am the only Black teacher here.")["rare"]
        assert "March 3" in kinds("On March 3 the officer came to class.")["rare"]
        assert "trombone" in kinds("I play the trombone and the officer came to band class.")["rare"]
        assert "Fewer than 5" in kinds(PLAIN, segment_label="Student", group_size=2)["label"]
        assert "label" not in kinds(PLAIN, segment_label="Teacher", group_size=5)
        # The consultation's own words are public context, not a clue: its title names the school safety check-in.
        assert kinds("The School Safety Check-In was useful.") == {}


def test_quotes_are_scrubbed_verbatim_text_and_never_hold_a_phone_number(app, people, consultation):
    cid, ids = consultation
    reviewer = people["reviewer"]
    page = reviewer.get(f"{BASE}/candidates?theme={_theme_id(app, cid)}").get_data(as_text=True)
    assert "403-555-0199" not in page and "Call me at [phone] because the officer really helped my family." in page
    assert _propose(reviewer, ids["phone"], _theme_id(app, cid)).status_code == 303
    quote = _quote(app, ids["phone"])
    assert quote.text == "Call me at [phone] because the officer really helped my family."
    assert quote.segment_label == "Student" and quote.status == "proposed" and quote.theme_id == _theme_id(app, cid)
    assert "403-555-0199" not in people["publisher"].get(BASE).get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "propose_quote")).one()
        assert "403" not in str(event.details) and "officer" not in str(event.details)


def test_proposing_the_same_comment_twice_stores_one_quote(app, people, consultation):
    cid, ids = consultation
    for _ in range(2):
        assert _propose(people["reviewer"], ids["plain"], _theme_id(app, cid)).status_code == 303
    with app.app_context():
        assert len(db.session.scalars(select(ReportQuote).where(ReportQuote.answer_id == ids["plain"])).all()) == 1
    page = people["reviewer"].get(f"{BASE}/candidates").get_data(as_text=True)
    assert "Already a quote:" in page


def test_only_a_publisher_approves(app, people, client, consultation):
    _, ids = consultation
    _propose(people["reviewer"], ids["plain"])
    quote = _quote(app, ids["plain"])
    url = f"{BASE}/{quote.id}/approve"
    assert people["reviewer"].post(url, data=_token(people["reviewer"])).status_code == 403
    anonymous_token = hidden_inputs(client.get("/auth/login").get_data(as_text=True))
    for response in (client.post(url, data=anonymous_token), client.get(BASE)):
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]
    assert _quote(app, ids["plain"]).status == "proposed"
    response = people["publisher"].post(url, data=_token(people["publisher"]))
    assert response.status_code == 303
    approved = _quote(app, ids["plain"])
    assert approved.status == "approved" and approved.show_label is False and approved.decided_by_id is not None
    with app.app_context():
        report = db.session.get(Report, quote.report_id)
        assert [q.id for q in quotes.approved_quotes(report=report)] == [quote.id]
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "approve_quote")).one().target_id == quote.id


def test_the_group_label_is_refused_for_a_small_group_and_allowed_for_a_large_one(app, people, consultation):
    _, ids = consultation
    _propose(people["reviewer"], ids["phone"])  # a student: 2 students, fewer than the minimum of 5
    _propose(people["reviewer"], ids["plain"])  # a teacher: 5 teachers
    student, teacher = _quote(app, ids["phone"]), _quote(app, ids["plain"])
    assert [w["kind"] for w in student.warnings] == ["label"] and teacher.warnings == []
    publisher = people["publisher"]
    page = publisher.get(BASE).get_data(as_text=True)
    assert re.search(rf'id="show-label-{student.id}"[^>]*disabled', page)
    assert not re.search(rf'id="show-label-{teacher.id}"[^>]*disabled', page)
    response = publisher.post(f"{BASE}/{student.id}/approve", data=_token(publisher) | {"show_label": "y"})
    assert response.status_code == 400 and "Fewer than 5 respondents chose “Student”" in response.get_data(as_text=True)
    assert _quote(app, ids["phone"]).status == "proposed"
    # Without the label it may be approved: the only warning is about the label.
    assert publisher.post(f"{BASE}/{student.id}/approve", data=_token(publisher)).status_code == 303
    assert publisher.post(f"{BASE}/{teacher.id}/approve", data=_token(publisher) | {"show_label": "y"}).status_code == 303
    assert _quote(app, ids["phone"]).show_label is False and _quote(app, ids["plain"]).show_label is True


def test_a_quote_with_warnings_needs_them_checked_and_can_be_rejected_with_a_reason(app, people, consultation):
    _, ids = consultation
    _propose(people["reviewer"], ids["maria"])
    quote = _quote(app, ids["maria"])
    assert {"person", "label"} <= {w["kind"] for w in quote.warnings}
    publisher = people["publisher"]
    page = publisher.get(BASE).get_data(as_text=True)
    assert "May name a person: “Maria”" in page
    response = publisher.post(f"{BASE}/{quote.id}/approve", data=_token(publisher))
    assert response.status_code == 400 and "I have checked the warnings" in response.get_data(as_text=True)
    response = publisher.post(f"{BASE}/{quote.id}/reject", data=_token(publisher) | {"reason": "  "})
    assert response.status_code == 400 and "Give a reason" in response.get_data(as_text=True)
    assert _quote(app, ids["maria"]).status == "proposed"
    response = publisher.post(f"{BASE}/{quote.id}/reject", data=_token(publisher) | {"reason": "Names a student"})
    assert response.status_code == 303
    rejected = _quote(app, ids["maria"])
    assert rejected.status == "rejected" and rejected.reason == "Names a student"
    # A rejected comment is not quietly proposed again.
    assert _propose(people["reviewer"], ids["maria"]).status_code == 400


def test_a_redaction_after_approval_lapses_the_approval(app, people, consultation):
    cid, ids = consultation
    _propose(people["reviewer"], ids["plain"])
    quote = _quote(app, ids["plain"])
    publisher = people["publisher"]
    publisher.post(f"{BASE}/{quote.id}/approve", data=_token(publisher))
    with app.app_context():
        db.session.get(Answer, ids["plain"]).redacted_text = "The officer is friendly at [school]."
        db.session.commit()
        report = ensure_report(consultation=db.session.get(Consultation, cid), user=None)
        assert quotes.approved_quotes(report=report) == []  # never the old text, even before a refresh
    page = publisher.get(BASE).get_data(as_text=True)
    assert "must be approved again" in page
    lapsed = _quote(app, ids["plain"])
    assert lapsed.status == "proposed" and lapsed.text == "The officer is friendly at [school]."
    assert lapsed.decided_by_id is None
    assert publisher.post(f"{BASE}/{quote.id}/approve", data=_token(publisher)).status_code == 303
    assert _quote(app, ids["plain"]).status == "approved"


def test_approving_a_quote_whose_comment_changed_refreshes_it_instead(app, people, consultation):
    _, ids = consultation
    _propose(people["reviewer"], ids["plain"])
    quote = _quote(app, ids["plain"])
    publisher = people["publisher"]
    token = _token(publisher)
    with app.app_context():
        db.session.get(Answer, ids["plain"]).redacted_text = "The officer is friendly and kind."
        db.session.commit()
    response = publisher.post(f"{BASE}/{quote.id}/approve", data=token)
    assert response.status_code == 409 and "redacted after this quote was proposed" in response.get_data(as_text=True)
    refreshed = _quote(app, ids["plain"])
    assert refreshed.status == "proposed" and refreshed.text == "The officer is friendly and kind."


def test_unknown_and_foreign_ids_give_404(app, people, make_consultation, consultation):
    cid, ids = consultation
    other = make_consultation("other-review", title="Another review")
    (foreign_answer,) = add_responses(app, other, [(PLAIN, "online", {}, ["Elsewhere"])])
    with app.app_context():
        report = ensure_report(consultation=db.session.get(Consultation, other), user=None)
        foreign = ReportQuote(report_id=report.id, answer_id=foreign_answer, text=PLAIN)
        db.session.add(foreign)
        db.session.commit()
        foreign_id, foreign_report = foreign.id, report.id
    reviewer, publisher = people["reviewer"], people["publisher"]
    assert publisher.post(f"{BASE}/{foreign_id}/approve", data=_token(publisher)).status_code == 404
    assert publisher.post(f"{BASE}/999999/reject", data=_token(publisher) | {"reason": "x"}).status_code == 404
    assert reviewer.post(f"{BASE}/{foreign_id}/withdraw", data=_token(reviewer)).status_code == 404
    assert _propose(reviewer, foreign_answer).status_code == 404
    assert _propose(reviewer, "3f1c6a8e-0000-4000-8000-000000000000").status_code == 404
    assert reviewer.get(f"{BASE}/candidates?theme={_theme_id(app, other, 'Elsewhere')}").status_code == 404
    response = reviewer.get(f"{BASE}/candidates?theme=abc")
    assert response.status_code == 400 and "Choose a theme from the list." in response.get_data(as_text=True)
    response = _propose(reviewer, "not-an-id")
    assert response.status_code == 400 and "Choose a comment from the list." in response.get_data(as_text=True)
    assert reviewer.get(f"{BASE}?status=everything").status_code == 400
    with app.app_context():
        assert db.session.get(ReportQuote, foreign_id).status == "proposed"
        assert db.session.scalars(select(ReportQuote).where(ReportQuote.report_id != foreign_report)).all() == []


def test_comments_with_an_open_safeguarding_flag_are_not_candidates(app, people, consultation):
    cid, ids = consultation
    with app.app_context():
        db.session.add(CommentFlag(answer_id=ids["plain"], kind="safeguarding", details=["abuse"]))
        db.session.commit()
    reviewer = people["reviewer"]
    url = f"{BASE}/candidates?theme={_theme_id(app, cid)}"
    assert PLAIN not in reviewer.get(url).get_data(as_text=True)
    assert "I told Maria" in reviewer.get(url).get_data(as_text=True)
    response = _propose(reviewer, ids["plain"])
    assert response.status_code == 400 and "open flag" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ReportQuote)).all() == []
        db.session.scalars(select(CommentFlag)).one().status = "resolved"
        db.session.commit()
    assert PLAIN in reviewer.get(url).get_data(as_text=True)


def test_publishers_decide_but_do_not_propose_and_reviewers_withdraw(app, people, consultation):
    _, ids = consultation
    assert _propose(people["publisher"], ids["plain"]).status_code == 403
    _propose(people["reviewer"], ids["plain"])
    quote = _quote(app, ids["plain"])
    assert people["publisher"].post(f"{BASE}/{quote.id}/withdraw", data=_token(people["publisher"])).status_code == 403
    assert people["reviewer"].post(f"{BASE}/{quote.id}/withdraw", data=_token(people["reviewer"])).status_code == 303
    with app.app_context():
        assert db.session.get(ReportQuote, quote.id) is None
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "withdraw_quote")).one()


def test_the_appendix_proposes_every_safe_comment_and_approves_those_without_warnings(app, people, consultation):
    cid, ids = consultation
    add_responses(app, cid, [("n/a", "online", {}, [])])
    with app.app_context():
        db.session.add(CommentFlag(answer_id=ids["phone"], kind="pii", details=["phone"]))
        db.session.commit()
    reviewer, publisher = people["reviewer"], people["publisher"]
    assert reviewer.post(f"{BASE}/appendix/propose", data=_token(reviewer)).status_code == 303
    with app.app_context():
        proposed = db.session.scalars(select(ReportQuote)).all()
        answers = {q.answer_id for q in proposed}
        assert ids["phone"] not in answers and len(proposed) == 6  # 8 comments less the flagged one and "n/a"
        clean = {q.id for q in proposed if not q.warnings}
        assert clean and clean != {q.id for q in proposed}  # Maria's comment has warnings
    assert reviewer.post(f"{BASE}/appendix/propose", data=_token(reviewer)).status_code == 303
    assert reviewer.post(f"{BASE}/appendix/approve", data=_token(reviewer)).status_code == 403
    assert publisher.post(f"{BASE}/appendix/approve", data=_token(publisher)).status_code == 303
    with app.app_context():
        after = db.session.scalars(select(ReportQuote)).all()
        assert len(after) == 6
        assert {q.id for q in after if q.status == "approved"} == clean
        assert all(not q.show_label for q in after)


def test_the_analysis_representative_comments_come_first_among_candidates(app, people, consultation):
    cid, ids = consultation
    with app.app_context():
        run = AnalysisRun(consultation_id=cid, version=1, status="done")
        run.themes = [MachineTheme(position=0, label="Safety", size=7, quote_answer_ids=[str(ids["maria"])])]
        db.session.add(run)
        db.session.flush()
        db.session.get(Theme, _theme_id(app, cid)).machine_theme_id = run.themes[0].id
        db.session.commit()
    for url in (f"{BASE}/candidates?theme={_theme_id(app, cid)}", f"{BASE}/candidates"):
        page = people["reviewer"].get(url).get_data(as_text=True)
        first = re.search(r'<blockquote class="quote">(.*?)</blockquote>\s*<p class="meta">(.*?)</p>', page, re.S)
        assert first.group(1).startswith("I told Maria") and "representative" in first.group(2)
        assert page.count("representative of the theme") == 1
