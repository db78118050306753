"""What We Heard reports in French: block titles, table headings, notes and chart words follow the page's language.

Publishing freezes each section's HTML with its blocks in place, in the language of the request that published it
(the demo publishes from the command line, so in English). A French page renders each frozen block again from the
version's frozen data, so the words are French and the numbers are the same ones that were published.
"""
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from engage.extensions import db
from engage.models import ReportQuote, ReportVersion
from engage.reporting.blocks import localize_blocks, render_block
from engage.reporting.document import render_document
from tests.reports.test_rendering import published_document, report_data

# English words of the blocks that a French reader must not meet (the data's own words may still be English).
ENGLISH_BLOCK_WORDS = [
    "Respondents by", "Themes across all questions", "Themes in answers to", "Answers to “", ": the numbers",
    "<th scope=\"col\">People</th>", "<th scope=\"col\">Share</th>", "<th scope=\"col\">Theme</th>",
    "<th scope=\"col\">Answer</th>", "Overall tone", "Other comments", "Who took part, by stream", "Total respondents",
    "People who answered", "hidden to protect groups", "Bar chart.", "not shown, to protect groups",
    "Share: of the people who answered", "Each cell:", "Shared themes by", "<th scope=\"col\">Stream</th>",
    "Status: ", ">hidden<",
]
# A whole number with its thousands separators: "1,234" in English, "1 234" (narrow no-break space) in French.
NUMBER = re.compile(r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+(?!\d)|\d+")


def blocks_of(html: str) -> list[str]:
    return re.findall(r"<!--engage-block [a-z]{2} [a-z]+:[A-Za-z0-9_-]+-->.*?<!--/engage-block-->", html, re.S)


def numbers(html: str) -> list[int]:
    """Every whole number a reader sees in the blocks' text, in order, whatever the thousands separator."""
    text = re.sub(r"<[^>]+>", " ", html)
    return [int(re.sub(r"\D", "", n)) for n in NUMBER.findall(text) if re.sub(r"\D", "", n)]


def english_words_in(html: str) -> list[str]:
    return [words for words in ENGLISH_BLOCK_WORDS if words in html]


# --- The published demo report, as the public reads it -----------------------------------------------------------

def seed(runner, app, *args) -> list[str]:
    """The demo, published from the command line; the frozen section HTML of every published version."""
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return [s["html"] for v in db.session.scalars(select(ReportVersion)) for s in v.sections]


def check_languages(client, url: str, frozen: list[str]) -> tuple[str, str]:
    english = client.get(url + "?lang=en").get_data(as_text=True)
    french = client.get(url + "?lang=fr").get_data(as_text=True)
    english_blocks, french_blocks = blocks_of(english), blocks_of(french)
    assert english_blocks and len(english_blocks) == len(french_blocks)

    # English is still English, and exactly the frozen HTML: the published version is shown as it was published.
    assert all("<!--engage-block en " in block for block in english_blocks)
    stored = [block for html in frozen for block in blocks_of(html)]
    assert all(block in stored for block in english_blocks)

    # French: the blocks' own words are French, marked as French (quotes are people's own words, so they carry no
    # language of their own), and none of the English block words are left.
    for block in french_blocks:
        assert block.startswith("<!--engage-block fr ")
        assert 'lang="fr"' in block or block.startswith("<!--engage-block fr quotes:"), block[:200]
    assert english_words_in("".join(french_blocks)) == []
    # Same numbers in the same order: only the words around them changed.
    assert numbers("".join(french_blocks)) == numbers("".join(english_blocks))
    return "".join(english_blocks), "".join(french_blocks)


def test_a_french_reader_gets_french_blocks_with_the_published_numbers(runner, app, client):
    frozen = seed(runner, app, "--without-review")
    english, french = check_languages(client, "/c/sro-review/report", frozen)
    for words in ("Répondants selon", "Personnes</th>", "Part</th>", " : les chiffres", "Graphique à barres."):
        assert words in french, words
    for words in ("Respondents by", "People</th>", "Share</th>", ": the numbers", "Bar chart."):
        assert words in english, words


def test_the_page_marks_which_parts_are_in_which_language(runner, app, client):
    """The report's own words follow the reader; what staff wrote stays in the consultation's language and says so,
    so that a screen reader reads each part with the right voice."""
    seed(runner, app, "--without-review")
    french = client.get("/c/sro-review/report?lang=fr").get_data(as_text=True)
    article = re.search(r"<article class=\"report[^>]*>", french).group(0)
    assert 'lang="fr"' in article and "Ce que nous avons entendu" in french
    sections = re.findall(r'<section class="report-section section-[^>]*>', french)
    assert sections and all('lang="en"' in tag for tag in sections)
    assert re.search(r'<h1 class="report-title" lang="en">', french)
    for block in blocks_of(french):  # the blocks inside those sections are French again
        assert 'lang="fr"' in block or block.startswith("<!--engage-block fr quotes:")
    english = client.get("/c/sro-review/report?lang=en").get_data(as_text=True)
    assert 'lang="en"' in re.search(r"<article class=\"report[^>]*>", english).group(0)
    assert not any("lang=" in tag for tag in re.findall(r'<section class="report-section section-[^>]*>', english))


def test_the_apps_own_labels_in_blocks_are_french_and_the_consultations_stay_as_written(runner, app, client):
    seed(runner, app, "--without-review")
    french = "".join(blocks_of(client.get("/c/sro-review/report?lang=fr").get_data(as_text=True)))
    for english in ("Not stated", "Channel (how people took part)", "Online form", "« In this group »",
                    "A person may be in several of these groups"):
        assert english not in french, english
    assert "Formulaire en ligne" in french and "Non précisé" in french and "« Dans ce groupe »" in french
    # A pinned finding's title was written when it was pinned, like the report's own text: it stays as written.
    assert "Student" in french  # a consultation's own option is shown as its writers wrote it


def test_the_review_report_reads_in_french_too(runner, app, client):
    frozen = seed(runner, app)
    english, french = check_languages(client, "/reviews/sro-program-review/report", frozen)
    assert "Qui a participé, par volet" in french and "Volet</th>" in french
    assert "Who took part, by stream" in english and "Stream</th>" in english


def test_staff_quote_buttons_name_each_quote_by_its_number_in_its_themes_list(runner, app, client, login_as):
    seed(runner, app, "--without-review")
    with app.app_context():  # so that no quote's id is also its place in the list
        first = db.session.scalar(select(ReportQuote).order_by(ReportQuote.id).limit(1))
        db.session.delete(first)
        db.session.commit()
    login_as("publisher")
    page = client.get("/review/sro-review/report/quotes?status=approved").get_data(as_text=True)
    lists = [part.split("</ol>", 1)[0] for part in page.split('<ol class="quote-list">')[1:]]
    assert len(lists) > 1  # one list per theme, each numbered from 1 on screen
    with app.app_context():
        ids = set(db.session.scalars(select(ReportQuote.id)))
    for items in lists:
        for position, item in enumerate(items.split('<li class="quote-item" id="quote-')[1:], start=1):
            quote_id = int(item.split('"', 1)[0])
            read = set(re.findall(r'class="visually-hidden"> \(quote (\d+) in “[^”]+”: “', item))
            # Every button says the number the list shows beside the quote, never its database id.
            assert quote_id in ids and quote_id != position
            assert read == {str(position)}, (position, quote_id, read)


# --- Blocks and documents directly -------------------------------------------------------------------------------

def test_a_block_rendered_in_french_has_french_words_and_french_number_format(app):
    data = report_data()
    with app.test_request_context("/?lang=fr"):
        participation = str(render_block("participation", "channel", data))
        themes = str(render_block("themes", "all", data))
        segment = str(render_block("segment", "role", data))
    assert participation.startswith("<!--engage-block fr participation:channel-->")
    assert "Répondants selon" in participation and "Nombre total de répondants : 1\u202f234." in participation
    assert "masqué pour protéger les groupes de moins de 10" in participation
    assert "\u00a0%" in participation  # "90 %", not "90%"
    assert "Thèmes dans toutes les questions" in themes and "Ton général" in themes
    assert "Thèmes selon" in segment and "(masqué)" in segment
    assert english_words_in(participation + themes + segment) == []


def test_a_block_can_be_rendered_in_a_language_other_than_the_pages(app):
    data = report_data()
    with app.test_request_context("/?lang=en"):
        french = str(render_block("options", "12", data, language="fr"))
        english = str(render_block("options", "12", data))
    assert french.startswith("<!--engage-block fr ") and "Réponses à « " not in english
    assert "Réponses à" in french and "Answers to “" in english


def test_a_document_frozen_in_english_reads_in_french_and_back(app):
    document = published_document()  # frozen without an app: English
    with app.test_request_context("/?lang=fr"):
        french = render_document(document, standalone=False)
    with app.test_request_context("/?lang=en"):
        english = render_document(document, standalone=False)
    stored = "".join(s["html"] for s in document.sections)
    assert english_words_in("".join(blocks_of(french))) == []
    assert "Thèmes dans les réponses à « " in french and "Autres commentaires" not in english
    for block in blocks_of(stored):
        assert block in english  # kept byte for byte in its own language


def test_html_without_block_markers_is_shown_as_it_is(app):
    old = '<p>We heard.</p><figure class="report-block report-chart"><figcaption>Respondents by channel</figcaption>'
    with app.test_request_context("/?lang=fr"):
        assert str(localize_blocks(old, report_data())) == old


def test_outside_a_request_blocks_stay_in_english(app):
    with app.app_context():
        with force_locale("en"):
            html = str(render_block("themes", "all", report_data()))
    assert html.startswith("<!--engage-block en themes:all-->") and "Themes across all questions" in html


def test_the_fixed_labels_are_exactly_the_words_the_data_is_built_with():
    """The block renderer keeps its own copy of these English strings (it needs no database code): if the data
    side renames one, this fails instead of a French page silently showing English again."""
    from engage.models import CHANNEL_LABELS
    from engage.reporting.blocks import _FIXED_LABELS
    from engage.services.report_data import MULTIPLE_NOTE, NOT_STATED
    from engage.services.segments import CHANNEL_LABEL, IN_GROUP, NOT_IN_GROUP

    # "Not in this group" stays for versions published before "Everyone else" replaced it.
    assert set(_FIXED_LABELS) == {NOT_STATED, MULTIPLE_NOTE, IN_GROUP, NOT_IN_GROUP, CHANNEL_LABEL,
                                  *CHANNEL_LABELS.values(), "Not in this group"}
