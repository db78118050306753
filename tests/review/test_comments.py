"""The comment browser: filters and search in SQL, counts and pages, redaction shown right, scope and bad input."""
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, CommentFlag, Consultation, Theme
from engage.services import comments
from tests.helpers import hidden_inputs
from tests.review.data_factory import add_responses, sign_in


@pytest.fixture
def consultation_id(app, make_consultation):
    cid = make_consultation(min_group_size=3)
    rows = [(f"The counsellor helped me {i}.", "online", {"role": ["Student"]}, ["Support"]) for i in range(4)]
    rows += [(f"The hallway feels tense {i}.", "paper", {"role": ["Teacher"]}, []) for i in range(2)]
    rows += [('A "quoted" word OR NOT (odd) input*', "online", {}, [])]
    add_responses(app, cid, rows)
    return cid


def _browse(app, consultation_id, sees=True, **args):
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        choices = comments.filter_choices(consultation=consultation, sees_safeguarding=sees)
        filters, problems = comments.parse_filters(args=args, choices=choices)
        page = comments.browse_comments(consultation=consultation, filters=filters, is_admin=False, sees_safeguarding=sees)
        return page, problems, choices


def test_search_channel_theme_and_counts(app, consultation_id):
    page, problems, _ = _browse(app, consultation_id, q="counsellors")  # porter stemming
    assert not problems and page.total == 4 and all("counsellor" in r.text for r in page.rows)
    assert _browse(app, consultation_id, channel="paper")[0].total == 2
    assert _browse(app, consultation_id, q="hallway", channel="online")[0].total == 0
    with app.app_context():
        theme_id = db.session.scalar(select(Theme.id).where(Theme.name == "Support"))
    assert _browse(app, consultation_id, theme=f"c{theme_id}")[0].total == 4
    page = _browse(app, consultation_id)[0]
    assert page.total == 7 and sum(page.facets["question"].values()) == 7


def test_search_input_with_fts_syntax_is_quoted_not_parsed(app, consultation_id):
    assert comments.fts_query('say "hi" OR NOT') == '"say" """hi""" "OR" "NOT"'
    for text in ['"quoted"', "OR NOT (odd", "input*", '"', "AND"]:
        page, problems, _ = _browse(app, consultation_id, q=text)
        assert not problems
    assert _browse(app, consultation_id, q="(odd) input*")[0].total == 1


def test_pages_hold_25_and_the_last_page_the_rest(app, make_consultation):
    cid = make_consultation("many")
    add_responses(app, cid, [(f"Comment number {i}", "online", {}, []) for i in range(30)])
    first, _, _ = _browse(app, cid)
    second, _, _ = _browse(app, cid, page="2")
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (30, 2, 25, 5)
    assert not {r.answer_id for r in first.rows} & {r.answer_id for r in second.rows}
    assert _browse(app, cid, page="99")[0].page == 2


def test_small_groups_are_not_offered_and_cannot_be_forced(app, consultation_id):
    page, problems, choices = _browse(app, consultation_id)
    offered = {label for _, options in choices.segment_groups for _, label in options}
    assert offered == {"Student"} and choices.hidden_groups == 3  # Teacher (2), Racialized and 2SLGBTQ+ (0)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        teacher = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Teacher")
    page, problems, _ = _browse(app, consultation_id, segment=str(teacher))
    assert page.total == 7 and "minimum group size" in problems[0]


def test_a_group_narrowed_below_the_minimum_shows_no_count_and_no_comments(app, client, consultation_id, login_as):
    # Students (4) may be chosen at a minimum of 3; with a search the group narrows to fewer than 3.
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        student = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Student")
    page = _browse(app, consultation_id, segment=str(student))[0]
    assert page.total == 4 and len(page.rows) == 4 and page.hidden_below == 3
    narrowed = _browse(app, consultation_id, segment=str(student), q="counsellor helped 2")[0]
    assert narrowed.total is None and narrowed.rows == []
    # Per question: the one question with a match has 1 (hidden); the others have none, and a zero names nobody.
    assert sorted(set(narrowed.facets["question"].values()), key=str) == [0, None]
    assert _browse(app, consultation_id, q="counsellor helped 2")[0].total == 1  # no group: counted as before
    login_as("reviewer")
    html = client.get(f"/review/school-safety/comments?segment={student}&q=counsellor+helped+2").get_data(as_text=True)
    assert "Fewer than 3 comments" in html and "The counsellor helped me 2." not in html
    assert "(fewer than 3)" in html and not re.search(r"\b1 comment\b", html)


def test_a_part_of_a_group_cannot_be_worked_out_from_the_other_parts(app, client, make_consultation, login_as):
    # Students: 12 online and 2 on paper (minimum 3). Paper is hidden; online must be hidden too, or the
    # group's shown total of 14 less the online 12 would give the paper 2 away.
    cid = make_consultation("parts", min_group_size=3)
    add_responses(app, cid, [(f"Online words {i}.", "online", {"role": ["Student"]}, []) for i in range(12)]
                  + [(f"Paper words {i}.", "paper", {"role": ["Student"]}, []) for i in range(2)])
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        student = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Student")
    assert _browse(app, cid, segment=str(student))[0].total == 14
    paper = _browse(app, cid, segment=str(student), channel="paper")[0]
    online = _browse(app, cid, segment=str(student), channel="online")[0]
    assert (paper.total, paper.covered, paper.rows) == (None, False, [])
    assert (online.total, online.covered, online.rows) == (None, True, [])
    login_as("reviewer")
    html = client.get(f"/review/parts/comments?segment={student}&channel=online").get_data(as_text=True)
    assert "Comments not listed" in html and "Fewer than" not in html and "Online words" not in html


def test_a_sentiment_cannot_be_worked_out_from_the_other_sentiments(app, make_consultation):
    # Students: 12 positive, 2 neutral (minimum 3). Neutral is hidden, and so must positive be, or the group's
    # 14 less 12 positive less 0 negative would give the 2 away.
    from engage.models import AnalysisRun, Answer, CommentAnalysis, Response

    cid = make_consultation("tones", min_group_size=3)
    add_responses(app, cid, [(f"Glad {i}.", "online", {"role": ["Student"]}, []) for i in range(12)]
                  + [(f"Fine {i}.", "online", {"role": ["Student"]}, []) for i in range(2)])
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        student = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Student")
        run = AnalysisRun(consultation_id=cid, version=1, status="done")
        db.session.add(run)
        db.session.flush()
        for answer_id, text in db.session.execute(select(Answer.id, Answer.text).join(Response).where(
                Response.consultation_id == cid)):
            db.session.add(CommentAnalysis(run_id=run.id, answer_id=answer_id,
                                           sentiment=0.8 if text.startswith("Glad") else 0.0))
        db.session.commit()
    neutral = _browse(app, cid, segment=str(student), sentiment="neutral")[0]
    positive = _browse(app, cid, segment=str(student), sentiment="positive")[0]
    negative = _browse(app, cid, segment=str(student), sentiment="negative")[0]
    assert (neutral.total, neutral.covered) == (None, False)
    assert (positive.total, positive.covered, positive.rows) == (None, True, [])
    assert negative.total == 0  # nobody: nothing to protect


def test_bad_filter_values_explain_and_do_not_fail(app, client, consultation_id, login_as):
    login_as("reviewer")
    response = client.get("/review/school-safety/comments?question=abc&theme=x9&sentiment=happy&channel=fax&page=z")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Some filters were not used" in html
    assert "not one of the choices" in html and "Sentiment needs a finished analysis run" in html
    assert "7 comments" in html


def test_reviewers_see_redacted_text_and_only_admins_the_original(app, make_user, consultation_id):
    with app.app_context():
        from engage.models import Answer
        answer = db.session.scalars(select(Answer).where(Answer.text.like("%counsellor helped me 0%"))).one()
        answer.text, answer.redacted_text = "Call Jordan Smith at 403-555-0199", "Call [name] at [phone]"
        db.session.commit()
    reviewer = sign_in(app, make_user, "reviewer", email="r@example.org")
    admin = sign_in(app, make_user, "reviewer", "admin", email="a@example.org")
    seen = reviewer.get("/review/school-safety/comments").get_data(as_text=True)
    assert "Call [name] at [phone]" in seen and "403-555-0199" not in seen and "Jordan" not in seen
    assert "Student" not in seen.split('id="results"')[1]  # no "about you" details beside comments
    assert "403-555-0199" in admin.get("/review/school-safety/comments").get_data(as_text=True)
    # Search runs over the redacted text, so the original cannot be found by searching for it.
    assert "0 comments" in reviewer.get("/review/school-safety/comments?q=Jordan").get_data(as_text=True)


def test_a_reviewer_flags_a_comment_by_hand_once(app, client, consultation_id, login_as):
    login_as("reviewer")
    html = client.get("/review/school-safety/comments?channel=paper").get_data(as_text=True)
    action = re.search(r'action="([^"]*/flag[^"]*)"', html).group(1).replace("&amp;", "&")
    token = hidden_inputs(html)["csrf_token"] if "csrf_token" in hidden_inputs(html) else None
    data = {"kind": "pii"} | ({"csrf_token": token} if token else {})
    for _ in range(2):
        response = client.post(action, data=data)
        assert response.status_code == 303 and "channel=paper" in response.headers["Location"]
    with app.app_context():
        flags = db.session.scalars(select(CommentFlag)).all()
        assert [(f.kind, f.source, f.status) for f in flags] == [("pii", "reviewer", "open")]
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "flag_comment")).all()
        assert len(events) == 1 and events[0].details == {"kind": "pii"}
    assert "1 comment" in client.get("/review/school-safety/comments?flag=pii").get_data(as_text=True)
    response = client.get("/review/school-safety/comments?flag=safeguarding")  # not this reviewer's to see
    assert response.status_code == 400


def test_unknown_comment_and_other_scope_are_404(app, client, consultation_id, login_as, make_consultation):
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/school-safety/comments").status_code == 404
    token = hidden_inputs(client.get("/review/other-one/comments").get_data(as_text=True))
    response = client.post("/review/other-one/comments/00000000-0000-0000-0000-000000000000/flag", data=token | {"kind": "pii"})
    assert response.status_code == 404


def test_sentiment_filter_uses_the_latest_finished_run(app, client, consultation_id, login_as):
    from engage.services import analysis_runs

    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        run = analysis_runs.start_analysis(consultation=consultation, user=None)
        db.session.commit()
        assert analysis_runs.execute_run(run_id=run.id).status == "done"
    totals = {s: _browse(app, consultation_id, sentiment=s)[0].total for s in comments.SENTIMENTS}
    assert sum(totals.values()) == 7 and all(not _browse(app, consultation_id, sentiment=s)[1] for s in totals)
    login_as("reviewer")
    assert client.get("/review/school-safety/comments?sentiment=positive").status_code == 200


def test_comments_not_tied_to_a_question_are_listed_and_filterable(app, client, login_as, make_consultation):
    """Emails and session notes have no question; the browser must still show them."""
    import datetime as dt

    from engage.models import Answer, Consultation, Response
    from engage.services.comments import NO_QUESTION

    consultation_id = make_consultation()
    with app.app_context():
        response = Response(consultation_id=consultation_id, channel="email", submitted_on=dt.date.today())
        response.answers = [Answer(question_id=None, text="An emailed worry about the hallway checks.")]
        db.session.add(response)
        db.session.commit()
        slug = db.session.get(Consultation, consultation_id).slug
    login_as("reviewer")
    everything = client.get(f"/review/{slug}/comments").get_data(as_text=True)
    assert "An emailed worry about the hallway checks." in everything
    only_untied = client.get(f"/review/{slug}/comments?question={NO_QUESTION}").get_data(as_text=True)
    assert "An emailed worry about the hallway checks." in only_untied and "Not tied to a question" in only_untied
