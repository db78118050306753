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


def test_a_group_stands_alone_and_its_comments_carry_nothing_to_count_by(app, client, make_consultation, login_as):
    # Students (6) may be chosen at a minimum of 3. Theme, word, sentiment, channel or flag filters beside a group
    # would count small parts of it (an audit recovered counts of 1 to 9 by adding such views up), so they are
    # left out, with a reason; and the rows do not say their theme, channel or sentiment, which could be counted.
    cid = make_consultation("alone", min_group_size=3)
    # Half of each group coded Support: a theme that all or none of a group share is itself hidden on Segments.
    add_responses(app, cid, [(f"The counsellor helped me {i}.", "online", {"role": ["Student"]}, ["Support"] * (i % 2))
                             for i in range(6)]
                  + [(f"The hallway feels tense {i}.", "paper", {"role": ["Teacher"]}, ["Support"] * (i % 2))
                     for i in range(6)])
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        student = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Student")
        support = db.session.scalar(select(Theme.id).where(Theme.consultation_id == cid, Theme.name == "Support"))
    page, problems, _ = _browse(app, cid, segment=str(student))
    assert not problems and page.total == 6 and len(page.rows) == 6 and page.hidden_below == 3
    assert all((r.channel, r.sentiment, r.themes, r.flags) == ("", None, [], []) for r in page.rows)
    narrowed, problems, _ = _browse(app, cid, segment=str(student), q="counsellor helped 3", theme=f"c{support}",
                                    channel="online")
    assert "only the question can narrow" in problems[0] and narrowed.total == 6
    assert _browse(app, cid, q="counsellor helped 3")[0].total == 1  # no group: as before
    assert _browse(app, cid, theme=f"c{support}")[0].rows[0].themes == ["Support"]
    with app.app_context():  # the service enforces it too, for callers that skip parse_filters
        direct = comments.browse_comments(consultation=db.session.get(Consultation, cid), is_admin=False,
                                          sees_safeguarding=True, filters=comments.CommentFilters(
                                              segment_option_id=student, search="counsellor helped 2"))
        assert direct.total == 6
    login_as("reviewer")
    html = client.get(f"/review/alone/comments?segment={student}&q=counsellor+helped+3").get_data(as_text=True)
    assert "The counsellor helped me 0." in html and "The counsellor helped me 5." in html
    assert "Themes: Support" not in html and "Online" not in html.split('id="results"')[1]


def test_a_question_part_of_a_group_cannot_be_read_off_its_list_or_worked_out(app, client, make_consultation,
                                                                             login_as):
    # Students: 12 comments on the question and 2 session notes tied to no question (minimum 3). The notes'
    # 2 is hidden, and the question's 12 too, or 14 less 12 would give it away. Listing all 14 would show
    # it as well (each row names its question), so the list waits for a question to be chosen.
    from engage.models import Answer

    cid = make_consultation("parts", min_group_size=3)
    ids = add_responses(app, cid, [(f"Words {i}.", "online", {"role": ["Student"]}, []) for i in range(14)])
    with app.app_context():
        for answer_id in ids[:2]:
            db.session.get(Answer, answer_id).question_id = None
        db.session.commit()
        consultation = db.session.get(Consultation, cid)
        student = next(o.id for f in consultation.segment_fields for o in f.options if o.label == "Student")
        question = next(q.id for q in consultation.questions if q.kind == "text")
    whole = _browse(app, cid, segment=str(student))[0]
    # Nor the group's total: less the question's 12, published on the Segments page, it would give the 2 away.
    assert (whole.total, whole.rows, whole.choose_question) == (None, [], True)
    assert whole.facets["question"][str(comments.NO_QUESTION)] is None and whole.facets["question"][str(question)] is None
    notes = _browse(app, cid, segment=str(student), question=str(comments.NO_QUESTION))[0]
    answered = _browse(app, cid, segment=str(student), question=str(question))[0]
    assert (notes.total, notes.rows) == (None, []) and (answered.total, answered.rows) == (None, [])
    assert _browse(app, cid, question=str(question))[0].total == 12  # without a group, counted as before
    login_as("reviewer")
    for url in (f"/review/parts/comments?segment={student}", f"/review/parts/comments?segment={student}&question={question}"):
        html = client.get(url).get_data(as_text=True)
        assert "Words 5." not in html and "(hidden)" in html
        assert "fewer than" not in html.lower()  # one word for every hidden count: it must not say which is small
    assert "Choose a question to read them" in client.get(f"/review/parts/comments?segment={student}").get_data(as_text=True)


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
