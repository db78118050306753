"""Analysis runs: started by reviewers, run in the background, stored per version, never overwriting others."""
import time

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AnalysisRun, CommentAnalysis, Consultation, MachineTheme
from engage.services import analysis_runs
from engage.services.demo import seed_demo
from tests.helpers import hidden_inputs


@pytest.fixture
def demo(app):
    with app.app_context():
        consultation, _ = seed_demo(responses=80)
        db.session.commit()
        return consultation.id


def _start_and_execute(app, consultation_id, **kwargs):
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        run = analysis_runs.start_analysis(consultation=consultation, user=None, **kwargs)
        db.session.commit()
        return analysis_runs.execute_run(run_id=run.id).id


def test_a_run_stores_themes_and_every_comments_analysis(app, demo):
    run_id = _start_and_execute(app, demo)
    with app.app_context():
        run = db.session.get(AnalysisRun, run_id)
        assert run.status == "done", run.error
        assert run.progress == 1.0 and run.version == 1
        assert run.n_comments > 80  # two open-text questions, the second one optional
        assert db.session.scalar(select(func.count()).select_from(CommentAnalysis).where(CommentAnalysis.run_id == run_id)) == run.n_comments
        assert 2 <= len(run.themes) and all(t.label and t.keywords and t.size > 0 for t in run.themes)
        analyses = db.session.scalars(select(CommentAnalysis).where(CommentAnalysis.run_id == run_id)).all()
        assert any(a.non_answer for a in analyses)  # the demo has "n/a" and "nothing"
        assert all(-1 <= a.sentiment <= 1 for a in analyses)


def test_a_new_run_never_changes_an_earlier_one(app, demo):
    first = _start_and_execute(app, demo, n_themes=4)
    with app.app_context():
        before = [(t.id, t.label, t.size) for t in db.session.get(AnalysisRun, first).themes]
    second = _start_and_execute(app, demo, n_themes=6)
    with app.app_context():
        assert [(t.id, t.label, t.size) for t in db.session.get(AnalysisRun, first).themes] == before
        assert db.session.get(AnalysisRun, second).version == 2
        assert len(db.session.get(AnalysisRun, second).themes) == 6


def test_too_few_comments_fail_with_a_clear_message(app, make_consultation):
    consultation_id = make_consultation()
    run_id = _start_and_execute(app, consultation_id)
    with app.app_context():
        run = db.session.get(AnalysisRun, run_id)
        assert run.status == "failed" and "at least 5 are needed" in run.message
        assert db.session.scalar(select(func.count()).select_from(MachineTheme)) == 0


def test_reviewer_starts_a_run_and_watches_it_finish(app, client, demo, login_as):
    login_as("reviewer")
    page = client.get("/review/sro-review/runs")
    assert page.status_code == 200 and "Start analysis" in page.get_data(as_text=True)
    response = client.post("/review/sro-review/runs", data=hidden_inputs(page.get_data(as_text=True)) | {"question": "0"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/sro-review/runs/1")
    deadline = time.monotonic() + 60
    status = {}
    while time.monotonic() < deadline:
        status = client.get("/review/sro-review/runs/1/status.json").get_json()
        assert 0 <= status["progress"] <= 1
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["status"] == "done", status
    board = client.get("/review/sro-review/runs/1").get_data(as_text=True)
    assert "Themes" in board and "Keywords:" in board and "<blockquote>" in board


def test_bad_theme_count_is_refused_and_nothing_starts(app, client, demo, login_as):
    login_as("reviewer")
    form = hidden_inputs(client.get("/review/sro-review/runs").get_data(as_text=True))
    response = client.post("/review/sro-review/runs", data=form | {"question": "0", "n_themes": "500"})
    assert response.status_code == 422 and "between 2 and 60" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnalysisRun)) == 0


def test_reviewer_outside_the_scope_cannot_see_the_runs(app, client, demo, login_as, make_consultation):
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/sro-review/runs").status_code == 404


def test_a_run_opens_flags_once_per_comment_and_kind(app, make_consultation, client):
    from engage.models import CommentFlag
    from tests.helpers import fresh_form, valid_answers

    make_consultation()
    texts = ["Call me at 403-555-0199 about the officer.", "He hit me at home and I am scared to go back.",
             "The officer is nice.", "Lunch is too short.", "More counsellors please.", "I like the library."]
    for text in texts:
        data = fresh_form(client, "school-safety") | valid_answers(app, "school-safety", text=text)
        assert client.post("/c/school-safety/respond", data=data).status_code == 303
    with app.app_context():
        consultation_id = db.session.scalar(select(Consultation.id))
    _start_and_execute(app, consultation_id)
    _start_and_execute(app, consultation_id)  # a second run adds no duplicate flags
    with app.app_context():
        flags = db.session.scalars(select(CommentFlag)).all()
        assert sorted((f.kind, f.status) for f in flags) == [("pii", "open"), ("safeguarding", "open")]
        assert "phone" in next(f for f in flags if f.kind == "pii").details


def test_run_page_quotes_use_the_reviewers_redaction(app, client, demo, login_as):
    import uuid

    from engage.models import Answer

    run_id = _start_and_execute(app, demo, n_themes=3)
    with app.app_context():
        quote_id = uuid.UUID(db.session.get(AnalysisRun, run_id).themes[0].quote_answer_ids[0])
        answer = db.session.get(Answer, quote_id)
        answer.redacted_text = "A reviewer rewrote this quote to remove a detail."
        db.session.commit()
    login_as("reviewer")
    page = client.get("/review/sro-review/runs/1").get_data(as_text=True)
    # (Demo texts repeat, so the original wording may still appear as another comment's quote.)
    assert "A reviewer rewrote this quote to remove a detail." in page
