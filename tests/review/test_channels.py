"""Channel everywhere: analysis can include or exclude channels, tables split by channel, sessions are not people."""
import datetime as dt

from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AnalysisRun, Answer, CommentAnalysis, Consultation, Response
from engage.services import analysis_runs
from engage.services.demo import seed_demo
from engage.services.engagement_sessions import SessionDetails, save_session

EMAILS = [
    "I emailed because the officer searched my son's bag without a reason.",
    "Please keep the officer, the school feels calmer with him there.",
    "My daughter says the officer is friendly and talks to everyone at lunch.",
    "The police presence makes our students anxious, please remove it.",
    "We need more counsellors instead of police in the hallways.",
    "Thank you for asking parents, the program needs more transparency.",
]


def _demo_with_other_channels(app):
    with app.app_context():
        consultation, _ = seed_demo(responses=60)
        for text in EMAILS:
            response = Response(consultation_id=consultation.id, channel="email", submitted_on=dt.date.today())
            response.answers = [Answer(question_id=None, text=text)]
            db.session.add(response)
        db.session.flush()
        save_session(
            consultation=consultation, details=SessionDetails(channel="focus_group", attendees=14, organisation="Youth centre"),
            comments=["We feel watched in the hallway.", "The officer helped when there was a fight.", "Nobody asked us before."],
            user=None, today=dt.date.today(),
        )
        db.session.commit()
        return consultation.id


def test_an_analysis_can_be_limited_to_some_channels(app):
    consultation_id = _demo_with_other_channels(app)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        run = analysis_runs.start_analysis(consultation=consultation, user=None, channels=["email"], n_themes=2)
        db.session.commit()
        run = analysis_runs.execute_run(run_id=run.id)
        assert run.status == "done", run.error
        analysed = db.session.scalars(select(Answer.text).join(CommentAnalysis, CommentAnalysis.answer_id == Answer.id)
                                      .where(CommentAnalysis.run_id == run.id)).all()
        assert sorted(analysed) == sorted(EMAILS)
        assert db.session.get(AnalysisRun, run.id).params["channels"] == ["email"]


def test_starting_with_no_or_unknown_channels_is_refused(app):
    consultation_id = _demo_with_other_channels(app)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        for channels in ([], ["carrier pigeon"]):
            try:
                analysis_runs.start_analysis(consultation=consultation, user=None, channels=channels)
            except analysis_runs.RunError as error:
                assert "at least one channel" in str(error)
            else:
                raise AssertionError("accepted a bad channel list")
        assert db.session.scalar(select(func.count()).select_from(AnalysisRun)) == 0


def test_participation_counts_sessions_as_sessions_not_people(app, client, login_as):
    _demo_with_other_channels(app)
    login_as("reviewer")
    page = client.get("/review/sro-review/participation").get_data(as_text=True)
    assert "3 comments from 1 focus group or roundtable session with 14 attendees" in page
    assert "66 responses so far" in page  # 60 online + 6 emails; the 3 session notes and 14 attendees are not people


def test_segment_table_can_split_by_channel(app, client, login_as):
    consultation_id = _demo_with_other_channels(app)
    with app.app_context():
        run = analysis_runs.start_analysis(consultation=db.session.get(Consultation, consultation_id), user=None, n_themes=3)
        db.session.commit()
        assert analysis_runs.execute_run(run_id=run.id).status == "done"
    login_as("reviewer")
    page = client.get("/review/sro-review/segments?by=channel&source=machine")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    caption = text.split("<caption>")[1].split("</caption>")[0]
    assert "Channel (how people took part)" in caption
    assert "Online form" in text and "Email" in text
    assert ">6<" not in text  # six emails are fewer than the minimum of 10: their count is hidden
