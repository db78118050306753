"""Flags: personal details go through redaction; safeguarding concerns reach only the designated role."""
import json
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Answer, AuditEvent, CommentFlag, Consultation, User
from engage.services import flags
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in

PHONE_TEXT = "Call Jordan Smith at 403-555-0199 about the officer."
CONCERN_TEXT = "He hit me at home and I am scared to go back."


@pytest.fixture
def flagged(app, make_consultation):
    cid = make_consultation()
    pii_answer, concern_answer, _ = add_responses(app, cid, [
        (PHONE_TEXT, "online", {}, []), (CONCERN_TEXT, "online", {}, []), ("The officer is nice.", "online", {}, []),
    ])
    with app.app_context():
        db.session.add_all([CommentFlag(answer_id=pii_answer, kind="pii", details=["phone", "name"]),
                            CommentFlag(answer_id=concern_answer, kind="safeguarding", details=["abuse"])])
        db.session.commit()
        ids = {f.kind: f.id for f in db.session.scalars(select(CommentFlag))}
    return cid, ids


def _form(client, url):
    return hidden_inputs(client.get(url).get_data(as_text=True))


def test_redaction_sets_the_shown_text_resolves_and_audits_without_the_text(app, make_user, flagged):
    _, ids = flagged
    client = sign_in(app, make_user, "reviewer", email="r@example.org")
    url = f"/review/school-safety/flags/{ids['pii']}/redact"
    page = client.get(url).get_data(as_text=True)
    assert "[phone]" in page  # scrub_pii's proposal is what the reviewer starts from
    proposal = re.search(r"<textarea[^>]*name=\"text\"[^>]*>(.*?)</textarea>", page, re.S).group(1)
    response = client.post(url, data=_form(client, url) | {"text": proposal, "reason": "Phone number and a name"})
    assert response.status_code == 303
    with app.app_context():
        flag = db.session.get(CommentFlag, ids["pii"])
        answer = db.session.get(Answer, flag.answer_id)
        assert flag.status == "resolved" and flag.reason == "Phone number and a name"
        assert answer.text == PHONE_TEXT and "403-555-0199" not in answer.redacted_text
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "redact_comment")).one()
        assert event.details == {"flag_id": ids["pii"], "reason": "Phone number and a name"}
        assert "403" not in json.dumps(event.details) and "Jordan" not in json.dumps(event.details)
    assert "403-555-0199" not in client.get("/review/school-safety/comments").get_data(as_text=True)
    admin = sign_in(app, make_user, "reviewer", "admin", email="a@example.org")
    assert "403-555-0199" in admin.get("/review/school-safety/comments").get_data(as_text=True)
    assert client.get(url).status_code == 404  # a resolved flag cannot be redacted again


def test_redaction_needs_a_reason_and_a_change(app, make_user, flagged):
    _, ids = flagged
    client = sign_in(app, make_user, "reviewer", email="r@example.org")
    url = f"/review/school-safety/flags/{ids['pii']}/redact"
    response = client.post(url, data=_form(client, url) | {"text": "Call [name].", "reason": ""})
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)
    response = client.post(url, data=_form(client, url) | {"text": PHONE_TEXT, "reason": "typo"})
    assert response.status_code == 422 and "same as the original" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CommentFlag, ids["pii"]).status == "open"
        assert db.session.get(Answer, db.session.get(CommentFlag, ids["pii"]).answer_id).redacted_text is None


def test_reviewers_without_the_role_never_see_safeguarding_flags(app, make_user, flagged):
    _, ids = flagged
    client = sign_in(app, make_user, "reviewer", email="r@example.org")
    response = client.get("/review/school-safety/flags?kind=safeguarding")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and CONCERN_TEXT not in html and "safeguarding concerns (" not in html
    assert client.get(f"/review/school-safety/flags/{ids['safeguarding']}/redact").status_code == 404
    data = _form(client, "/review/school-safety/flags") | {"status": "resolved", "note": "done"}
    assert client.post(f"/review/school-safety/flags/{ids['safeguarding']}/close", data=data).status_code == 404
    with app.app_context():
        assert db.session.get(CommentFlag, ids["safeguarding"]).status == "open"


def test_the_designated_role_sees_guidance_and_resolves_with_a_note(app, make_user, flagged):
    cid, ids = flagged
    with app.app_context():
        db.session.get(Consultation, cid).safeguarding_role = "publisher"
        db.session.get(Consultation, cid).safeguarding_guidance = "Phone the duty lead, Ms Example, today."
        db.session.commit()
    client = sign_in(app, make_user, "reviewer", "publisher", email="p@example.org")
    html = client.get("/review/school-safety/flags?kind=safeguarding").get_data(as_text=True)
    assert CONCERN_TEXT in html and "Phone the duty lead, Ms Example, today." in html
    url = f"/review/school-safety/flags/{ids['safeguarding']}/close"
    empty = client.post(url, data=_form(client, "/review/school-safety/flags") | {"status": "resolved", "note": " "})
    assert empty.status_code == 303
    with app.app_context():
        assert db.session.get(CommentFlag, ids["safeguarding"]).status == "open"
    data = _form(client, "/review/school-safety/flags") | {"status": "resolved", "note": "Passed to the duty lead"}
    assert client.post(url, data=data).status_code == 303
    with app.app_context():
        flag = db.session.get(CommentFlag, ids["safeguarding"])
        assert (flag.status, flag.reason) == ("resolved", "Passed to the duty lead")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "resolve_flag")).one()
        assert event.details == {"flag_id": flag.id, "kind": "safeguarding"}  # the note stays on the flag


def test_the_most_urgent_safeguarding_flags_come_first(app, make_user, make_consultation):
    """Many "threat" flags (often opinions about armed officers) must not bury a child's disclosure."""
    cid = make_consultation()
    texts = [f"Threat-ish comment {i}." for i in range(3)] + ["My stepdad hits me.", "I hurt myself.", "Hand-flagged."]
    answers = add_responses(app, cid, [(text, "online", {}, []) for text in texts])
    admin_id = make_user(email="lead@example.org", roles=("admin", "reviewer"))
    with app.app_context():
        kinds = [["threat"], ["threat"], ["threat"], ["violence", "threat"], ["self_harm"], []]
        for answer, details in zip(answers, kinds):  # oldest first, as a run would have flagged them
            db.session.add(CommentFlag(answer_id=answer, kind="safeguarding", details=details,
                                       source="reviewer" if not details else "machine"))
            db.session.flush()
        db.session.commit()
        consultation = db.session.get(Consultation, cid)
        rows = flags.list_flags(consultation=consultation, user=db.session.get(User, admin_id), kind="safeguarding")
    assert [row.text for row in rows] == ["Hand-flagged.", "I hurt myself.", "My stepdad hits me.",
                                          "Threat-ish comment 0.", "Threat-ish comment 1.", "Threat-ish comment 2."]


def test_a_pii_flag_can_be_dismissed(app, make_user, flagged):
    _, ids = flagged
    client = sign_in(app, make_user, "reviewer", email="r@example.org")
    data = _form(client, "/review/school-safety/flags") | {"status": "dismissed", "note": "A made-up number"}
    assert client.post(f"/review/school-safety/flags/{ids['pii']}/close", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(CommentFlag, ids["pii"]).status == "dismissed"
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "dismiss_flag")).one()


def test_unknown_flags_and_other_scopes_are_404(app, make_user, make_consultation, flagged):
    _, ids = flagged
    other = make_consultation("other-one")
    client = sign_in(app, make_user, "reviewer", email="r@example.org")
    assert client.get("/review/school-safety/flags/99999/redact").status_code == 404
    assert client.get(f"/review/other-one/flags/{ids['pii']}/redact").status_code == 404
    scoped = sign_in(app, make_user, "reviewer", "admin", email="s@example.org", consultation_ids=[other])
    assert scoped.get("/review/school-safety/flags").status_code in (200, 404)  # admins reach every consultation
    outsider = sign_in(app, make_user, "reviewer", email="o@example.org", consultation_ids=[other])
    assert outsider.get("/review/school-safety/flags").status_code == 404
    assert outsider.get(f"/review/school-safety/flags/{ids['pii']}/redact").status_code == 404


def test_flag_services_refuse_bad_input(app, flagged):
    _, ids = flagged
    with app.app_context():
        flag = db.session.get(CommentFlag, ids["pii"])
        with pytest.raises(flags.FlagError):
            flags.close_flag(flag=flag, status="deleted", note="x", user=None)
        with pytest.raises(flags.FlagError):
            flags.list_flags(consultation=db.session.get(Consultation, 1), user=None, kind="other")


def test_an_admin_who_is_not_a_reviewer_receives_safeguarding_flags(app, client, login_as, make_consultation):
    """The default safeguarding contact is the admin role, so admins must reach the flags page."""
    from engage.models import CommentFlag, Consultation
    from tests.helpers import fresh_form, valid_answers

    consultation_id = make_consultation()
    data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text="He hit me and I am scared.")
    assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        from engage.models import Answer

        answer_id = db.session.scalar(select(Answer.id).where(Answer.text.is_not(None)))
        db.session.add(CommentFlag(answer_id=answer_id, kind="safeguarding", details=["violence"]))
        db.session.commit()
        assert db.session.get(Consultation, consultation_id).safeguarding_role == "admin"
    login_as("admin")
    page = client.get("/review/school-safety/flags?kind=safeguarding")
    assert page.status_code == 200 and "He hit me" in page.get_data(as_text=True)
