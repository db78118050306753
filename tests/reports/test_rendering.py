"""Report rendering: safe Markdown, SVG charts, data blocks and the HTML document, from a hand-written data dict."""
import copy
import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from engage.reporting.blocks import block_tokens, known_blocks, render_block
from engage.reporting.charts import bar_chart
from engage.reporting.document import render_document, stylesheet, stylesheet_csp_source
from engage.reporting.markdown import render_markdown
from engage.services.reports import Document

def report_data() -> dict:
    """A realistic report data dict (schema 1) with hidden cells, hostile text, and numbers that are easy to find.

    Hidden cells are None, as ``build_report_data`` leaves them. Where a hidden number could be worked out from the
    others (a total minus the visible rows), that number is distinctive, so a test can check it never appears.
    """
    def theme(i, name, n, share, label, mean=0.1):
        return {"id": i, "name": name, "description": f"Comments about {name.lower()}.", "n": n, "share": share,
                "sentiment": {"mean": mean if n is not None else None, "label": label,
                              "positive": None, "neutral": None, "negative": None}}

    return {
        "schema": 1,
        "generated_on": "2026-11-20",
        "consultation": {"slug": "sro-review", "title": "School Resource Officer Program Review",
                         "summary": "Should police officers keep working in our schools?",
                         "description": "The board asked students, families and staff.", "purpose": "To decide.",
                         "audience": "The board", "opens_on": "2026-09-01", "closes_on": "2026-10-15"},
        "public_min": 10,
        "identity_min": 15,
        "participation": {
            "respondents": 1234, "comments": 1180, "sessions": 3, "session_comments": 57,
            "first_day": "2026-09-01", "last_day": "2026-10-15", "channels": ["Online form", "Paper form", "Email"],
            "tables": [
                {"key": "channel", "label": "Channel", "identity": False, "min": 10, "note": "", "total": 1234,
                 "rows": [{"label": "Online form", "n": 1101, "share": 0.8922},
                          {"label": "Paper form", "n": None, "share": None},      # with Email: 133 together
                          {"label": "Email", "n": None, "share": None}]},
                {"key": "f4", "label": "Your groups", "identity": True, "min": 15,
                 "note": "People could choose more than one group.", "total": 1234,
                 "rows": [{"label": "Racialized", "n": 212, "share": 0.1718},
                          {"label": "2SLGBTQ+", "n": None, "share": None}]},
            ],
        },
        "method": {"source": "codes", "themes": 4, "coded_comments": 1180,
                   "run": None, "agreement": [{"sample": 1, "items": 120, "kappa": 0.74, "percent": 0.88}]},
        "questions": [
            {"id": 11, "position": 0, "prompt": "How do you feel about having an officer at your school?",
             "kind": "text", "required": True, "respondents": 1180, "options": [],
             "themes": [theme(1, "Feeling safe", 512, 0.4339, "positive", 0.31),
                        theme(2, "Fear of police", 298, 0.2525, "negative", -0.42),
                        theme(3, "Relationships with students", 187, 0.1585, "positive"),
                        theme(4, "Cost", None, None, None)]},
            {"id": 12, "position": 1, "prompt": "I feel safe at school.", "kind": "scale", "required": True,
             "respondents": 1200, "themes": [],
             "options": [{"label": "Strongly agree", "n": 401, "share": 0.3342},
                         {"label": "Agree", "n": 388, "share": 0.3233},
                         {"label": "Neutral", "n": 290, "share": 0.2417},
                         {"label": "Disagree", "n": 114, "share": 0.095},
                         {"label": "Strongly disagree", "n": None, "share": None}]},   # 7 = 1200 - the rest
            {"id": 13, "position": 2, "prompt": "What should the officer do?", "kind": "multiple", "required": False,
             "respondents": 940, "themes": [],
             "options": [{"label": "Talk with students", "n": 610, "share": 0.6489},
                         {"label": "Teach classes", "n": 233, "share": 0.2479},
                         {"label": "Leave the school", "n": 305, "share": 0.3245}]},
        ],
        "themes": [dict(theme(1, "Feeling safe", 530, 0.4492, "positive", 0.3), question_ids=[11]),
                   dict(theme(2, "Fear of police", 301, 0.2551, "negative", -0.4), question_ids=[11]),
                   dict(theme(3, "Relationships with students", 190, 0.161, "positive"), question_ids=[11]),
                   dict(theme(4, "Cost", None, None, None), question_ids=[11])],
        "segments": [
            {"key": "role", "label": "Which describes you?", "identity": False, "min": 10, "total": 1180,
             "theme_ids": [1, 2, 4],
             "rows": [{"label": "Student", "n": 640, "mean_sentiment": 0.12,
                       "themes": {"1": {"n": 301, "share": 0.4703}, "2": {"n": 199, "share": 0.3109},
                                  "4": {"n": None, "share": None}}},
                      {"label": "Teacher", "n": 402, "mean_sentiment": 0.2,
                       "themes": {"1": {"n": 166, "share": 0.4129}, "2": {"n": 71, "share": 0.1766},
                                  "4": {"n": None, "share": None}}},
                      {"label": "Other school staff", "n": None, "mean_sentiment": None,
                       "themes": {"1": {"n": None, "share": None}, "2": {"n": None, "share": None},
                                  "4": {"n": None, "share": None}}}]},
        ],
        "findings": [
            {"id": 5, "title": "Students mention fear of police more often",
             "note": "Most of these were in grades 9-12.",
             "dimension": "Which describes you?", "value": "Student", "feature": "Fear of police",
             "group_n": 640, "group_share": 0.3109, "rest_n": 540, "rest_share": 0.1833},
        ],
        "quotes": [
            {"id": 1, "theme_id": 1, "question_id": 11, "text": "I feel safer knowing someone is there.\nEvery day.",
             "label": "Student"},
            {"id": 2, "theme_id": 2, "question_id": 11,
             "text": "<script>alert('x')</script> They <b>scare</b> my friends & me.", "label": None},
            {"id": 3, "theme_id": 2, "question_id": 11, "text": "=HYPERLINK(\"http://evil.example\",\"click\")",
             "label": "Parent or guardian"},
        ],
        "commitments": [
            {"id": 1, "title": "Train officers in youth engagement", "description": "All officers take the course.",
             "status": "in_progress", "status_label": "In progress", "reason": "", "owner": "Safety office",
             "target_on": "2027-03-01", "status_changed_on": "2026-11-01", "theme_ids": [2, 3]},
            {"id": 2, "title": "Expand the program to every school", "description": "",
             "status": "not_proceeding", "status_label": "Not proceeding",
             "reason": "People asked us not to.", "owner": "", "target_on": None, "status_changed_on": "2026-11-10",
             "theme_ids": [2]},
        ],
        "appendix": [
            {"question_id": 11, "text": "More counsellors, fewer officers."},
            {"question_id": 11, "text": "+1 for keeping the officer"},
            {"question_id": None, "text": "Thanks for asking us."},
        ],
    }


class _Text(HTMLParser):
    """Collects the text a reader (or a screen reader) gets: text nodes, including SVG <title> and <desc>."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(str(html))
    return parser


def numbers_in_text(html: str) -> set[int]:
    """Every whole number a reader sees, commas removed."""
    text = " ".join(parse(html).parts)
    return {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)}


def table_rows(html: str) -> dict[str, list[str]]:
    """Data-table rows keyed by their row header: the cell texts after it."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", str(html), flags=re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row)
        if header:
            rows[header.group(1)] = re.findall(r"<td[^>]*>(.*?)</td>", row)
    return rows


def sections_for(data: dict) -> list[dict]:
    """Sections as the drafting service stores them: sanitised Markdown with the blocks in place."""
    def section(key, title, markdown, *blocks):
        return {"key": key, "title": title,
                "html": str(render_markdown(markdown)) + "".join(str(render_block(k, v, data)) for k, v in blocks)}

    return [
        section("summary", "Executive summary", "We heard from **1,234 people**.", ("themes", "all")),
        section("engaged", "How we engaged", "People answered online, on paper and by email.",
                ("participation", "channel"), ("participation", "f4")),
        section("heard", "What we heard", "## Feelings\n\nMany people wrote about safety.", ("themes", "11"),
                ("quotes", "1"), ("quotes", "2"), ("options", "12"), ("options", "13"), ("findings", "all"),
                ("segment", "role")),
        section("next", "Next steps", "What we will do.", ("commitments", "all")),
        section("appendix", "Appendix", "Every approved comment.", ("appendix", "all")),
    ]


def published_document(data: dict | None = None) -> Document:
    data = data or report_data()
    return Document(slug="sro-review", title="What We Heard: SRO Program Review", sections=sections_for(data),
                    data=data, draft=False, version=2, published_on=dt.date(2026, 11, 21),
                    corrections=[{"number": 2, "published_on": dt.date(2026, 11, 21),
                                  "note": "Corrected the count of paper forms."},
                                 {"number": 1, "published_on": dt.date(2026, 11, 20), "note": ""}])


# --- Markdown -------------------------------------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    '<a href="https://e.example" onclick="steal()">x</a>',
    '[x](https://e.example "t" onclick="steal()")',
    '<p style="color:red">x</p>',
    '<iframe src="https://e.example"></iframe>',
    "![pixel](https://tracker.example/p.png)",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "[file](file:///etc/passwd)",
    "<svg onload=alert(1)>",
    "<!-- comment --><style>body{}</style>",
])
def test_markdown_never_lets_markup_or_dangerous_links_through(hostile):
    html = str(render_markdown(f"Before {hostile} after\n\n{hostile}\n\n*{hostile}*\n"))
    parser = _Tags()
    parser.feed(html)
    assert "Before" in html and "after" in html  # the text around it survives
    for tag, attrs in parser.tags:
        assert tag in {"p", "em", "a"}, html
        assert set(attrs) <= {"href", "title", "rel"}, html
        assert re.match(r"(https://|mailto:)", attrs.get("href", "https://")), html
    assert "<!--" not in html


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = str(render_markdown(
        "# Heading\n\n## Sub\n\nSome **bold**, *emphasis* and `code`.\n\n- one\n- two\n\n1. first\n\n"
        "> quoted\n\n[site](https://example.org) [mail](mailto:team@example.org)\n\n---\n\n"
        "| Group | n |\n|:--|--:|\n| A | 12 |\n"
    ))
    assert "<h3>Heading</h3>" in html and "<h4>Sub</h4>" in html  # sections start at h3 (h2 is the section)
    for fragment in ("<strong>bold</strong>", "<em>emphasis</em>", "<code>code</code>", "<li>one</li>", "<ol>",
                     "<blockquote>", "<hr>", '<th class="align-left">Group</th>', '<td class="align-right">12</td>'):
        assert fragment in html
    assert '<a href="https://example.org" rel="noopener noreferrer">site</a>' in html
    assert 'href="mailto:team@example.org"' in html


def test_markdown_headings_keep_their_relative_depth():
    assert str(render_markdown("### Theme\n\n#### Detail\n\n##### Deeper")) == \
        "<h3>Theme</h3>\n<h4>Detail</h4>\n<h4>Deeper</h4>\n"


def test_raw_html_is_shown_as_text_not_interpreted():
    html = str(render_markdown('<b onmouseover="x()">hi</b> & <em>'))
    assert "&lt;b onmouseover" in html and "<b" not in html and "&amp;" in html


def test_relative_links_are_dropped():
    assert "href" not in str(render_markdown("[home](/c/sro-review/report)"))


# --- Charts ---------------------------------------------------------------------------------------------------------

def test_chart_draws_no_bar_for_a_hidden_value_and_says_why():
    svg = str(bar_chart(title="Respondents by channel", minimum=10, bars=[
        ("Online form", 0.9, "90% (1,101)"), ("Paper form", None, "SECRET 7"), ("Email", 0.05, "5% (61)")]))
    root = ET.fromstring(svg)  # well-formed XML
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall(".//s:rect", ns)) == 2
    assert "SECRET" not in svg and ">7<" not in svg  # the text of a hidden bar is ignored
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f".//s:title[@id='{title_id}']", ns).text == "Respondents by channel"
    desc = root.find(f".//s:desc[@id='{desc_id}']", ns).text
    assert "Online form: 90% (1,101)" in desc and "Paper form: hidden" in desc and "under 10" in desc
    assert not re.search(r"\sstyle=", svg) and "<script" not in svg and "<foreignObject" not in svg


def test_chart_is_deterministic_and_escapes_labels():
    bars = [("<b>Teachers & staff</b>", 0.5, "50% (20)"), ("Students", 0.25, "25% (10)")]
    first, second = bar_chart(title="A <title>", bars=bars, minimum=10), bar_chart(title="A <title>", bars=bars,
                                                                                   minimum=10)
    assert str(first) == str(second)
    assert "<b>" not in str(first) and "&lt;b&gt;Teachers &amp; staff" in str(first)
    ET.fromstring(str(first))


def test_chart_bar_lengths_follow_the_values():
    shares = bar_chart(title="t", minimum=10, bars=[("a", 1.0, "100%"), ("b", 0.5, "50%")])
    counts = bar_chart(title="t", minimum=10, unit="count", bars=[("a", 40, "40"), ("b", 10, "10")])
    widths = lambda svg: [float(w) for w in re.findall(r'<rect[^>]* width="([\d.]+)"', str(svg))]  # noqa: E731
    a, b = widths(shares)
    assert a == pytest.approx(2 * b)
    a, b = widths(counts)
    assert a == pytest.approx(4 * b)
    with pytest.raises(ValueError):
        bar_chart(title="t", minimum=10, unit="percent", bars=[])


def test_empty_chart_says_so():
    svg = str(bar_chart(title="Nothing yet", minimum=10, bars=[]))
    assert "Nothing to show" in svg and "<rect" not in svg
    ET.fromstring(svg)


# --- Blocks ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, key, allowed", [
    ("participation", "channel", {1101, 89, 1234, 10}),
    ("participation", "f4", {212, 17, 1234, 15, 2}),  # 2 from "2SLGBTQ+"
    ("themes", "all", {530, 45, 301, 26, 190, 16, 10}),
    ("themes", "11", {512, 43, 298, 25, 187, 16, 10}),
    ("options", "12", {401, 33, 388, 32, 290, 24, 114, 10, 1200}),
    ("options", "13", {610, 65, 233, 25, 305, 32, 940, 100, 10}),
    ("segment", "role", {640, 402, 301, 47, 199, 31, 166, 41, 71, 18, 1180, 10}),
])
def test_chart_and_table_blocks_show_only_published_numbers(kind, key, allowed):
    data = report_data()
    html = str(render_block(kind, key, data))
    # Nothing a reader sees is a number that is not in the data: a hidden one is never recomputed from the others
    # (for example 1,234 - 1,101 = 133 paper and email forms, or 1,200 - 1,193 = 7 strongly disagree).
    assert numbers_in_text(html) <= allowed
    assert not re.search(r"\s(data-[a-z-]+|style)=", html) and "<script" not in html


def test_hidden_cells_say_hidden_in_tables_and_charts():
    data = report_data()
    channel = str(render_block("participation", "channel", data))
    rows = table_rows(channel)
    assert rows["Online form"] == ["1,101", "89%"]
    assert rows["Paper form"] == ["hidden", "hidden"] and rows["Email"] == ["hidden", "hidden"]
    assert channel.count("<rect") == 1  # only the visible bar is drawn
    assert "Paper form: hidden" in channel  # the chart's text alternative
    segment = table_rows(render_block("segment", "role", data))
    assert segment["Cost"] == ["hidden", "hidden", "hidden"]
    assert segment["Feeling safe"] == ["47% (301)", "41% (166)", "hidden"]
    assert "Other school staff (hidden)" in str(render_block("segment", "role", data))
    themes = table_rows(render_block("themes", "11", data))
    assert themes["Cost"] == ["hidden", "hidden", "hidden"]
    assert themes["Fear of police"] == ["298", "25%", "negative"]


def test_identity_tables_use_their_stricter_minimum():
    html = str(render_block("participation", "f4", report_data()))
    assert "under 15" in html and "fewer than 15" in html and "under 10" not in html


def test_quote_blocks_are_verbatim_escaped_and_labelled_only_when_labelled():
    data = report_data()
    fear = str(render_block("quotes", "2", data))
    assert "<script" not in fear
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; They &lt;b&gt;scare&lt;/b&gt;" in fear
    assert fear.count("<blockquote>") == 2 and fear.count("<figcaption>") == 1  # quote 2 has no label
    assert "<figcaption>Parent or guardian</figcaption>" in fear
    safe = str(render_block("quotes", "1", data))
    assert "I feel safer knowing someone is there.\nEvery day." in safe and "Student" in safe
    assert str(render_block("quotes", "all", data)).count("<blockquote>") == 3
    assert str(render_block("quotes", "3", data)) == ""  # a theme with no approved quotes shows nothing


def test_findings_commitments_and_appendix_blocks():
    data = report_data()
    findings = str(render_block("findings", "all", data))
    assert "Students mention fear of police more often" in findings
    assert "31% of the 640 people in “Student”" in findings and "18% of the other 540" in findings
    commitments = str(render_block("commitments", "all", data))
    assert "Train officers in youth engagement" in commitments and "Status: In progress" in commitments
    assert "Fear of police, Relationships with students" in commitments  # linked theme names
    assert "March 1, 2027" in commitments and "November 1, 2026" in commitments
    assert "Status: Not proceeding" in commitments and "People asked us not to." in commitments
    appendix = str(render_block("appendix", "all", data))
    assert appendix.index("How do you feel about having an officer") < appendix.index("More counsellors")
    assert "Other comments" in appendix and "Thanks for asking us." in appendix
    assert "No differences" in str(render_block("findings", "all", dict(data, findings=[])))
    assert "do not include" in str(render_block("appendix", "all", dict(data, appendix=[]))) or \
        "does not include" in str(render_block("appendix", "all", dict(data, appendix=[])))


@pytest.mark.parametrize("kind, key", [
    ("themes", "99"), ("themes", "12"), ("options", "11"), ("participation", "f99"), ("segment", "nope"),
    ("findings", "3"), ("quotes", "999"), ("commitments", "x"), ("appendix", "1"), ("chart", "all"),
    ("<script>", "<img src=x>"),
])
def test_unknown_blocks_render_a_visible_escaped_note(kind, key):
    html = str(render_block(kind, key, report_data()))
    assert html.startswith('<p class="block-missing">[missing: ')
    assert "<script" not in html and "<img" not in html


def test_known_blocks_lists_every_block_the_data_can_fill_and_each_renders():
    data = report_data()
    tokens = known_blocks(data)
    listed = [token for token, _ in tokens]
    for expected in ("{{ block:participation:channel }}", "{{ block:participation:f4 }}", "{{ block:themes:all }}",
                     "{{ block:themes:11 }}", "{{ block:options:12 }}", "{{ block:options:13 }}",
                     "{{ block:segment:role }}", "{{ block:findings:all }}", "{{ block:quotes:2 }}",
                     "{{ block:commitments:all }}", "{{ block:appendix:all }}"):
        assert expected in listed
    assert "{{ block:quotes:3 }}" not in listed  # no approved quote about that theme
    for token in listed:
        kind, key = token.strip("{} ").split(":")[1:]
        assert "block-missing" not in str(render_block(kind, key, data)), token
    assert {kind for kind, _ in [(t.split(":")[1], d) for t, d in block_tokens()]} == {
        "participation", "themes", "options", "segment", "findings", "quotes", "commitments", "appendix"}


# --- The document ---------------------------------------------------------------------------------------------------

def test_standalone_document_is_a_complete_accessible_offline_page():
    doc = published_document()
    html = render_document(doc, standalone=True)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert f"<style>{stylesheet()}</style>" in html and "<link" not in html  # works offline
    assert "<title>What We Heard: SRO Program Review</title>" in html
    assert html.count("<h1") == 1
    for section in doc.sections:
        anchor = f'id="section-{section["key"]}"'
        assert anchor in html and f'href="#section-{section["key"]}"' in html  # table of contents
        assert f'>{section["title"]}</h2>' in html
    assert "Version 2, published November 21, 2026" in html
    assert "Corrected the count of paper forms." in html and "First publication." in html
    assert "fewer than 10 people" in html and "15 for groups about identity" in html
    assert "Draft" not in html
    assert not re.search(r"\sstyle=", html) and "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    assert 133 not in numbers_in_text(html) and 138 not in numbers_in_text(html)


def test_draft_document_says_it_is_a_draft_and_has_no_version():
    data = report_data()
    doc = Document(slug="sro-review", title="Working title", sections=sections_for(data), data=data, draft=True)
    html = render_document(doc, standalone=True)
    assert "Draft — not published" in html and 'role="note"' in html
    assert "Version" not in html and "Data as of November 20, 2026" in html


def test_body_partial_fits_inside_the_site_layout(app):
    doc = published_document()
    body = render_document(doc, standalone=False)
    assert "<html" not in body and "<style" not in body and body.lstrip().startswith('<article class="report"')
    with app.app_context():  # the app's Jinja environment renders the same document
        assert render_document(doc, standalone=False) == body
        assert render_document(doc, standalone=True) == render_document(doc, standalone=True)


def test_stylesheet_hash_matches_the_inline_style():
    import base64
    import hashlib

    html = render_document(published_document(), standalone=True)
    inline = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    expected = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert stylesheet_csp_source() == f"'sha256-{expected}'"


def test_stylesheet_has_print_rules_and_no_remote_resources():
    css = stylesheet()
    assert "@page" in css and "counter(pages)" in css and "@media print" in css
    assert "url(" not in css and "@import" not in css


def test_rendering_does_not_change_the_data():
    data = report_data()
    before = copy.deepcopy(data)
    render_document(published_document(data), standalone=True)
    for token, _ in known_blocks(data):
        kind, key = token.strip("{} ").split(":")[1:]
        render_block(kind, key, data)
    assert data == before


@pytest.mark.parametrize(("sessions", "comments", "words"), [
    (1, 1, "comment from {{ sessions }} session."), (1, 3, "comments from {{ sessions }} session."),
    (2, 5, "comments from {{ sessions }} sessions."),
])
def test_the_machine_draft_counts_group_sessions_in_good_english(sessions, comments, words):
    from engage.services.reports import _draft_summary

    data = {"participation": {"sessions": sessions, "session_comments": comments, "first_day": None,
                              "last_day": None, "respondents": 5},
            "findings": [], "commitments": [], "themes": [], "questions": []}
    assert _draft_summary(data).split("\n")[0].endswith("{{ session_comments }} " + words)
