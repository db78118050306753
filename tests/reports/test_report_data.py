"""The report data dict, section by section, against a coded consultation whose counts are known by construction.

Public minimum 5 (identity groups 8); the staff screens' minimum is 10, so a count from 5 to 9 that is shown
proves the public minimum was used, and an identity group of 7 that is hidden proves the identity minimum was.
"""
import datetime as dt
import json

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import (
    AnalysisRun, Answer, Code, CodingSample, CodingSampleItem, Commitment, CommitmentTheme, CommentAnalysis,
    Consultation, EngagementSession, Finding, MachineTheme, Report, ReportQuote, Response, SampleCoding, Theme,
)
from engage.services.quotes import shown_quote_text
from engage.services.report_data import build_report_data
from engage.services.segments import SegmentError
from tests.review.data_factory import add_responses

N = 40
TODAY = dt.date.today()


def _role(i):
    return ["Student"] if i < 24 else ["Teacher"] if i < 36 else []  # 24, 12 and 4 not stated


def _groups(i):  # Racialized 0-23 (24), 2SLGBTQ+ 20-26 (7): 27 answered, 13 did not
    return (["Racialized"] if i < 24 else []) + (["2SLGBTQ+"] if 20 <= i <= 26 else [])


def _q1_themes(i):  # Safety 0-19 (20), Trust 14-27 (14), Cost 30-32 (3); 28, 29, 33-39 none
    return (["Safety"] if i < 20 else []) + (["Trust"] if 14 <= i <= 27 else []) + (["Cost"] if 30 <= i <= 32 else [])


def _q5_theme(i):  # 15 people answer "Anything else?", one theme each: Safety 8, Trust 6, Cost 1
    return "Safety" if i < 8 else "Trust" if i < 14 else "Cost" if i == 14 else None


def _score(i):
    return (0.6, 0.0, -0.6)[i % 3]


@pytest.fixture
def coded(app, make_consultation, make_user):
    """40 respondents, 5 focus-group notes, codes, a finished run with sentiment, a double-coding sample."""
    cid = make_consultation(min_group_size=5, public_min_group_size=5, identity_min_group_size=8)
    rows = []
    for i in range(N):
        segments = {"role": _role(i)} if _role(i) else {}
        if _groups(i):
            segments["groups"] = _groups(i)
        rows.append((f"comment {i}", "paper" if i % 4 == 3 else "online", segments, _q1_themes(i)))
    q1_answers = add_responses(app, cid, rows)
    coder_a, coder_b = make_user(email="a@example.org"), make_user(email="b@example.org")
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        q = {question.position: question for question in consultation.questions}
        themes = {t.name: t for t in db.session.scalars(select(Theme).where(Theme.consultation_id == cid))}
        responses = [db.session.get(Answer, a).response_id for a in q1_answers]
        tell, act = {o.label: o.id for o in q[2].options}, {o.label: o.id for o in q[3].options}
        run = AnalysisRun(consultation_id=cid, version=1, status="done", finished_at=dt.datetime(2024, 5, 2, 9))
        db.session.add(run)
        db.session.flush()
        machine = MachineTheme(run_id=run.id, position=0, label="Feeling safe", keywords=["safe", "police"], size=12)
        db.session.add(machine)
        db.session.flush()
        q5_answers = {}
        for i, response_id in enumerate(responses):
            if _q5_theme(i):
                answer = Answer(response_id=response_id, question_id=q[4].id, text=f"more {i}")
                db.session.add(answer)
                db.session.flush()
                q5_answers[i] = answer.id
                db.session.add(Code(answer_id=answer.id, theme_id=themes[_q5_theme(i)].id))
            if i < 24:  # Who would you tell? A teacher 20, a friend 4
                db.session.add(Answer(response_id=response_id, question_id=q[2].id,
                                      option_id=tell["A teacher" if i < 20 else "A friend"]))
            if i < 36:  # I feel safe: Agree 20, Strongly agree 12, Disagree 4; 4 skipped
                db.session.add(Answer(response_id=response_id, question_id=q[1].id,
                                      scale_value=4 if i < 20 else 5 if i < 32 else 2))
            for label, chosen in (("Talk", i < 10), ("Teach", 5 <= i <= 12), ("Leave", i in (13, 14))):
                if chosen:  # Talk 10, Teach 8, Leave 2, out of 15 people
                    db.session.add(Answer(response_id=response_id, question_id=q[3].id, option_id=act[label]))
            db.session.add(CommentAnalysis(run_id=run.id, answer_id=q1_answers[i], sentiment=_score(i),
                                           theme_scores=[[machine.id, 0.9]] if i < 12 else []))
        session = EngagementSession(consultation_id=cid, channel="focus_group", held_on=TODAY - dt.timedelta(days=3),
                                    attendees=9)
        db.session.add(session)
        db.session.flush()
        for k in range(5):  # notes are comments from a session, never respondents, even when coded
            note = Response(consultation_id=cid, channel="focus_group", submitted_on=TODAY - dt.timedelta(days=3),
                            engagement_session_id=session.id)
            note.answers.append(Answer(text=f"note {k}"))
            db.session.add(note)
            db.session.flush()
            db.session.add(Code(answer_id=note.answers[0].id, theme_id=themes["Cost"].id))
        # Double coding of comments 0-9: A says Safety on 0-4, B on 0-3, nothing else. Over 3 themes x 10
        # items: 29 of 30 decisions agree; p_e = (5*4 + 25*26) / 900 = 670/900; kappa = 200/230.
        sample = CodingSample(consultation_id=cid, coder_a_id=coder_a, coder_b_id=coder_b,
                              items=[CodingSampleItem(answer_id=a) for a in q1_answers[:10]])
        db.session.add(sample)
        db.session.flush()
        for i, answer_id in enumerate(q1_answers[:10]):
            db.session.add(SampleCoding(sample_id=sample.id, answer_id=answer_id, coder_id=coder_a,
                                        theme_ids=[themes["Safety"].id] if i < 5 else []))
            db.session.add(SampleCoding(sample_id=sample.id, answer_id=answer_id, coder_id=coder_b,
                                        theme_ids=[themes["Safety"].id] if i < 4 else []))
        db.session.commit()
        return {"id": cid, "q": {k: v.id for k, v in q.items()}, "themes": {k: v.id for k, v in themes.items()},
                "q1_answers": q1_answers, "q5_answers": q5_answers, "machine": machine.id}


def _build(app, cid, **kwargs):
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        report = kwargs.pop("report_id", None)
        return build_report_data(consultation=consultation, report=report and db.session.get(Report, report), **kwargs)


def _rows(table):
    return {r["label"]: r for r in table["rows"]}


def _table(data, label):
    return next(t for t in data["participation"]["tables"] if t["label"] == label)


def test_the_report_never_goes_below_the_minimum_participants_were_promised(app, coded):
    """The form and the introduction promise `min_group_size`; a lower public minimum must not undercut it."""
    with app.app_context():
        consultation = db.session.get(Consultation, coded["id"])
        consultation.min_group_size = 20
        db.session.commit()
        assert consultation.public_minimum() == 20 and consultation.public_minimum(identity=True) == 20
        consultation.identity_min_group_size = 25
        assert consultation.public_minimum(identity=True) == 25
        db.session.rollback()
    data = _build(app, coded["id"])
    assert data["public_min"] == 20 and data["identity_min"] == 20
    channel = _table(data, "Channel (how people took part)")
    assert channel["min"] == 20 and all(row["n"] is None for row in channel["rows"])  # 30 and 10 of 40: both hidden


def test_participation_totals_and_suppressed_breakdowns(app, coded):
    data = _build(app, coded["id"])
    assert json.loads(json.dumps(data)) == data  # JSON as it is: string keys, no dates or sets
    assert data["schema"] == 1 and data["public_min"] == 5 and data["identity_min"] == 8
    part = data["participation"]
    assert part["respondents"] == 40 and part["comments"] == 40 + 15
    assert part["sessions"] == 1 and part["session_comments"] == 5
    assert part["first_day"] == (TODAY - dt.timedelta(days=3)).isoformat() and part["last_day"] == TODAY.isoformat()
    assert part["channels"] == ["Online form", "Paper survey", "Focus group"]
    channel = _table(data, "Channel (how people took part)")
    assert channel["total"] == 40 and channel["min"] == 5 and not channel["identity"]
    assert _rows(channel) == {"Online form": {"label": "Online form", "n": 30, "share": 0.75},
                              "Paper survey": {"label": "Paper survey", "n": 10, "share": 0.25}}
    role = _table(data, "Which describes you?")
    assert [r["label"] for r in role["rows"]] == ["Student", "Teacher", "Not stated"]
    # 4 not stated is below 5, and Teacher (12) is hidden with it: otherwise 40 - 24 - 12 gives the 4 away.
    assert [(r["n"], r["share"]) for r in role["rows"]] == [(24, 0.6), (None, None), (None, None)]
    groups = _table(data, "Your groups")
    assert groups["identity"] and groups["min"] == 8 and groups["note"]
    # 2SLGBTQ+ has 7 people: enough for the public minimum of 5, not for the identity minimum of 8.
    assert _rows(groups) == {"Racialized": {"label": "Racialized", "n": 24, "share": 0.6},
                             "2SLGBTQ+": {"label": "2SLGBTQ+", "n": None, "share": None}}
    assert "Focus group" not in _rows(channel)  # session notes are not people


def test_themes_per_question_and_overall(app, coded):
    data = _build(app, coded["id"])
    t, q = coded["themes"], coded["q"]
    questions = {x["id"]: x for x in data["questions"]}
    assert [x["position"] for x in data["questions"]] == [0, 1, 2, 3, 4]
    first = questions[q[0]]
    assert first["kind"] == "text" and first["required"] and first["respondents"] == 40 and first["options"] == []
    by_name = {x["name"]: x for x in first["themes"]}
    assert (by_name["Safety"]["n"], by_name["Safety"]["share"]) == (20, 0.5)
    assert (by_name["Trust"]["n"], by_name["Trust"]["share"]) == (14, 0.35)
    assert by_name["Cost"]["n"] is None and by_name["Cost"]["share"] is None  # 3 people
    # Sentiment of Safety's 20: 7 positive, 7 neutral, 6 negative, mean (7 - 6) * 0.6 / 20 = 0.03 (neutral).
    assert by_name["Safety"]["sentiment"] == {"mean": 0.03, "label": "neutral", "positive": 7, "neutral": 7,
                                              "negative": 6}
    # Trust's 14: 5 positive, 4 neutral, 5 negative. 4 is below 5, so no split is shown; the mean is.
    assert by_name["Trust"]["sentiment"] == {"mean": 0.0, "label": "neutral", "positive": None, "neutral": None,
                                             "negative": None}
    assert by_name["Cost"]["sentiment"]["mean"] is None and by_name["Cost"]["sentiment"]["label"] is None
    last = {x["name"]: x for x in questions[q[4]]["themes"]}
    assert questions[q[4]]["respondents"] == 15
    # One theme each, so the counts add up to 15: Cost (1) is hidden and so is Trust (6), or 15 - 8 gives it away.
    assert (last["Safety"]["n"], last["Trust"]["n"], last["Cost"]["n"]) == (8, None, None)
    overall = {x["name"]: x for x in data["themes"]}
    # Across both questions: Safety 0-19, Trust 8-27, Cost 14 and 30-32 (4, hidden). Session notes do not count.
    assert [(overall[n]["n"], overall[n]["share"]) for n in ("Safety", "Trust", "Cost")] == [
        (20, 0.5), (20, 0.5), (None, None)]
    assert overall["Safety"]["question_ids"] == [q[0], q[4]] and overall["Trust"]["question_ids"] == [q[0]]
    assert overall["Cost"]["question_ids"] == [] and overall["Safety"]["id"] == t["Safety"]


def test_choice_and_scale_questions(app, coded):
    questions = {x["position"]: x for x in _build(app, coded["id"])["questions"]}
    scale, single, multiple = questions[1], questions[2], questions[3]
    assert scale["respondents"] == 36 and scale["themes"] == []
    assert [(o["label"], o["n"]) for o in scale["options"]] == [
        ("Strongly disagree", None), ("Disagree", None), ("Neither agree nor disagree", None), ("Agree", 20),
        ("Strongly agree", 12)]
    assert scale["options"][3]["share"] == round(20 / 36, 4)
    # A teacher 20, a friend 4: the answers add up to the 24 who answered, so hiding 4 hides 20 too.
    assert single["respondents"] == 24
    assert [(o["label"], o["n"], o["share"]) for o in single["options"]] == [("A teacher", None, None),
                                                                             ("A friend", None, None)]
    assert multiple["respondents"] == 15
    assert [(o["label"], o["n"]) for o in multiple["options"]] == [("Talk", 10), ("Teach", 8), ("Leave", None)]


def test_segment_tables(app, coded):
    data = _build(app, coded["id"])
    t = coded["themes"]
    # Cost's overall count is hidden, so it is in no segment table. Tables with fewer than two groups shown
    # (role: Student only; 2SLGBTQ+: 7 in the group) would say nothing the totals do not, and are left out.
    assert [s["key"] for s in data["segments"]] == ["channel", "o3"]
    channel, racialized = data["segments"]
    # A group option splits everyone in two: the 13 who did not answer are in "Everyone else" with the 3 who
    # answered without ticking it, so no "not stated" row is shared with the 2SLGBTQ+ table.
    assert [(r["label"], r["n"]) for r in racialized["rows"]] == [("In this group", 24), ("Everyone else", 16)]
    assert channel["theme_ids"] == [t["Safety"], t["Trust"]] and channel["total"] == 40 and channel["min"] == 5
    online, paper = channel["rows"]
    assert (online["label"], online["n"], paper["label"], paper["n"]) == ("Online form", 30, "Paper survey", 10)
    # Paper is every fourth person: Safety 3, 7, 11, 15, 19 and Trust 11 ... 27, five each (shown at 5, not 10).
    assert paper["themes"] == {str(t["Safety"]): {"n": 5, "share": 0.5}, str(t["Trust"]): {"n": 5, "share": 0.5}}
    assert online["themes"][str(t["Safety"])] == {"n": 15, "share": 0.5}
    # Mean tone of the 10 paper respondents (3, 7, ..., 39): scores 0.0, -0.6, 0.6, 0.0, ... as i % 3.
    expected = sum((0.6, 0.0, -0.6)[i % 3] for i in range(3, 40, 4)) / 10
    assert paper["mean_sentiment"] == round(expected, 4)


def _finding(cid, title, **data):
    base = {"source": "codes", "question_id": None, "group_share": 0.5, "rest_share": 0.5}
    return Finding(consultation_id=cid, title=title, note="a note", data=base | data)


def test_findings_are_kept_only_when_safe_at_the_public_minimum(app, coded):
    cid = coded["id"]
    channel, role = "Channel (how people took part)", "Which describes you?"
    with app.app_context():
        db.session.add_all([
            _finding(cid, "kept: online safety", dimension=channel, value="Online form", feature="Safety",
                     group_n=30, rest_n=10),
            _finding(cid, "kept: students and trust", dimension=role, value="Student", feature="Trust",
                     group_n=24, group_share=0.6667, rest_n=16, rest_share=0.25),
            _finding(cid, "teachers are hidden in the role table", dimension=role, value="Teacher",
                     feature="Trust", group_n=12, rest_n=28),
            _finding(cid, "identity group of 7", dimension="2SLGBTQ+", value="In this group", feature="Safety",
                     group_n=7, rest_n=33),
            _finding(cid, "rest below the minimum", dimension=channel, value="Online form", feature="Safety",
                     group_n=36, rest_n=4),
            _finding(cid, "3 people in the group", dimension=channel, value="Paper survey", feature="Safety",
                     group_n=10, group_share=0.3, rest_n=30),
            _finding(cid, "a hidden theme", dimension=channel, value="Online form", feature="Cost",
                     group_n=30, rest_n=10),
            _finding(cid, "other source", dimension=channel, value="Online form", feature="Safety",
                     group_n=30, rest_n=10, source="machine"),
            _finding(cid, "a field that is gone", dimension="Old field", value="x", feature="Safety",
                     group_n=30, rest_n=10),
        ])
        db.session.commit()
    findings = _build(app, cid)["findings"]
    assert [f["title"] for f in findings] == ["kept: online safety", "kept: students and trust"]
    assert findings[1] == {"id": findings[1]["id"], "title": "kept: students and trust", "note": "a note",
                           "dimension": role, "value": "Student", "feature": "Trust", "group_n": 24,
                           "group_share": 0.6667, "rest_n": 16, "rest_share": 0.25}


def test_quotes_are_approved_only_and_small_group_labels_are_removed(app, coded):
    t, q, a = coded["themes"], coded["q"], coded["q1_answers"]
    with app.app_context():
        report = Report(consultation_id=coded["id"], title="What We Heard", include_appendix=True)
        db.session.add(report)
        db.session.flush()

        consultation = db.session.get(Consultation, coded["id"])

        def quote(k, status, label, show, question=q[0], theme=t["Safety"], answer=None, position=0):
            text = shown_quote_text(consultation=consultation, answer=db.session.get(Answer, answer or a[k]))
            db.session.add(ReportQuote(report_id=report.id, answer_id=answer or a[k], theme_id=theme,
                                       question_id=question, text=text, segment_label=label,
                                       show_label=show, status=status, position=position))

        quote(0, "approved", "Student", True, position=2)          # 24 students: label kept
        quote(1, "approved", "Teacher", True, position=1)          # teachers are hidden: label removed
        quote(2, "approved", "Student", False, position=3)         # label not asked for
        quote(3, "proposed", "Student", True)
        quote(4, "rejected", "Student", True)
        quote(5, "approved", "2SLGBTQ+", True, question=q[4], theme=None, answer=coded["q5_answers"][5])
        quote(6, "approved", "Nobody", True, question=q[4], theme=None, position=1)
        db.session.commit()
        report_id = report.id
    data = _build(app, coded["id"], report_id=report_id)
    assert [(x["text"], x["label"]) for x in data["quotes"]] == [
        ("more 5", None), ("comment 1", None), ("comment 6", None), ("comment 0", "Student"), ("comment 2", None)]
    assert data["quotes"][3] == {"id": data["quotes"][3]["id"], "theme_id": t["Safety"], "question_id": q[0],
                                 "text": "comment 0", "label": "Student"}
    # The appendix: every approved quote's text, first question first.
    assert data["appendix"] == [{"question_id": q[0], "text": "comment 1"}, {"question_id": q[0], "text": "comment 0"},
                                {"question_id": q[0], "text": "comment 2"}, {"question_id": q[4], "text": "more 5"},
                                {"question_id": q[4], "text": "comment 6"}]
    with app.app_context():
        db.session.get(Report, report_id).include_appendix = False
        db.session.get(Answer, a[1]).redacted_text = "comment [removed]"  # redacted since approval: lapses
        db.session.commit()
    data = _build(app, coded["id"], report_id=report_id)
    assert data["appendix"] == [] and "comment 1" not in [x["text"] for x in data["quotes"]]
    assert _build(app, coded["id"])["quotes"] == [] and _build(app, coded["id"])["appendix"] == []


def test_commitments_in_order_with_labels_and_dates(app, coded):
    t = coded["themes"]
    with app.app_context():
        later = Commitment(consultation_id=coded["id"], title="Review the program", status="in_progress",
                           position=1, owner="Board", target_on=dt.date(2025, 6, 30),
                           status_changed_on=dt.date(2025, 1, 15))
        first = Commitment(consultation_id=coded["id"], title="Publish the numbers", status="not_proceeding",
                           position=0, reason="Too few answers.")
        db.session.add_all([later, first])
        db.session.flush()
        db.session.add_all([CommitmentTheme(commitment_id=later.id, theme_id=t["Trust"]),
                            CommitmentTheme(commitment_id=later.id, theme_id=t["Safety"])])
        db.session.commit()
        ids = (first.id, later.id)
    commitments = _build(app, coded["id"])["commitments"]
    assert [c["id"] for c in commitments] == list(ids)
    assert commitments[0] | {"id": 0} == {
        "id": 0, "title": "Publish the numbers", "description": "", "status": "not_proceeding",
        "status_label": "Not proceeding", "reason": "Too few answers.", "owner": "", "target_on": None,
        "status_changed_on": None, "theme_ids": []}
    assert (commitments[1]["status_label"], commitments[1]["target_on"], commitments[1]["status_changed_on"]) == (
        "In progress", "2025-06-30", "2025-01-15")
    assert commitments[1]["theme_ids"] == sorted([t["Safety"], t["Trust"]])


def test_method_agreement_and_sources(app, coded):
    data = _build(app, coded["id"], today=dt.date(2025, 3, 1))
    assert data["generated_on"] == "2025-03-01"
    method = data["method"]
    # Coded comments: q1 has 31 with a theme (0-27 and 30-32), "Anything else?" 15. Notes are not counted.
    assert (method["source"], method["themes"], method["coded_comments"]) == ("codes", 3, 31 + 15)
    assert method["run"] == {"version": 1, "finished_on": "2024-05-02", "themes": 1}
    assert len(method["agreement"]) == 1
    assert method["agreement"][0] | {"sample": 0} == {"sample": 0, "items": 10, "kappa": round(200 / 230, 4),
                                                      "percent": round(29 / 30, 4)}
    machine = _build(app, coded["id"], source="machine")
    assert machine["method"]["source"] == "machine" and machine["method"]["themes"] == 1
    assert [(x["id"], x["name"], x["n"], x["share"]) for x in machine["themes"]] == [
        (coded["machine"], "Feeling safe", 12, 0.3)]
    with app.app_context():
        report = Report(consultation_id=coded["id"], title="What We Heard", source="machine")
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    assert _build(app, coded["id"], report_id=report_id, source="codes")["method"]["source"] == "machine"


def test_machine_source_without_a_run_is_refused(app, make_consultation):
    cid = make_consultation()
    empty = _build(app, cid)  # nobody yet: everything is zero or empty, nothing breaks
    assert empty["participation"]["respondents"] == 0 and empty["participation"]["first_day"] is None
    assert empty["segments"] == [] and all(t["n"] is None for q in empty["questions"] for t in q["themes"])
    add_responses(app, cid, [("ok", "online", {}, [])])
    with app.app_context(), pytest.raises(SegmentError):
        build_report_data(consultation=db.session.get(Consultation, cid), source="machine")
    data = _build(app, cid)
    assert data["participation"]["respondents"] == 1 and data["method"]["run"] is None
    assert all(row["n"] is None for table in data["participation"]["tables"] for row in table["rows"])
