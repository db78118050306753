"""Theme curation: adopting a run, the board, rename/merge/split/delete/reorder, and codebook files."""
import io
import json

import pytest
from sqlalchemy import func, select

from engage.extensions import db
from engage.models import AnalysisRun, Answer, AuditEvent, Code, Consultation, SampleCoding, Suggestion, Theme, User
from engage.services import analysis_runs, codebook_files
from engage.services import themes as service
from engage.services.demo import seed_demo
from engage.services.themes import ThemeError
from tests.helpers import hidden_inputs


@pytest.fixture
def demo(app):
    with app.app_context():
        consultation, _ = seed_demo(responses=40)
        db.session.commit()
        return consultation.id


def run_analysis(app, consultation_id, n_themes=4):
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        run = analysis_runs.start_analysis(consultation=consultation, user=None, n_themes=n_themes)
        db.session.commit()
        run = analysis_runs.execute_run(run_id=run.id)
        assert run.status == "done", run.error
        return run.id


def adopt(app, run_id):
    with app.app_context():
        created = service.adopt_run_themes(run=db.session.get(AnalysisRun, run_id), user=None)
        db.session.commit()
        return [t.id for t in created]


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def add(app, consultation_id, name, **kwargs):
    with app.app_context():
        theme = service.add_theme(consultation=db.session.get(Consultation, consultation_id), user=None, name=name, **kwargs)
        db.session.commit()
        return theme.id


def code(app, answer_ids, theme_id):
    with app.app_context():
        db.session.add_all(Code(answer_id=a, theme_id=theme_id, origin="manual") for a in answer_ids)
        db.session.commit()


def some_answers(app, consultation_id, n):
    from engage.models import Answer, Response

    with app.app_context():
        return db.session.scalars(
            select(Answer.id).join(Response).where(Response.consultation_id == consultation_id, Answer.text.is_not(None))
            .order_by(Answer.id).limit(n)).all()


def test_adopting_a_run_creates_themes_and_pending_suggestions_once(app, demo):
    run_id = run_analysis(app, demo)
    first = adopt(app, run_id)
    assert len(first) == 4
    with app.app_context():
        themes = db.session.scalars(select(Theme).order_by(Theme.position)).all()
        assert all(t.source == "machine" and t.machine_theme_id for t in themes)
        assert count(Suggestion, Suggestion.status == "pending", Suggestion.source == "discovery",
                     Suggestion.run_id == run_id) > 0
        n_suggestions = count(Suggestion)
        assert count(Code) == 0  # machines never write codes
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "adopt_run_themes")).details["themes"] == 4
    assert adopt(app, run_id) == []  # adopting the same run again adds nothing
    with app.app_context():
        assert count(Theme) == 4 and count(Suggestion) == n_suggestions


def test_adopting_never_touches_existing_codes(app, demo):
    manual = add(app, demo, "Hand-made")
    answers = some_answers(app, demo, 3)
    code(app, answers, manual)
    adopt(app, run_analysis(app, demo))
    with app.app_context():
        assert sorted(db.session.scalars(select(Code.answer_id).where(Code.theme_id == manual))) == sorted(answers)
        assert count(Code) == 3


def test_board_shows_sizes_sentiment_keywords_and_scrubbed_quotes(app, client, demo, login_as):
    run_id = run_analysis(app, demo)
    theme_ids = adopt(app, run_id)
    with app.app_context():
        # A quote with personal details must be scrubbed on the board.
        from engage.models import MachineTheme

        theme = db.session.get(Theme, theme_ids[0])
        machine = db.session.get(MachineTheme, theme.machine_theme_id)
        from engage.models import Answer

        answer = db.session.get(Answer, __import__("uuid").UUID(machine.quote_answer_ids[0]))
        answer.text = "Email me at kid@example.org about the officer."
        db.session.commit()
    code(app, some_answers(app, demo, 2), theme_ids[0])
    login_as("reviewer")
    page = client.get("/review/sro-review/themes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "kid@example.org" not in html and "[email]" in html
    assert "Coded comments" in html and "Waiting as suggestions" in html and "Average sentiment" in html
    with app.app_context():
        rows, total = service.theme_board(consultation=db.session.get(Consultation, demo))
        assert rows[0].coded == 2 and rows[0].share == pytest.approx(2 / total)
        assert rows[0].pending > 0 and rows[0].sentiment is not None and rows[0].theme.keywords


def test_rename_and_describe_through_the_page(app, client, demo, login_as):
    theme_id = add(app, demo, "Safety")
    add(app, demo, "Trust")
    login_as("reviewer")
    page = client.get(f"/review/sro-review/themes/{theme_id}")
    form = hidden_inputs(page.get_data(as_text=True))
    response = client.post(f"/review/sro-review/themes/{theme_id}", data={
        "csrf_token": form["csrf_token"], "edit-name": "Feeling safe", "edit-description": "Safety at school",
        "edit-keywords": "safe, lockdown"})
    assert response.status_code == 303
    with app.app_context():
        theme = db.session.get(Theme, theme_id)
        assert (theme.name, theme.description, theme.keywords) == ("Feeling safe", "Safety at school", ["safe", "lockdown"])
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update_theme")).target_id == theme_id
    clash = client.post(f"/review/sro-review/themes/{theme_id}", data={"csrf_token": form["csrf_token"], "edit-name": "trust"})
    assert clash.status_code == 422 and "already a theme called" in clash.get_data(as_text=True)
    assert client.post(f"/review/sro-review/themes/{theme_id}", data={"edit-name": "No token"}).status_code == 400
    with app.app_context():
        assert db.session.get(Theme, theme_id).name == "Feeling safe"


def test_merge_moves_codes_and_suggestions_and_drops_duplicates(app, demo):
    a, b = add(app, demo, "Police presence"), add(app, demo, "Officers around")
    answers = some_answers(app, demo, 4)
    code(app, answers[:3], a)
    code(app, answers[2:], b)  # answers[2] is coded with both
    with app.app_context():
        db.session.add(Suggestion(answer_id=answers[0], theme_id=b, source="discovery", score=0.7))
        db.session.add(Suggestion(answer_id=answers[3], theme_id=a, source="discovery", score=0.6))
        db.session.commit()
        service.merge_themes(source=db.session.get(Theme, b), target=db.session.get(Theme, a), user=None)
        db.session.commit()
        merged = db.session.get(Theme, b)
        assert merged.archived_at is not None and merged.merged_into_id == a
        assert sorted(db.session.scalars(select(Code.answer_id).where(Code.theme_id == a))) == sorted(answers)
        assert count(Code, Code.theme_id == b) == 0 and count(Code) == 4
        # The suggestion for a comment already coded with the target is dropped; the other stays.
        assert count(Suggestion, Suggestion.theme_id == a) == 1
        assert [t.id for t in service.active_themes(consultation_id=demo)] == [a]
        with pytest.raises(ThemeError):
            service.merge_themes(source=db.session.get(Theme, a), target=db.session.get(Theme, a), user=None)


def test_merge_follows_into_blind_double_coding_records(app, demo, make_user):
    a, b = add(app, demo, "A"), add(app, demo, "B")
    answer = some_answers(app, demo, 1)[0]
    coder = make_user(email="coder@example.org")
    with app.app_context():
        from engage.models import CodingSample, CodingSampleItem

        sample = CodingSample(consultation_id=demo, coder_a_id=coder, coder_b_id=coder, seed=0)
        sample.items = [CodingSampleItem(answer_id=answer)]
        db.session.add(sample)
        db.session.flush()
        db.session.add(SampleCoding(sample_id=sample.id, answer_id=answer, coder_id=coder, theme_ids=[a, b]))
        db.session.commit()
        service.merge_themes(source=db.session.get(Theme, b), target=db.session.get(Theme, a), user=None)
        db.session.commit()
        assert db.session.scalar(select(SampleCoding.theme_ids)) == [a]


def _codes_and_suggestions():
    return (sorted((str(a), t, o) for a, t, o in db.session.execute(select(Code.answer_id, Code.theme_id, Code.origin))),
            sorted((str(a), t, s, st) for a, t, s, st in db.session.execute(
                select(Suggestion.answer_id, Suggestion.theme_id, Suggestion.source, Suggestion.status))))


def test_a_merge_is_separated_again_exactly_as_it_was(app, demo, make_user):
    a, b = add(app, demo, "Police presence", keywords=["police"]), add(app, demo, "Officers around", keywords=["officer"])
    answers = some_answers(app, demo, 5)
    code(app, answers[:3], a)
    code(app, answers[2:], b)  # answers[2] is coded with both: the merge drops b's copy
    coder = make_user(email="coder@example.org")
    with app.app_context():
        from engage.models import CodingSample, CodingSampleItem

        db.session.add(Suggestion(answer_id=answers[0], theme_id=b, source="discovery", score=0.7))  # dropped
        db.session.add(Suggestion(answer_id=answers[4], theme_id=b, source="assisted", score=0.6, status="rejected"))
        sample = CodingSample(consultation_id=demo, coder_a_id=coder, coder_b_id=coder, seed=0)
        sample.items = [CodingSampleItem(answer_id=answers[1])]
        db.session.add(sample)
        db.session.flush()
        db.session.add(SampleCoding(sample_id=sample.id, answer_id=answers[1], coder_id=coder, theme_ids=[a, b]))
        db.session.commit()
        before = _codes_and_suggestions()
        service.merge_themes(source=db.session.get(Theme, b), target=db.session.get(Theme, a), user=None)
        db.session.commit()
        assert _codes_and_suggestions() != before
        assert [t for t, _ in service.merged_themes(consultation_id=demo)] == [db.session.get(Theme, b)]
        theme = service.unmerge_theme(consultation_id=demo, theme_id=b, user=None)
        db.session.commit()
        assert theme.id == b and theme.archived_at is None and theme.merged_into_id is None
        assert _codes_and_suggestions() == before
        assert db.session.scalar(select(SampleCoding.theme_ids)) == [a, b]
        assert db.session.get(Theme, a).keywords == ["police"]
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["Police presence", "Officers around"]
        assert service.merged_themes(consultation_id=demo) == []
        assert count(AuditEvent, AuditEvent.action == "unmerge_themes") == 1
        assert service.unmerge_theme(consultation_id=demo, theme_id=b, user=None) is None  # nothing left to undo


def test_separating_again_keeps_work_done_since_the_merge(app, demo):
    a, b = add(app, demo, "A", keywords=["one"]), add(app, demo, "B", keywords=["two"])
    answers = some_answers(app, demo, 4)
    code(app, answers[:2], b)
    with app.app_context():
        service.merge_themes(source=db.session.get(Theme, b), target=db.session.get(Theme, a), user=None)
        db.session.commit()
        # Since the merge: one of b's old codes was removed, a new comment was coded, keywords were edited.
        db.session.execute(Code.__table__.delete().where(Code.answer_id == answers[0]))
        db.session.add(Code(answer_id=answers[3], theme_id=a))
        db.session.get(Theme, a).keywords = ["one", "two", "three"]
        db.session.commit()
        service.unmerge_theme(consultation_id=demo, theme_id=b, user=None)
        db.session.commit()
        assert sorted(db.session.scalars(select(Code.answer_id).where(Code.theme_id == b))) == [answers[1]]
        assert sorted(db.session.scalars(select(Code.answer_id).where(Code.theme_id == a))) == [answers[3]]
        assert db.session.get(Theme, a).keywords == ["one", "two", "three"]


def test_chained_merges_separate_back_exactly(app, demo):
    # Comments coded A and C but not B: A -> B moves their codes, B -> C drops them as duplicates, separating B
    # re-creates them under new ids, and separating A must still take them back.
    a, b, c = add(app, demo, "A"), add(app, demo, "B"), add(app, demo, "C")
    answers = some_answers(app, demo, 6)
    code(app, answers[:4], a)
    code(app, answers[2:5], b)
    code(app, [answers[0], answers[1], answers[5]], c)
    with app.app_context():
        db.session.add(Suggestion(answer_id=answers[5], theme_id=a, source="discovery", score=0.5))
        db.session.commit()
        before = _codes_and_suggestions()
        for source, target in ((a, b), (b, c)):
            service.merge_themes(source=db.session.get(Theme, source), target=db.session.get(Theme, target), user=None)
            db.session.commit()
        for theme_id in (b, a):
            service.unmerge_theme(consultation_id=demo, theme_id=theme_id, user=None)
            db.session.commit()
        assert _codes_and_suggestions() == before


def test_separating_needs_the_theme_it_went_into_back_first(app, client, demo, login_as):
    a, b, c = add(app, demo, "A"), add(app, demo, "B"), add(app, demo, "C")
    login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    assert client.post(f"/review/sro-review/themes/{b}/merge", data={"csrf_token": token, "target": str(a)}).status_code == 303
    board = client.get("/review/sro-review/themes").get_data(as_text=True)
    assert "Merged themes" in board and f"/themes/{b}/unmerge" in board and "“B”, merged into “A”" in board
    assert client.post(f"/review/sro-review/themes/{a}/merge", data={"csrf_token": token, "target": str(c)}).status_code == 303
    response = client.post(f"/review/sro-review/themes/{b}/unmerge", data={"csrf_token": token})
    assert response.status_code == 303
    assert "was merged into “A”, which has since been deleted or merged" in \
        client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Theme, b).archived_at is not None
    for theme_id in (a, b):  # A out of C first, then B out of A
        assert client.post(f"/review/sro-review/themes/{theme_id}/unmerge", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["C", "A", "B"]
    assert client.post(f"/review/sro-review/themes/{c}/unmerge", data={"csrf_token": token}).status_code == 404
    assert client.post("/review/sro-review/themes/999999/unmerge", data={"csrf_token": token}).status_code == 404
    # An expired page changes nothing and says so.
    assert client.post(f"/review/sro-review/themes/{b}/merge", data={"csrf_token": token, "target": str(c)}).status_code == 303
    response = client.post(f"/review/sro-review/themes/{b}/unmerge", data={"csrf_token": "stale"})
    assert response.status_code == 400 and "This page timed out" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Theme, b).merged_into_id == c


def test_split_by_moving_comments_through_the_page(app, client, demo, login_as):
    theme_id = add(app, demo, "Mixed")
    answers = some_answers(app, demo, 4)
    code(app, answers, theme_id)
    login_as("reviewer")
    token = hidden_inputs(client.get(f"/review/sro-review/themes/{theme_id}").get_data(as_text=True))["csrf_token"]
    response = client.post(f"/review/sro-review/themes/{theme_id}/split", data={
        "csrf_token": token, "name": "Split off", "answers": [str(answers[0]), str(answers[1])]})
    assert response.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Theme).where(Theme.name == "Split off"))
        assert sorted(db.session.scalars(select(Code.answer_id).where(Code.theme_id == new.id))) == sorted(answers[:2])
        assert count(Code, Code.theme_id == theme_id) == 2
    empty = client.post(f"/review/sro-review/themes/{theme_id}/split", data={"csrf_token": token, "name": "Nothing"})
    assert empty.status_code == 422 and "Choose at least one comment" in empty.get_data(as_text=True)


def test_split_by_reclustering_makes_new_themes_with_suggestions(app, demo):
    run_id = run_analysis(app, demo, n_themes=2)
    big = adopt(app, run_id)[0]
    with app.app_context():
        theme = db.session.get(Theme, big)
        before_codes = count(Code)
        created = service.recluster_theme(theme=theme, user=None, n_themes=2, seed=1)
        db.session.commit()
        assert len(created) == 2
        for new in created:
            assert count(Suggestion, Suggestion.theme_id == new.id, Suggestion.status == "pending") > 0
        assert count(Code) == before_codes and db.session.get(Theme, big).archived_at is None
        with pytest.raises(ThemeError, match="between 2 and 10"):
            service.recluster_theme(theme=theme, user=None, n_themes=40)
        tiny = service.add_theme(consultation=db.session.get(Consultation, demo), user=None, name="Tiny")
        with pytest.raises(ThemeError, match="at least"):
            service.recluster_theme(theme=tiny, user=None, n_themes=2)


def test_delete_archives_and_reorder_moves(app, client, demo, login_as):
    ids = [add(app, demo, name) for name in ("One", "Two", "Three")]
    login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    assert client.post(f"/review/sro-review/themes/{ids[2]}/move", data={"csrf_token": token, "direction": "up"}).status_code == 303
    with app.app_context():
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["One", "Three", "Two"]
    assert client.post(f"/review/sro-review/themes/{ids[0]}/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["Three", "Two"]
        assert db.session.get(Theme, ids[0]).archived_at is not None
        assert count(AuditEvent, AuditEvent.action == "archive_theme") == 1
    assert client.get(f"/review/sro-review/themes/{ids[0]}").status_code == 404


def test_a_deleted_theme_comes_back_with_its_codes_and_a_merged_one_is_not_offered(app, client, demo, login_as):
    ids = [add(app, demo, name) for name in ("One", "Two", "Three")]
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id).where(Answer.text.is_not(None)).limit(1))
        db.session.add(Code(answer_id=answer_id, theme_id=ids[0]))
        db.session.commit()
    login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    client.post(f"/review/sro-review/themes/{ids[0]}/delete", data={"csrf_token": token})
    client.post(f"/review/sro-review/themes/{ids[1]}/merge", data={"csrf_token": token, "target": str(ids[2])})
    board = client.get("/review/sro-review/themes").get_data(as_text=True)
    assert "Deleted themes" in board and f"/themes/{ids[0]}/restore" in board
    assert f"/themes/{ids[1]}/restore" not in board  # merged: "Separate again" undoes that instead
    assert client.post(f"/review/sro-review/themes/{ids[1]}/restore", data={"csrf_token": token}).status_code == 404
    # A theme added meanwhile under the same name blocks the restore, with a message, and changes nothing.
    clash = add(app, demo, "one")
    response = client.post(f"/review/sro-review/themes/{ids[0]}/restore", data={"csrf_token": token})
    assert response.status_code == 303
    assert "There is already a theme called" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Theme, ids[0]).archived_at is not None
        db.session.get(Theme, clash).name = "One, newer"
        db.session.commit()
    assert client.post(f"/review/sro-review/themes/{ids[0]}/restore", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["Three", "One, newer", "One"]
        assert db.session.scalar(select(Code.theme_id).where(Code.answer_id == answer_id)) == ids[0]
        assert count(AuditEvent, AuditEvent.action == "restore_theme") == 1
    assert "Deleted themes" not in client.get("/review/sro-review/themes").get_data(as_text=True)


def test_add_theme_by_hand_and_refuse_duplicates(app, client, demo, login_as):
    user_id = login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    data = {"csrf_token": token, "add-name": "Trust", "add-description": "Trusting the officer",
            "add-keywords": "trust, know", "add-examples": "I trust him.\nShe knows us."}
    assert client.post("/review/sro-review/themes/add", data=data).status_code == 303
    with app.app_context():
        theme = db.session.scalar(select(Theme))
        assert (theme.source, theme.keywords, theme.examples) == ("human", ["trust", "know"], ["I trust him.", "She knows us."])
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "add_theme"))
        assert event.actor_id == user_id and "trust" not in json.dumps(event.details).lower()
    again = client.post("/review/sro-review/themes/add", data=data | {"add-name": "  TRUST "})
    assert again.status_code == 422 and "already a theme" in again.get_data(as_text=True)
    missing = client.post("/review/sro-review/themes/add", data={"csrf_token": token, "add-name": ""})
    assert missing.status_code == 422 and "Give the theme a name" in missing.get_data(as_text=True)


def test_export_neutralises_formulas_and_round_trips(app, client, demo, login_as, make_consultation):
    add(app, demo, "=HYPERLINK(\"http://x\")", description="+1 danger", keywords=["@home", "-minus"], examples=["ok"])
    add(app, demo, "Plain", keywords=["a", "b"], examples=["one", "two"])
    login_as("reviewer")
    csv_text = client.get("/review/sro-review/themes/codebook.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "'+1 danger" in csv_text and "'@home; -minus" in csv_text
    assert "\n=" not in csv_text and ",=" not in csv_text
    exported = client.get("/review/sro-review/themes/codebook.json").get_json()
    assert [t["name"] for t in exported["themes"]] == ["=HYPERLINK(\"http://x\")", "Plain"]
    other = make_consultation("other")
    with app.app_context():
        parsed = codebook_files.parse_codebook(filename="book.csv", data=csv_text.encode())
        codebook_files.import_codebook(consultation=db.session.get(Consultation, other), user=None, themes=parsed)
        db.session.commit()
        themes = service.active_themes(consultation_id=other)
        assert [(t.name, t.keywords, t.examples, t.source) for t in themes] == [
            ("=HYPERLINK(\"http://x\")", ["@home", "-minus"], ["ok"], "imported"),
            ("Plain", ["a", "b"], ["one", "two"], "imported")]


@pytest.mark.parametrize("filename, data, message", [
    ("book.csv", b"", "empty"),
    ("book.csv", "name\nCaf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("book.csv", b"title,description\nA,b\n", "name"),
    ("book.csv", b"name,description\n,no name\n", "has no name"),
    ("book.csv", b"name\nSafety\nsafety\n", "more than once"),
    ("book.csv", b"name,description,name\nSafety,a,Trust\n", "both called"),
    ("book.json", b"{not json", "could not be read"),
    ("book.json", b'{"themes": "nope"}', "list of themes"),
    ("book.csv", b"name\n" + b"x" * 100_001, "larger than"),
    # Half a character stored in a keyword made the board and both downloads fail on every visit.
    ("book.json", b'{"themes": [{"name": "Surr", "keywords": ["\\udfff"]}]}', "broken character"),
    ("book.json", b'[{"name": "\\ud800 alone"}]', "broken character"),
    ("book.json", b"[" * 40_000 + b"]" * 40_000, "nested too deeply"),
    ("book.json", b'[{"name": "Long", "description": "' + b"d" * 2001 + b'"}]', "longer than 2,000"),
])
def test_bad_codebook_files_change_nothing(app, client, demo, login_as, filename, data, message):
    add(app, demo, "Existing")
    login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    response = client.post("/review/sro-review/themes/import", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    if len(data) > app.config["MAX_CONTENT_LENGTH"]:
        assert response.status_code == 413
    else:
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert [t.name for t in service.active_themes(consultation_id=demo)] == ["Existing"]


def test_import_refuses_names_already_on_the_board(app, client, demo, login_as):
    add(app, demo, "Existing")
    login_as("reviewer")
    token = hidden_inputs(client.get("/review/sro-review/themes").get_data(as_text=True))["csrf_token"]
    body = json.dumps([{"name": "New one", "keywords": ["k"]}, {"name": "existing"}]).encode()
    response = client.post("/review/sro-review/themes/import", data={"csrf_token": token, "file": (io.BytesIO(body), "b.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "already in the codebook" in response.get_data(as_text=True)
    good = json.dumps({"themes": [{"name": "New one", "keywords": "k1; k2", "examples": ["e"]}]}).encode()
    response = client.post("/review/sro-review/themes/import", data={"csrf_token": token, "file": (io.BytesIO(good), "b.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Theme).where(Theme.name == "New one"))
        assert new.keywords == ["k1", "k2"] and new.source == "imported"
        assert count(AuditEvent, AuditEvent.action == "import_codebook") == 1


def test_adopt_button_on_the_run_page(app, client, demo, login_as):
    run_analysis(app, demo)
    login_as("reviewer")
    page = client.get("/review/sro-review/runs/1").get_data(as_text=True)
    assert "Add these themes to the codebook" in page
    response = client.post("/review/sro-review/runs/1/adopt", data={"csrf_token": hidden_inputs(page)["csrf_token"]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/sro-review/themes")
    with app.app_context():
        assert count(Theme) == 4
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "adopt_run_themes"))
        assert db.session.get(User, event.actor_id).email == "reviewer@example.org"


def test_reviewer_outside_the_scope_gets_404(app, client, demo, login_as, make_consultation):
    theme_id = add(app, demo, "Safety")
    other = make_consultation("other-one")
    login_as("reviewer", consultation_ids=[other])
    assert client.get("/review/sro-review/themes").status_code == 404
    assert client.get(f"/review/sro-review/themes/{theme_id}").status_code == 404
    assert client.get("/review/sro-review/themes/codebook.csv").status_code == 404
    # A theme of one consultation cannot be reached through another's URL.
    assert client.get(f"/review/other-one/themes/{theme_id}").status_code == 404
