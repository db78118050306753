"""Admins give a consultation's wording in French; French participants then read it, and gaps are shown."""
import re

from sqlalchemy import select

from engage.extensions import db
from engage.models import AuditEvent, Consultation, Question, QuestionRevision
from tests.admin.test_consultations import SETTINGS, _post
from tests.helpers import fresh_form, question_ids, valid_answers


def _consultation(app, slug="school-safety") -> Consultation:
    return db.session.scalar(select(Consultation).where(Consultation.slug == slug))


def _offer_french(app, client, consultation_id):
    with app.app_context():
        c = db.session.get(Consultation, consultation_id)
        settings = SETTINGS | {"title": c.title, "slug": c.slug, "description": c.description, "purpose": c.purpose,
                               "audience": c.audience, "source_language": "en", "other_languages": "fr"}
    return _post(client, f"/admin/consultations/{consultation_id}", settings)


def test_admin_adds_french_and_sees_what_is_missing(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    login_as("admin")
    assert client.get(f"/admin/consultations/{consultation_id}/translations/fr").status_code == 404  # not offered yet
    assert _offer_french(app, client, consultation_id).status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, consultation_id).languages == ["en", "fr"]
    page = client.get(f"/admin/consultations/{consultation_id}").get_data(as_text=True)
    # 5 intro texts, 5 prompts, 5 options, 2 "about you" labels and their 4 options.
    assert "0 of 21 texts translated" in page and "21 missing" in page
    form = client.get(f"/admin/consultations/{consultation_id}/translations/fr").get_data(as_text=True)
    assert 'lang="fr"' in form and "School safety check-in" in form


def test_french_wording_is_stored_shown_to_the_admin_and_to_french_participants(app, client, login_as,
                                                                              make_consultation):
    consultation_id = make_consultation()
    ids = question_ids(app, "school-safety")
    login_as("admin")
    _offer_french(app, client, consultation_id)
    url = f"/admin/consultations/{consultation_id}/translations/fr"
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        single = next(q for q in consultation.questions if q.kind == "single")
        role = consultation.segment_fields[0]
        keys = {
            f"consultation__{consultation_id}__title": "Sécurité à l'école",
            f"consultation__{consultation_id}__description": "Des policiers travaillent dans certaines écoles.",
            f"question__{ids['text0']}__prompt": "Comment ça se passe?",
            f"option__{single.options[0].id}__label": "Une enseignante ou un enseignant",
            f"segment_field__{role.id}__label": "Qui êtes-vous?",
            f"segment_option__{role.options[0].id}__label": "Élève",
        }
    response = _post(client, url, keys)
    assert response.status_code == 303

    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        assert consultation.translations == {"fr": {"title": "Sécurité à l'école",
                                                    "description": "Des policiers travaillent dans certaines écoles."}}
        assert db.session.get(Question, ids["text0"]).translations == {"fr": {"prompt": "Comment ça se passe?"}}
        assert consultation.segment_fields[0].options[0].translations == {"fr": {"label": "Élève"}}
        assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "translate_consultation")) \
            == {"language": "fr", "changed": 6}
    editor = client.get(url).get_data(as_text=True)
    assert 'value="Sécurité à l&#39;école"' in editor and "6 of 21 texts translated" in editor

    client.post("/auth/logout", data={"csrf_token": _csrf(client)})
    public = client.get("/c/school-safety?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in public
    assert "Sécurité à l&#39;école" in public and "Des policiers travaillent dans certaines écoles." in public
    english = client.get("/c/school-safety?lang=en").get_data(as_text=True)
    assert "School safety check-in" in english and "Sécurité" not in english
    form = client.get("/c/school-safety/respond?lang=fr").get_data(as_text=True)
    assert "Comment ça se passe?" in form and "Élève" in form
    assert "I feel safe at school." in form  # not translated: the original wording stays


def test_emptying_a_box_removes_that_translation(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    login_as("admin")
    _offer_french(app, client, consultation_id)
    url = f"/admin/consultations/{consultation_id}/translations/fr"
    _post(client, url, {f"consultation__{consultation_id}__title": "Sécurité", f"consultation__{consultation_id}__purpose": "Savoir"})
    _post(client, url, {f"consultation__{consultation_id}__title": "  "})
    with app.app_context():
        assert db.session.get(Consultation, consultation_id).translations == {"fr": {"purpose": "Savoir"}}


def test_changing_an_answered_questions_translation_is_recorded(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    ids = question_ids(app, "school-safety")
    assert client.post("/c/school-safety/respond", data=fresh_form(client, "school-safety")
                       | valid_answers(app, "school-safety")).status_code == 303
    login_as("admin")
    _offer_french(app, client, consultation_id)
    url = f"/admin/consultations/{consultation_id}/translations/fr"
    key = f"question__{ids['text0']}__prompt"
    _post(client, url, {key: "Comment c'est?"})
    _post(client, url, {key: "Comment ça se passe?"})
    with app.app_context():
        revisions = db.session.scalars(select(QuestionRevision).where(QuestionRevision.question_id == ids["text0"])
                                       .order_by(QuestionRevision.id)).all()
        assert [(r.field, r.old_value, r.new_value) for r in revisions] == [
            ("prompt (fr)", "", "Comment c'est?"), ("prompt (fr)", "Comment c'est?", "Comment ça se passe?")]
    assert "prompt (fr)" not in client.get(f"/admin/questions/{ids['text0']}").get_data(as_text=True)
    assert "(fr)" in client.get(f"/admin/questions/{ids['text0']}").get_data(as_text=True)


def test_questions_for_younger_students_keep_their_simple_help(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    login_as("admin")
    response = _post(client, f"/admin/consultations/{consultation_id}/questions", {
        "kind": "text", "prompt": "How do you feel at recess?", "for_younger": "y",
        "simple_help": "Tell us in a few words."})
    assert response.status_code == 303
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.prompt == "How do you feel at recess?"))
        assert question.for_younger and question.simple_help == "Tell us in a few words."
        question_id = question.id
    page = client.get(f"/admin/questions/{question_id}").get_data(as_text=True)
    assert "Tell us in a few words." in page and re.search(r'<input checked[^>]* name="for_younger"', page)


def test_a_language_not_offered_cannot_be_stored(app, client, login_as, make_consultation):
    consultation_id = make_consultation()
    login_as("admin")
    response = _post(client, f"/admin/consultations/{consultation_id}", SETTINGS | {
        "slug": "school-safety", "source_language": "en", "other_languages": "de"})
    assert response.status_code == 422
    assert client.get(f"/admin/consultations/{consultation_id}/translations/de").status_code == 404


def _csrf(client):
    from tests.helpers import hidden_inputs

    return hidden_inputs(client.get("/staff/").get_data(as_text=True))["csrf_token"]
