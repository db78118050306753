"""The public pages in English and French: how the language is chosen and remembered, consultation wording per
language with an honest note when some of it is not translated, and the language each response is written in.

French UI text comes from the compiled catalogue (translations/fr/LC_MESSAGES/messages.mo); the checks use a
few distinctive strings only.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Consultation, Question, Response, Review
from tests.helpers import fresh_form, question_ids, valid_answers

SLUG = "school-safety"
FR_NOTE = "Une partie de cette page existe seulement en anglais."
EN_NOTE = "Some of this page is only in English."


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def edit(app, slug=SLUG, **changes):
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        for name, value in changes.items():
            setattr(consultation, name, value)
        db.session.commit()


def translate_everything(app, slug=SLUG):
    """French for every piece of the fixture consultation's wording."""
    with app.app_context():
        consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
        consultation.languages = ["en", "fr"]
        consultation.translations = {"fr": {
            "title": "Bilan de la sécurité à l'école", "summary": "Votre avis compte.",
            "description": "Des agents travaillent dans certaines écoles.", "purpose": "Nous voulons savoir.",
            "audience": "Une équipe lit les réponses."}}
        for question in consultation.questions:
            question.translations = {"fr": {"prompt": f"Question {question.position} en français"}}
            for option in question.options:
                option.translations = {"fr": {"label": f"Choix {option.position} en français"}}
        for field in consultation.segment_fields:
            field.translations = {"fr": {"label": f"Champ {field.key} en français"}}
            for option in field.options:
                option.translations = {"fr": {"label": f"Option {field.key} {option.position}"}}
        db.session.commit()


def test_lang_parameter_gives_french_and_the_cookie_remembers_only_the_code(client, make_consultation):
    make_consultation()
    first = client.get("/?lang=fr")
    page = first.get_data(as_text=True)
    assert html_lang(page) == "fr"
    assert "Donnez votre avis" in page and "Aller au contenu principal" in page
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("lang=fr;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert {"Accept-Language", "Cookie"} <= set(first.vary)

    # The next page, with no ?lang=, is still French: the cookie remembers the choice.
    later = client.get("/privacy")
    assert html_lang(later.get_data(as_text=True)) == "fr"
    assert "Comment nous protégeons vos réponses" in later.get_data(as_text=True)
    assert "Set-Cookie" not in later.headers  # nothing new to remember

    # Choosing English again switches back.
    back = client.get("/privacy?lang=en")
    assert html_lang(back.get_data(as_text=True)) == "en" and back.headers["Set-Cookie"].startswith("lang=en;")


def test_accept_language_picks_french_without_a_cookie(client, make_consultation):
    make_consultation()
    page = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert html_lang(text) == "fr" and "Donnez votre avis" in text
    assert "Set-Cookie" not in page.headers  # only an explicit choice is remembered
    assert "Accept-Language" in page.vary
    english = client.get("/", headers={"Accept-Language": "de, en;q=0.8"}).get_data(as_text=True)
    assert html_lang(english) == "en" and "Have your say" in english


def test_unknown_language_codes_fall_back_to_english_and_set_no_cookie(client, make_consultation):
    make_consultation()
    page = client.get("/?lang=xx%22%3E%3Cscript%3E")
    assert html_lang(page.get_data(as_text=True)) == "en"
    assert "Set-Cookie" not in page.headers


def test_the_switcher_marks_the_current_language_and_links_the_other(client, make_consultation):
    make_consultation()
    page = client.get("/privacy?lang=fr").get_data(as_text=True)
    switcher = re.search(r'<nav class="language-switcher" aria-label="Langue">(.*?)</nav>', page, re.S).group(1)
    assert '<span class="current-language" aria-current="true" lang="fr">Français</span>' in switcher
    assert '<a href="/privacy?lang=en" lang="en" hreflang="en">English</a>' in switcher


def test_a_consultation_only_offers_its_own_languages(client, make_consultation):
    make_consultation()  # languages default to ["en"]
    page = client.get(f"/c/{SLUG}?lang=en").get_data(as_text=True)
    assert 'class="language-switcher"' not in page  # nothing to switch to
    edit(client.application, languages=["en", "fr"])
    page = client.get(f"/c/{SLUG}").get_data(as_text=True)
    assert 'hreflang="fr"' in page


def test_french_form_shows_french_wording_and_french_messages(client, app, make_consultation):
    make_consultation()
    translate_everything(app)
    page = client.get(f"/c/{SLUG}/respond?lang=fr").get_data(as_text=True)
    assert "Bilan de la sécurité à l&#39;école" in page and "Question 0 en français" in page
    assert "Choix 1 en français" in page and "Champ role en français" in page and "Option groups 1" in page
    assert "Tout à fait d’accord" in page and "Envoyer mes réponses" in page
    assert FR_NOTE not in page and ' lang="en"' not in page.split("</header>")[1]  # all of it is translated
    sent = client.post(f"/c/{SLUG}/respond", data=fresh_form(client, SLUG))
    errors = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert "Veuillez corriger ces 2 choses" in errors and "Veuillez répondre à cette question." in errors


def test_untranslated_wording_is_shown_in_english_said_once_and_marked_with_its_language(client, app, make_consultation):
    make_consultation()
    edit(app, languages=["en", "fr"], translations={"fr": {"title": "Bilan de la sécurité"}})
    page = client.get(f"/c/{SLUG}/respond?lang=fr").get_data(as_text=True)
    assert page.count(FR_NOTE) == 1
    assert "<h1>Bilan de la sécurité</h1>" in page  # translated: no lang of its own
    assert '<span lang="en">What is it like?</span>' in page  # the question, in English, says so
    assert '<label for="q3-0" lang="en">A teacher</label>' in page or 'lang="en">A teacher</label>' in page
    intro = client.get(f"/c/{SLUG}").get_data(as_text=True)
    assert intro.count(FR_NOTE) == 1 and '<p lang="en">Police officers work in some schools.</p>' in intro
    english = client.get(f"/c/{SLUG}/respond?lang=en").get_data(as_text=True)
    assert EN_NOTE not in english and FR_NOTE not in english and ' lang="en">What is it like?' not in english


def test_each_response_records_the_language_it_was_written_in(client, app, make_consultation):
    make_consultation()
    edit(app, languages=["en", "fr"])
    for language in ("fr", "en"):
        client.get(f"/?lang={language}")
        data = fresh_form(client, SLUG) | valid_answers(app, SLUG)
        assert client.post(f"/c/{SLUG}/respond", data=data).status_code == 303
    with app.app_context():
        assert sorted(db.session.scalars(select(Response.language))) == ["en", "fr"]


def test_questions_for_younger_students_show_their_simple_help_first(client, app, make_consultation):
    make_consultation()
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.prompt == "What is it like?"))
        question.for_younger, question.simple_help, question.help_text = True, "Tell us how it feels.", "Long help."
        question.translations = {"fr": {"simple_help": "Dites-nous comment vous vous sentez."}}
        qid = question.id
        db.session.commit()
    page = client.get(f"/c/{SLUG}/respond").get_data(as_text=True)
    simple = page.index(f'<p class="simple-help" id="q{qid}-simple"><strong>In short:</strong>')
    assert simple < page.index("Long help.") and "Tell us how it feels." in page
    assert f'aria-describedby="q{qid}-simple q{qid}-hint q{qid}-count"' in page
    french = client.get(f"/c/{SLUG}/respond?lang=fr").get_data(as_text=True)
    assert "En bref\u00a0:" in french and "Dites-nous comment vous vous sentez." in french


def test_dates_and_numbers_follow_the_page_language(client, app, make_consultation):
    make_consultation(closes_on=dt.date(2031, 1, 12), min_group_size=1000)
    assert "Open until January 12, 2031" in client.get("/?lang=en").get_data(as_text=True)
    assert "Ouvert jusqu’au 12 janvier 2031" in client.get("/?lang=fr").get_data(as_text=True)
    intro = client.get(f"/c/{SLUG}?lang=fr").get_data(as_text=True)
    assert re.search(r"moins de 1\s000 personnes", intro)
    assert "fewer than 1,000 people" in client.get(f"/c/{SLUG}?lang=en").get_data(as_text=True)


def test_error_pages_speak_the_page_language(client):
    page = client.get("/nowhere?lang=fr")
    assert page.status_code == 404 and "Page introuvable" in page.get_data(as_text=True)
    assert "Page not found" in client.get("/nowhere?lang=en").get_data(as_text=True)


def test_the_outcome_page_links_to_a_public_review_tracker(client, app, make_consultation):
    make_consultation()
    with app.app_context():
        review = Review(slug="sro-program", title="SRO program review", status="draft")
        db.session.add(review)
        db.session.flush()
        db.session.scalar(select(Consultation).where(Consultation.slug == SLUG)).review_id = review.id
        db.session.commit()
    link = "See what the review is doing about it"
    assert link not in client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)  # a draft review is not public
    with app.app_context():
        db.session.scalar(select(Review)).status = "active"
        db.session.commit()
    page = client.get(f"/c/{SLUG}/outcome").get_data(as_text=True)
    if "programs.tracker" not in app.view_functions:
        pytest.skip("the public review tracker is not built in this tree")
    assert f'<a href="/reviews/sro-program/tracker">{link}</a>' in page


def test_pages_vary_by_language_and_static_files_do_not(client):
    """A shared cache must keep a French page apart from an English one; a stylesheet is the same for everyone."""
    page = client.get("/", headers={"Accept-Language": "fr"})
    assert html_lang(page.get_data(as_text=True)) == "fr"
    assert {"Accept-Language", "Cookie"} <= set(page.vary)
    with client.get("/static/css/engage.css", headers={"Accept-Language": "fr"}) as stylesheet:
        assert stylesheet.status_code == 200 and "Accept-Language" not in stylesheet.vary
        assert "Set-Cookie" not in stylesheet.headers
    with client.get("/static/css/engage.css?lang=fr") as chosen:
        assert chosen.status_code == 200 and "Set-Cookie" not in chosen.headers  # only pages remember a choice


def test_french_writes_the_first_of_the_month_as_an_ordinal(app):
    from engage.reporting.blocks import long_date

    with app.test_request_context("/?lang=fr"):
        assert long_date(dt.date(2027, 2, 1)) == "1er février 2027" == long_date("2027-02-01")
        assert app.jinja_env.filters["long_date"](dt.datetime(2027, 2, 1, 9, 30)) == "1er février 2027"
        assert long_date(dt.date(2027, 2, 11)) == "11 février 2027"
    with app.test_request_context("/?lang=en"):
        assert long_date(dt.date(2027, 2, 1)) == "February 1, 2027"
