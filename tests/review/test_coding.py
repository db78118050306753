"""Coding comments: codes, suggestion decisions (one and in bulk) and the least-certain queue."""
import threading
import uuid

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import Answer, AuditEvent, Code, Consultation, Response, Suggestion, Theme
from engage.services import coding as service
from engage.services.coding import CodingError
from engage.services.demo import seed_demo
from engage.services.themes import add_theme
from tests.helpers import hidden_inputs


@pytest.fixture
def demo(app):
    with app.app_context():
        consultation, _ = seed_demo(responses=40)
        db.session.commit()
        return consultation.id


@pytest.fixture
def themes(app, demo):
    with app.app_context():
        consultation = db.session.get(Consultation, demo)
        ids = [add_theme(consultation=consultation, user=None, name=n).id for n in ("Officer", "Other things", "Spare")]
        db.session.commit()
        return ids


def comments(app, consultation_id):
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            select(Answer.id, Answer.text).join(Response).where(Response.consultation_id == consultation_id,
                                                                Answer.text.is_not(None)).order_by(Answer.id))]


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def token(client, url):
    return hidden_inputs(client.get(url).get_data(as_text=True))["csrf_token"]


def test_code_a_comment_through_the_page(app, client, demo, themes, login_as):
    user_id = login_as("reviewer")
    answer_id, text = comments(app, demo)[0]
    url = f"/review/sro-review/comments/{answer_id}/code"
    page = client.get(url)
    assert page.status_code == 200 and text.replace("'", "&#39;")[:30] in page.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token(client, url), "themes": [str(themes[0]), str(themes[1])]})
    assert response.status_code == 303
    with app.app_context():
        codes = db.session.scalars(select(Code).where(Code.answer_id == answer_id)).all()
        assert sorted(c.theme_id for c in codes) == themes[:2]
        assert all(c.coder_id == user_id and c.origin == "manual" for c in codes)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "code_comment"))
        assert event.details == {"added": 2, "removed": 0} and str(answer_id) not in str(event.details)
    client.post(url, data={"csrf_token": token(client, url), "themes": [str(themes[1])]})
    with app.app_context():
        assert db.session.scalars(select(Code.theme_id).where(Code.answer_id == answer_id)).all() == [themes[1]]


def test_coding_refuses_another_consultations_theme(app, client, demo, themes, login_as, make_consultation):
    other = make_consultation("other")
    with app.app_context():
        foreign = add_theme(consultation=db.session.get(Consultation, other), user=None, name="Foreign").id
        db.session.commit()
        answer = db.session.get(Answer, comments(app, demo)[0][0])
        with pytest.raises(CodingError):
            service.code_comment(consultation=db.session.get(Consultation, demo), answer=answer, user=None,
                                 theme_ids={foreign})
    login_as("reviewer")
    url = f"/review/sro-review/comments/{comments(app, demo)[0][0]}/code"
    response = client.post(url, data={"csrf_token": token(client, url), "themes": [str(foreign)]})
    assert response.status_code == 422
    with app.app_context():
        assert count(Code) == 0


def test_redacted_text_is_shown_instead_of_the_original(app, client, demo, themes, login_as):
    answer_id, _ = comments(app, demo)[0]
    with app.app_context():
        answer = db.session.get(Answer, answer_id)
        answer.text, answer.redacted_text = "Call Jane Doe at 403-555-0199.", "Call [name] at [phone]."
        db.session.commit()
    login_as("reviewer")
    html = client.get(f"/review/sro-review/comments/{answer_id}/code").get_data(as_text=True)
    assert "Call [name] at [phone]." in html and "555-0199" not in html and "Jane" not in html


def test_accept_and_reject_one_suggestion(app, client, demo, themes, login_as):
    (a, _), (b, _) = comments(app, demo)[:2]
    with app.app_context():
        db.session.add_all([Suggestion(answer_id=a, theme_id=themes[0], source="discovery", score=0.8),
                            Suggestion(answer_id=b, theme_id=themes[0], source="discovery", score=0.4)])
        db.session.commit()
        s1, s2 = db.session.scalars(select(Suggestion.id).order_by(Suggestion.id)).all()
    login_as("reviewer")
    t = token(client, f"/review/sro-review/comments/{a}/code")
    assert client.post(f"/review/sro-review/suggestions/{s1}/decide", data={"csrf_token": t, "decision": "accept"}).status_code == 303
    assert client.post(f"/review/sro-review/suggestions/{s2}/decide", data={"csrf_token": t, "decision": "reject"}).status_code == 303
    with app.app_context():
        assert db.session.get(Suggestion, s1).status == "accepted" and db.session.get(Suggestion, s2).status == "rejected"
        code = db.session.scalar(select(Code))
        assert (code.answer_id, code.theme_id, code.origin) == (a, themes[0], "suggestion")
        assert count(Code) == 1
    # Deciding again is refused; nothing changes.
    client.post(f"/review/sro-review/suggestions/{s2}/decide", data={"csrf_token": t, "decision": "accept"})
    with app.app_context():
        assert db.session.get(Suggestion, s2).status == "rejected" and count(Code) == 1


def test_bulk_accept_above_a_score_and_selected(app, client, demo, themes, login_as):
    ids = [a for a, _ in comments(app, demo)[:6]]
    with app.app_context():
        db.session.add_all(Suggestion(answer_id=a, theme_id=themes[0], source="discovery", score=s)
                           for a, s in zip(ids, (0.9, 0.8, 0.7, 0.3, 0.2, 0.1)))
        db.session.commit()
    login_as("reviewer")
    url = f"/review/sro-review/suggestions?theme={themes[0]}"
    page = client.get(url)
    assert page.status_code == 200
    t = hidden_inputs(page.get_data(as_text=True))["csrf_token"]
    response = client.post("/review/sro-review/suggestions", data={
        "csrf_token": t, "theme": str(themes[0]), "decision": "accept", "min_score": "0.7"})
    assert response.status_code == 303
    with app.app_context():
        assert sorted(db.session.scalars(select(Code.answer_id))) == sorted(ids[:3])
        low = db.session.scalar(select(Suggestion.id).where(Suggestion.answer_id == ids[5]))
    response = client.post("/review/sro-review/suggestions", data={
        "csrf_token": t, "theme": str(themes[0]), "decision": "reject", "suggestions": [str(low)]})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Suggestion, low).status == "rejected"
        assert count(Suggestion, Suggestion.status == "pending") == 2
        assert count(AuditEvent, AuditEvent.action.in_(["accept_suggestions", "reject_suggestions"])) == 2
    nothing = client.post("/review/sro-review/suggestions", data={"csrf_token": t, "theme": str(themes[0]), "decision": "accept"})
    assert nothing.status_code == 422 and "Tick some suggestions" in nothing.get_data(as_text=True)


def _code_many(app, consultation_id, theme_ids, n):
    """Code n comments: mentions of the officer go to the first theme, the rest to the second."""
    rows = comments(app, consultation_id)[:n]
    with app.app_context():
        for answer_id, text in rows:
            theme = theme_ids[0] if "officer" in text.lower() else theme_ids[1]
            db.session.add(Code(answer_id=answer_id, theme_id=theme, origin="manual"))
        db.session.commit()
    return rows


def test_queue_explains_when_there_are_too_few_codes(app, client, demo, themes, login_as):
    _code_many(app, demo, themes, 3)
    login_as("reviewer")
    page = client.get("/review/sro-review/queue")
    assert page.status_code == 200 and "code at least 10 comments" in page.get_data(as_text=True)
    with app.app_context():
        assert count(Suggestion) == 0


def wait_for_training(timeout: float = 120) -> None:
    """Wait for the trainings the queue page started on threads (the default without Redis)."""
    for thread in threading.enumerate():
        if thread.name.startswith("assisted-coding-"):
            thread.join(timeout)
            assert not thread.is_alive(), "assisted coding did not finish in time"


def test_queue_trains_suggests_for_uncoded_comments_and_retrains_on_new_codes(app, client, demo, themes, login_as):
    coded = _code_many(app, demo, themes, 24)
    with app.app_context():
        # A decided suggestion and a pending discovery suggestion must survive retraining untouched.
        uncoded = [a for a, _ in comments(app, demo) if a not in {c for c, _ in coded}]
        db.session.add(Suggestion(answer_id=uncoded[0], theme_id=themes[0], source="assisted", score=0.9, status="rejected"))
        db.session.add(Suggestion(answer_id=uncoded[1], theme_id=themes[1], source="discovery", score=0.5))
        db.session.commit()
    login_as("reviewer")
    # The training thread stores its order under this lock, after its suggestions are written and before they
    # are committed; holding it proves the page came back while the training was still going on.
    with service._orders_lock:
        page = client.get("/review/sro-review/queue")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Least certain next" in html
        if "Suggestions are being updated from the latest codes; reload in a minute." not in html:
            # Failed once in CI on PostgreSQL, and never locally: say what the training recorded.
            with app.app_context():
                events = [(e.action, e.details) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
            notices = [p.split("</p>")[0] for p in html.split('<p class="notice"')[1:]]
            pytest.fail(f"no 'being updated' notice; audit events {events}; notices {notices}")
        # Until suggestions exist the queue still lists every uncoded comment, so reviewers can keep coding.
        left = len(comments(app, demo)) - 24
        assert f"{left} comments without codes are in the queue." in html
        assert html.count('<a href="/review/sro-review/comments/') == min(left, 20)
        with app.app_context():
            assert count(AuditEvent, AuditEvent.action == "train_assisted_coding") == 0
    wait_for_training()
    with app.app_context():
        assisted = db.session.scalars(select(Suggestion).where(Suggestion.source == "assisted", Suggestion.status == "pending")).all()
        assert assisted and not {s.answer_id for s in assisted} & {c for c, _ in coded}
        assert count(Suggestion, Suggestion.status == "rejected") == 1 and count(Suggestion, Suggestion.source == "discovery") == 1
        assert count(Code) == 24
        state = service.refresh_assisted_suggestions(consultation=db.session.get(Consultation, demo), user=None)
        assert not state.retrained  # nothing changed since
        assert state.answer_ids and not set(state.answer_ids) & {c for c, _ in coded}
        queue_first = state.answer_ids[0]
    html = client.get("/review/sro-review/queue").get_data(as_text=True)
    assert "being updated" not in html and "Suggestions were just updated" not in html
    first_link = html.split('<ol class="coding-queue">')[1].split('href="')[1].split('"')[0]
    assert f"/comments/{queue_first}/code" in first_link  # the page serves the least certain first
    # Coding the first comment from the queue returns to the queue, which retrains on the new code.
    url = f"/review/sro-review/comments/{queue_first}/code?from=queue"
    response = client.post(url, data={"csrf_token": token(client, url), "from": "queue", "themes": [str(themes[0])]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/sro-review/queue?after=coding")
    back = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "being updated" not in back and f"/comments/{queue_first}/code" not in back
    with app.app_context():  # one new code is not enough to retrain while moving through the queue...
        assert count(AuditEvent, AuditEvent.action == "queue_assisted_coding") == 1
    with service._orders_lock:  # ...but opening it afresh is
        assert "being updated" in client.get("/review/sro-review/queue").get_data(as_text=True)
    wait_for_training()
    assert "being updated" not in client.get("/review/sro-review/queue").get_data(as_text=True)
    with app.app_context():
        assisted = db.session.scalars(select(Suggestion).where(Suggestion.source == "assisted", Suggestion.status == "pending")).all()
        trainings = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "train_assisted_coding")
                                       .order_by(AuditEvent.id)).all()
        assert len(trainings) == 2 and trainings[1].details["codes"] == 25
        assert trainings[1].actor_label == "reviewer@example.org"
        assert len(assisted) == trainings[1].details["suggestions"]  # replaced, not added to
        assert queue_first not in {s.answer_id for s in assisted}
        # The first training's suggestions for the coded comment were decided by coding it, and kept.
        assert count(Suggestion, Suggestion.answer_id == queue_first, Suggestion.status != "pending") >= 1


def test_suggestions_follow_the_codes(app, demo, themes):
    def share_of_first_theme():
        top = {}
        for s in db.session.scalars(select(Suggestion).where(Suggestion.source == "assisted", Suggestion.status == "pending")
                                    .order_by(Suggestion.score.desc(), Suggestion.id)):
            top.setdefault(s.answer_id, s.theme_id)
        return sum(1 for t in top.values() if t == themes[0]) / len(top)

    _code_many(app, demo, themes, 30)
    with app.app_context():
        consultation = db.session.get(Consultation, demo)
        service.refresh_assisted_suggestions(consultation=consultation, user=None)
        db.session.commit()
        before = share_of_first_theme()
        # Reviewers change their minds: every code swaps theme. The suggestions must follow.
        for code in db.session.scalars(select(Code)):
            code.theme_id = themes[1] if code.theme_id == themes[0] else themes[0]
        db.session.commit()
        service.refresh_assisted_suggestions(consultation=consultation, user=None, force=True)
        db.session.commit()
        after = share_of_first_theme()
    assert before > 0.5 > after


def test_queue_and_coding_are_scoped(app, client, demo, themes, login_as, make_consultation):
    answer_id = comments(app, demo)[0][0]
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/sro-review/queue").status_code == 404
    assert client.get(f"/review/sro-review/comments/{answer_id}/code").status_code == 404
    assert client.get("/review/sro-review/suggestions").status_code == 404
    # A comment of another consultation is not reachable through one's own consultation either.
    assert client.get(f"/review/other-one/comments/{answer_id}/code").status_code == 404
    assert client.get(f"/review/other-one/comments/{uuid.uuid4()}/code").status_code == 404


def test_the_queue_puts_non_answers_last(app, demo, themes):
    """"No comment" and "see above" hold nothing to code: the queue offers them after every real comment."""
    from engage.models import AnalysisRun, CommentAnalysis

    ids = [a for a, _ in comments(app, demo)]
    with app.app_context():
        consultation = db.session.get(Consultation, demo)
        before = service.assisted_queue(consultation=consultation).answer_ids
        empty = before[:3]  # the three the queue would offer first
        run = AnalysisRun(consultation_id=demo, version=99, status="done")
        db.session.add(run)
        db.session.flush()
        db.session.add_all([CommentAnalysis(run_id=run.id, answer_id=a, non_answer=a in empty) for a in ids])
        db.session.commit()
        after = service.assisted_queue(consultation=consultation).answer_ids
    assert sorted(after, key=str) == sorted(before, key=str)  # nobody leaves the queue
    assert after[-3:] == empty and after[:len(before) - 3] == before[3:]


def test_suggestions_read_the_question_each_comment_answers(app, make_consultation):
    """The same words under "What is it like?" and "Anything else?" were coded differently: the
    suggestions for new comments must follow the question they answer, not just the words."""
    import datetime as dt

    from engage.models import Question

    consultation_id = make_consultation()
    officer = ["the officer at the gate", "police in the hallway", "having an officer in school",
               "officers walking the corridors", "a police presence at lunch", "the officer talking to students"]
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        questions = {q.prompt: q.id for q in db.session.scalars(select(Question).where(
            Question.consultation_id == consultation_id, Question.kind == "text"))}
        like, extra = questions["What is it like?"], questions["Anything else?"]
        calm = add_theme(consultation=consultation, user=None, name="Feels calm").id
        more = add_theme(consultation=consultation, user=None, name="Wants more said").id

        def answer(question_id, text):
            response = Response(consultation_id=consultation_id, submitted_on=dt.date.today())
            response.answers = [Answer(question_id=question_id, text=text)]
            db.session.add(response)
            db.session.flush()
            return response.answers[0].id

        for text in officer * 2:
            db.session.add(Code(answer_id=answer(like, text), theme_id=calm, origin="manual"))
            db.session.add(Code(answer_id=answer(extra, text), theme_id=more, origin="manual"))
        new = {question_id: answer(question_id, "an officer in the hallway") for question_id in (like, extra)}
        db.session.commit()
        service.refresh_assisted_suggestions(consultation=consultation, user=None, force=True)
        db.session.commit()
        top = {}
        for suggestion in db.session.scalars(select(Suggestion).where(Suggestion.source == "assisted")
                                             .order_by(Suggestion.score.desc(), Suggestion.id)):
            top.setdefault(suggestion.answer_id, suggestion.theme_id)
    assert top[new[like]] == calm and top[new[extra]] == more


def test_assisted_coding_uses_the_embedding_tier_only_when_configured(app, demo, themes, monkeypatch):
    from engage.analysis import embeddings

    embedded: list[str] = []

    class PackagedModel:
        def __call__(self, texts):
            embedded.extend(texts)
            return [[1.0, 0.0] if "officer" in t.lower() else [0.0, 1.0] for t in texts]

    monkeypatch.setattr(embeddings, "embeddings_available", lambda: True)
    monkeypatch.setattr(embeddings, "SentenceEmbedder", PackagedModel)
    _code_many(app, demo, themes, 24)
    with app.app_context():
        consultation = db.session.get(Consultation, demo)
        service.refresh_assisted_suggestions(consultation=consultation, user=None, force=True)
        db.session.commit()
        assert embedded == []
        app.config["ANALYSIS_EMBEDDINGS"] = True
        service.refresh_assisted_suggestions(consultation=consultation, user=None, force=True)
        db.session.commit()
    assert len(embedded) >= 24
