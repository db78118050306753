"""Analysis runs per language, and results stored in short transactions that only count once all are written."""
import datetime as dt
import sqlite3
import time

import numpy as np
import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AnalysisRun, Answer, CommentAnalysis, Consultation, MachineTheme, Response, Theme
from engage.services import analysis_runs
from engage.services.comments import latest_run
from engage.services.themes import latest_done_run
from tests.helpers import fresh_form, hidden_inputs, valid_answers

SLUG = "school-safety"
ENGLISH = [
    "The officer in the hallway makes me feel safe.",
    "I feel safer when the officer is at school.",
    "The police officer talks with students at lunch.",
    "Having an officer at school makes me nervous.",
    "The cafeteria food is cold and too expensive.",
    "Lunch in the cafeteria is too short to eat.",
    "The cafeteria should serve hot food every day.",
    "We need more tables in the cafeteria at lunch.",
]
FRENCH = [
    "Les policiers dans l'école me rendent nerveux.",
    "Le policier de l'école est gentil avec les élèves.",
    "J'ai peur quand les policiers marchent dans le couloir.",
    "Un policier à l'école, c'est rassurant pour mes parents.",
    "La cafétéria sert des repas froids.",
    "Les repas de la cafétéria coûtent trop cher.",
    "La cafétéria devrait offrir des repas végétariens.",
    "Il faut plus de tables à la cafétéria pour les repas.",
]


def _add(app, consultation_id, texts, language):
    with app.app_context():
        question = next(q for q in db.session.get(Consultation, consultation_id).questions if q.kind == "text")
        for text in texts:
            response = Response(consultation_id=consultation_id, submitted_on=dt.date.today(), language=language)
            response.answers.append(Answer(question_id=question.id, text=text))
            db.session.add(response)
        db.session.commit()


def _run(app, consultation_id, **kwargs):
    with app.app_context():
        run = analysis_runs.start_analysis(consultation=db.session.get(Consultation, consultation_id), user=None,
                                           **kwargs)
        db.session.commit()
        return run.id


def _execute(app, run_id, **kwargs):
    with app.app_context():
        run = analysis_runs.execute_run(run_id=run_id, **kwargs)
        assert run.status == "done", (run.message, run.error)
        return run.version


@pytest.fixture
def mixed(app, make_consultation):
    consultation_id = make_consultation(SLUG)
    _add(app, consultation_id, ENGLISH * 2, "en")
    _add(app, consultation_id, FRENCH * 2, "fr")
    return consultation_id


def test_the_form_offers_all_languages_and_each_language_present(app, client, make_consultation, login_as):
    consultation_id = make_consultation(SLUG)
    _add(app, consultation_id, ENGLISH, "en")
    login_as("reviewer")
    page = client.get(f"/review/{SLUG}/runs").get_data(as_text=True)
    assert '<option selected value="">All languages</option>' in page and 'value="en"' in page
    assert 'value="fr"' not in page  # no French comment yet
    _add(app, consultation_id, FRENCH[:1], "fr")
    page = client.get(f"/review/{SLUG}/runs").get_data(as_text=True)
    assert '<option value="fr">French</option>' in page


def test_a_french_run_reads_only_french_comments_and_says_sentiment_is_unavailable(app, client, mixed, login_as):
    login_as("reviewer")
    form = hidden_inputs(client.get(f"/review/{SLUG}/runs").get_data(as_text=True))
    started = client.post(f"/review/{SLUG}/runs", data=form | {"question": "0", "language": "fr", "n_themes": "2"})
    assert started.status_code == 303
    with app.app_context():
        run = db.session.scalar(select(AnalysisRun))
        assert run.params["language"] == "fr"
        run_id = run.id
    # The view also started it on a thread; wait for that to finish before looking.
    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    while client.get(f"/review/{SLUG}/runs/1/status.json").get_json()["status"] not in ("done", "failed"):
        assert dt.datetime.now() < deadline
        time.sleep(0.1)
    with app.app_context():
        run = db.session.get(AnalysisRun, run_id)
        assert run.status == "done", run.error
        assert run.n_comments == len(FRENCH) * 2
        rows = db.session.execute(
            select(Answer.text, CommentAnalysis.sentiment).join(CommentAnalysis, CommentAnalysis.answer_id == Answer.id)
        ).all()
        assert {text for text, _ in rows} == set(FRENCH)
        assert all(sentiment is None for _, sentiment in rows)
        keywords = {word for theme in run.themes for word in theme.keywords}
        assert keywords & {"policier", "policiers"} and not {"policier", "policiers"} <= keywords
        assert not keywords & {"les", "de", "la", "des", "l"}
        assert all(theme.mean_sentiment is None for theme in run.themes)
    page = client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)
    assert "French" in page and "Only comments written in French were analysed." in page
    assert "Sentiment not available for French" in page and "average sentiment" not in page
    listing = client.get(f"/review/{SLUG}/runs").get_data(as_text=True)
    assert "<td>French</td>" in listing


def test_all_languages_analyses_each_language_on_its_own(app, client, mixed, login_as):
    version = _execute(app, _run(app, mixed, n_themes=2))
    with app.app_context():
        run = db.session.scalar(select(AnalysisRun).where(AnalysisRun.version == version))
        assert [(g["language"], g["comments"], g["sentiment"]) for g in run.params["groups"]] == [
            ("en", 16, True), ("fr", 16, False)]
        assert len(run.themes) == 4  # two per language
        language_of = {theme.id: g["language"] for g in run.params["groups"] for theme in run.themes
                       if theme.position in g["themes"]}
        for language, scores, sentiment in db.session.execute(
            select(Response.language, CommentAnalysis.theme_scores, CommentAnalysis.sentiment)
            .join(Answer, Answer.response_id == Response.id).join(CommentAnalysis, CommentAnalysis.answer_id == Answer.id)
        ):
            assert {language_of[theme_id] for theme_id, _ in scores} == {language}  # no theme mixes languages
            assert (sentiment is not None) == (language == "en")
    login_as("reviewer")
    page = client.get(f"/review/{SLUG}/runs/{version}").get_data(as_text=True)
    assert "All languages." in page and "each language has its own themes" in page
    assert "Themes in English comments" in page and "Themes in French comments" in page
    assert page.count("Sentiment not available for French") == 1 and "average sentiment" in page
    # French words on an English page are marked as French, for screen readers; English ones are not marked.
    assert '<blockquote lang="fr">' in page and '<blockquote>' in page and 'lang="en"' not in page.split("<main", 1)[-1]
    assert client.get(f"/review/{SLUG}/runs/{version}?lang=fr").status_code == 200
    assert client.get(f"/review/{SLUG}/runs?lang=fr").status_code == 200


def test_a_language_with_too_few_comments_gets_no_themes_but_is_still_checked(app, client, make_consultation,
                                                                             login_as):
    consultation_id = make_consultation(SLUG)
    _add(app, consultation_id, ENGLISH, "en")
    _add(app, consultation_id, ["Le policier m'a frappé, appelez-moi au 403-555-0199."], "fr")
    version = _execute(app, _run(app, consultation_id, n_themes=2))
    with app.app_context():
        run = db.session.scalar(select(AnalysisRun))
        assert run.params["groups"][1] == {"language": "fr", "comments": 1, "themes": [], "sentiment": False}
        french = db.session.scalar(select(CommentAnalysis).join(Answer).join(Response).where(Response.language == "fr"))
        assert french.theme_scores == [] and "phone" in french.pii
    login_as("reviewer")
    page = client.get(f"/review/{SLUG}/runs/{version}").get_data(as_text=True)
    assert "Too few comments to find themes: at least 5 are needed." in page


def test_a_run_for_a_language_without_enough_comments_fails_clearly(app, mixed):
    with app.app_context():
        with pytest.raises(analysis_runs.RunError):
            analysis_runs.start_analysis(consultation=db.session.get(Consultation, mixed), user=None, language="de")
    run_id = _run(app, mixed, language="fr", channels=["paper"])
    with app.app_context():
        run = analysis_runs.execute_run(run_id=run_id)
        assert run.status == "failed" and "at least 5 are needed" in run.message


def _comment_count(run_id):
    return db.session.scalar(select(func.count()).select_from(CommentAnalysis).where(CommentAnalysis.run_id == run_id))


def test_answers_are_saved_between_chunks_and_a_half_stored_run_is_not_finished(app, client, mixed, login_as):
    participant = app.test_client()
    run_id = _run(app, mixed)
    backend = app.config["DB_BACKEND"]
    seen = []

    def between_chunks(stored, total):
        with app.app_context():
            run = db.session.get(AnalysisRun, run_id)
            seen.append((stored, total, run.status, _comment_count(run_id)))
            # Half stored: not finished, and nothing that reads results uses it.
            assert run.status == "running"
            assert latest_done_run(consultation_id=mixed) is None
            assert latest_run(db.session.get(Consultation, mixed)) is None
            db.session.remove()
        if backend == "sqlite":
            # No write lock is held between chunks: another connection takes one at once, without waiting.
            raw = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), timeout=0,
                                  isolation_level=None)
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
            raw.close()
        # A participant's answer goes in through the real intake mid-run. Each request gets its own app context
        # (and so its own session and connection), as in another web worker.
        with app.app_context():
            data = fresh_form(participant, SLUG) | valid_answers(app, SLUG, text=f"Sent while chunk {len(seen)} was stored.")
        with app.app_context():
            assert participant.post(f"/c/{SLUG}/respond", data=data).status_code == 303
        with app.app_context():
            status = client.get(f"/review/{SLUG}/runs/1/status.json").get_json()
            assert status["status"] == "running" and status["progress"] < 1
        with app.app_context():
            assert "Keywords:" not in client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)

    login_as("reviewer")
    with app.app_context():
        run = analysis_runs.execute_run(run_id=run_id, chunk_size=10, on_chunk=between_chunks)
        assert run.status == "done"
    assert [s for s, _, _, _ in seen] == [10, 20, 30, 32]
    assert [n for _, _, _, n in seen] == [10, 20, 30, 32]  # each chunk was committed when the hook ran
    with app.app_context():
        saved = db.session.scalars(select(Answer.text).where(Answer.text.like("Sent while chunk %"))).all()
        assert sorted(saved) == [f"Sent while chunk {n} was stored." for n in range(1, 5)]
        assert latest_done_run(consultation_id=mixed).id == run_id


def test_a_run_whose_worker_died_while_storing_stays_unfinished_and_can_be_run_again(app, client, mixed, login_as):
    run_id = _run(app, mixed, n_themes=2)

    def die(stored, total):
        if stored >= 20:
            raise KeyboardInterrupt  # like a killed worker: nothing after this point runs

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            analysis_runs.execute_run(run_id=run_id, chunk_size=10, on_chunk=die)
        db.session.rollback()
    with app.app_context():
        run = db.session.get(AnalysisRun, run_id)
        assert run.status == "running" and run.finished_at is None and _comment_count(run_id) == 20
        assert latest_done_run(consultation_id=mixed) is None
    login_as("reviewer")
    page = client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)
    assert "<progress" in page and "Keywords:" not in page and "Add these themes" not in page
    assert client.get(f"/review/{SLUG}/runs/1/status.json").get_json()["status"] == "running"
    adopt = client.post(f"/review/{SLUG}/runs/1/adopt", data=hidden_inputs(page))
    assert adopt.status_code == 303 and adopt.headers["Location"].endswith(f"/review/{SLUG}/runs/1")  # refused
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Theme)) == 0

    # Run again (an RQ retry does this): the partial rows go, and the run completes once.
    _execute(app, run_id, chunk_size=10)
    with app.app_context():
        assert _comment_count(run_id) == 32
        assert db.session.scalar(select(func.count()).select_from(MachineTheme)) == 4
    assert "Keywords:" in client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)


def test_an_error_while_storing_fails_the_run_and_removes_its_partial_rows(app, mixed):
    run_id = _run(app, mixed)

    def fail(stored, total):
        if stored >= 10:
            raise RuntimeError("disk full")

    with app.app_context():
        run = analysis_runs.execute_run(run_id=run_id, chunk_size=10, on_chunk=fail)
        assert run.status == "failed" and "disk full" in run.error
        assert _comment_count(run_id) == 0
        assert db.session.scalar(select(func.count()).select_from(MachineTheme)) == 0


def test_a_stalled_run_can_be_started_again_from_its_page(app, client, mixed, login_as):
    run_id = _run(app, mixed, n_themes=2)

    def die(stored, total):
        if stored >= 20:
            raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            analysis_runs.execute_run(run_id=run_id, chunk_size=10, on_chunk=die)
        db.session.rollback()
    login_as("reviewer")
    page = client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)
    # Still moving (as far as anyone can tell): no way to start it twice.
    assert "Start this run again" not in page and 'http-equiv="refresh"' in page
    refused = client.post(f"/review/{SLUG}/runs/1/restart", data=hidden_inputs(page))
    assert refused.status_code == 303
    assert "Only a run that failed or stopped moving" in client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)

    with app.app_context():  # eleven minutes later, nothing has moved
        run = db.session.get(AnalysisRun, run_id)
        run.params = {**run.params, "heartbeat": (dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                                  - dt.timedelta(minutes=11)).isoformat()}
        db.session.commit()
    page = client.get(f"/review/{SLUG}/runs/1").get_data(as_text=True)
    assert "has not moved for more than 10 minutes" in page and 'http-equiv="refresh"' not in page
    assert client.post(f"/review/{SLUG}/runs/1/restart", data=hidden_inputs(page)).status_code == 303
    deadline = time.monotonic() + 60
    while client.get(f"/review/{SLUG}/runs/1/status.json").get_json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with app.app_context():
        run = db.session.get(AnalysisRun, run_id)
        assert run.status == "done" and run.n_comments == 32 and _comment_count(run_id) == 32
        assert db.session.scalar(select(func.count()).select_from(MachineTheme)) == 4


def test_the_optional_embedding_tier_reads_english_comments_only(app, mixed, monkeypatch):
    """With ANALYSIS_EMBEDDINGS on and the tier installed (here a stand-in for the packaged model), an
    analysis run embeds the English comments, and never the French ones, which that model cannot read."""
    from engage.analysis import embeddings

    embedded: list[str] = []

    class PackagedModel:
        def __call__(self, texts):
            embedded.extend(texts)
            return np.array([[1.0, 0.0] if "cafeteria" in t.lower() else [0.0, 1.0] for t in texts])

    monkeypatch.setattr(embeddings, "embeddings_available", lambda: True)
    monkeypatch.setattr(embeddings, "SentenceEmbedder", PackagedModel)
    _execute(app, _run(app, mixed, n_themes=2))
    assert embedded == []  # off by default
    app.config["ANALYSIS_EMBEDDINGS"] = True
    _execute(app, _run(app, mixed, n_themes=2))
    assert embedded and set(embedded) <= {" ".join(t.split()) for t in ENGLISH}
