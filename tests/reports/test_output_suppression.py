"""Property tests that small groups stay hidden in every output of a What We Heard report: the CSV, the HTML page,
its charts, the numbers printed in the text, and the PDF.

Each example draws random respondents and minimums, assembles the report data as ``build_report_data`` does, drafts
every section and renders the whole document; then reads each output back (csv, lxml, pdftotext) and compares it
with the data and with the true counts worked out here from the people themselves.
"""
import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engage.models import CHANNEL_LABELS
from engage.reporting.blocks import render_block
from engage.reporting.charts import BAR_MAX, BAR_X, LABEL_X, MUTED_FILL, TEXT_FILL, hidden_note
from engage.reporting.csv_export import COLUMNS, hidden_text, report_csv
from engage.reporting.document import render_document
from engage.reporting.pdf import document_pdf
from engage.services import reports
from engage.services.report_data import assemble_tables, quote_label
from tests.reports.strategies import (
    GROUPS, QUEER, QUESTIONS, RACIALIZED, ROLE, ROLE_LABELS, cases, splits,
)

IN, OUT, NOT_STATED = "In this group", "Everyone else", "Not stated"
SPLIT_KEYS = ("channel", "f1", "o20", "o21")
GROUP_OPTION = {"o20": (RACIALIZED, "Racialized"), "o21": (QUEER, "2SLGBTQ+")}
IDENTITY_KEYS = {"o20", "o21", "f2"}
DATA_BLOCKS = ("participation", "themes", "options", "segment")
NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# Quote and comment texts carry no digits, so any number on the page comes from the data.
QUOTE_TEXT = "Words from a person, kept as they wrote them."
QUOTE_LABELS = ["Student", "Teacher", "Not stated", "Racialized", "2SLGBTQ+", "Online form", "Email"]


# --- a report from random people ------------------------------------------------------------------------------

@st.composite
def report_inputs(draw):
    """A case from ``strategies.cases`` plus pinned findings (split, group, theme picks) and quotes to publish."""
    people, themes, public, identity, only_first = draw(cases(min_people=6))
    # Each drawn person stands for one to four people, so that groups reach the minimum often enough to be shown
    # (and to be hidden only to protect another): with single people nearly every cell is simply too small.
    weights = draw(st.lists(st.integers(1, 4), min_size=len(people), max_size=len(people)))
    case = ([p for p, weight in zip(people, weights) for _ in range(weight)], themes, public, identity, only_first)
    findings = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)), min_size=1,
                             max_size=3))
    quotes = draw(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(QUOTE_LABELS), st.booleans()), min_size=1,
                           max_size=3))
    return case, findings, quotes


def group_of(key: str, person) -> str:
    """The row a person is counted in for one way of splitting, worked out from their raw choices."""
    if key == "channel":
        return CHANNEL_LABELS[person.channel]
    if key == "f1":
        chosen = person.chosen.get(ROLE)
        return ROLE_LABELS[chosen[0]] if chosen and None not in chosen else NOT_STATED
    chosen = person.chosen.get(GROUPS)
    # One option of the groups question: in it, or everyone else (also those who skipped or preferred not to say).
    return IN if chosen and None not in chosen and GROUP_OPTION[key][0] in chosen else OUT


def all_themes(person) -> frozenset:
    return frozenset().union(*(c.themes for c in person.comments))


def true_counts(people) -> Counter:
    """Every breakdown's true count, keyed by where it is published; a missing key is a true zero."""
    truth = Counter()
    for p in people:
        themes = all_themes(p)
        for key in SPLIT_KEYS:
            group = group_of(key, p)
            truth["seg", key, group] += 1
            for t in themes:
                truth["seg", key, group, t] += 1
        truth["p", "channel", group_of("channel", p)] += 1
        truth["p", "f1", group_of("f1", p)] += 1
        for key, (_, label) in GROUP_OPTION.items():
            truth["p", "f2", label] += group_of(key, p) == IN
        if p.comments:
            truth["commenters"] += 1
            for t in themes:
                truth["theme", t] += 1
        for q in (1, 2):
            said = [c for c in p.comments if c.question_id == q]
            if said:
                truth["respondents", q] += 1
                for t in frozenset().union(*(c.themes for c in said)):
                    truth["q", q, t] += 1
        for q in (3, 4):
            if p.answers.get(q):
                truth["respondents", q] += 1
                for label in set(p.answers[q]):
                    truth["opt", q, label] += 1
    return truth


def _finding(index, pick, people, themes, split_list) -> dict | None:
    """A pinned finding as a reviewer would have saved it, with figures at the staff minimum (the truth)."""
    split = split_list[pick[0]]
    key = split.dimension.key
    sizes = Counter(group_of(key, p) for p in people)
    groups = sorted(sizes, key=lambda g: (-sizes[g], g))[:2]  # a reviewer pins a difference in a sizeable group
    if not groups:
        return None
    group = groups[pick[1] % len(groups)]
    theme = themes[pick[2] % len(themes)]
    inside = [p for p in people if group_of(key, p) == group]
    rest = [p for p in people if group_of(key, p) != group]
    if not rest:
        return None
    with_theme = sum(theme.id in all_themes(p) for p in inside)
    rest_with = sum(theme.id in all_themes(p) for p in rest)
    value = "(not stated)" if group == NOT_STATED else group
    return {"id": index + 1, "title": "A difference between groups", "note": "",
            "data": {"dimension": split.dimension.label, "value": value, "feature": theme.name,
                     "group_n": len(inside), "group_share": with_theme / len(inside), "rest_n": len(rest),
                     "rest_share": rest_with / len(rest), "source": "codes"}}


@dataclass
class Built:
    people: list
    themes: list
    public: int
    identity: int
    only_first: bool
    data: dict
    markdown: dict  # section key -> the machine draft

    @cached_property
    def truth(self) -> Counter:
        return true_counts(self.people)

    @cached_property
    def document(self) -> reports.Document:
        sections = [{"key": key, "title": title, "html": reports.render_section(self.markdown[key], self.data)}
                    for key, title in reports.SECTIONS]
        return reports.Document(slug="random-review", title="What We Heard: a random review", sections=sections,
                                data=self.data, draft=True)

    @cached_property
    def html(self) -> str:
        return render_document(self.document, standalone=True)

    @cached_property
    def pages(self) -> list:
        """The standalone document (HTML export, PDF) and the body the public page wraps, parsed."""
        body = lxml.html.fragment_fromstring(render_document(self.document, standalone=False), create_parent="div")
        return [lxml.html.fromstring(self.html), body]

    @cached_property
    def csv_rows(self) -> dict:
        reader = csv.reader(io.StringIO(report_csv(self.data)))
        assert next(reader) == COLUMNS
        found = {}
        for row in reader:
            record = dict(zip(COLUMNS, row))
            key = tuple(record[c] for c in COLUMNS[:5])
            assert key not in found, f"two CSV rows for {key}"
            found[key] = record
        return found

    def minimum(self, key: str) -> int:
        """The minimum that applies to a table, by its key: the identity one for identity groups."""
        return self.identity if key in IDENTITY_KEYS else self.public


def build(inputs) -> Built:
    """The report data dict as ``build_report_data`` makes it (the suppressed parts from ``assemble_tables``)."""
    (people, themes, public, identity, only_first), finding_picks, quote_picks = inputs
    split_list = splits(public, identity)
    pinned = {}
    for i, pick in enumerate(finding_picks):
        finding = _finding(i, pick, people, themes, split_list)
        if finding is not None:  # one finding per group and theme, as a reviewer pins them
            data = finding["data"]
            pinned.setdefault((data["dimension"], data["value"], data["feature"]), finding)
    parts = assemble_tables(people=people, splits=split_list, questions=QUESTIONS, themes=themes, public_min=public,
                            findings=list(pinned.values()))
    # Quotes about themes whose count is shown in the first question: those are the ones the draft places.
    placed = [t["id"] for t in parts["questions"][0]["themes"] if t["n"] is not None] or [t.id for t in themes]
    quotes = [{"id": i + 1, "theme_id": placed[t % len(placed)], "question_id": 1, "text": QUOTE_TEXT,
               "label": quote_label(label, show, parts["tables"])} for i, (t, label, show) in enumerate(quote_picks)]
    used = sorted({p.channel for p in people})
    data = {
        "schema": 1,
        "generated_on": "2026-11-20",
        "consultation": {"slug": "random-review", "title": "A random review", "summary": "What people told us.",
                         "description": "People were asked about officers in schools.", "purpose": "To decide.",
                         "audience": "The board", "opens_on": "2026-09-01", "closes_on": "2026-10-15"},
        "public_min": public,
        "identity_min": identity,
        "participation": {
            "respondents": parts["respondents"], "comments": sum(len(p.comments) for p in people),
            "sessions": 0, "session_comments": 0,
            "first_day": "2026-09-01" if people else None, "last_day": "2026-10-15" if people else None,
            "channels": [CHANNEL_LABELS[c] for c in used], "tables": parts["tables"],
        },
        "method": {"source": "codes", "themes": len(themes),
                   "coded_comments": sum(1 for p in people for c in p.comments if c.themes), "run": None,
                   "agreement": []},
        "questions": parts["questions"],
        "themes": parts["themes"],
        "segments": parts["segments"],
        "findings": parts["findings"],
        "quotes": quotes,
        "commitments": [{"id": 1, "title": "Talk with students before deciding", "description": "Every school.",
                         "status": "in_progress", "status_label": "In progress", "reason": "", "owner": "The board",
                         "target_on": None, "status_changed_on": None, "theme_ids": [themes[0].id]}],
        "appendix": [{"question_id": 1, "text": QUOTE_TEXT}] if quotes else [],
    }
    markdown = {key: reports.draft_section(key, data) for key, _ in reports.SECTIONS}
    return Built(people, themes, public, identity, only_first, data, markdown)


# --- what the data says each output must show ------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    label: str
    n: int | None
    share: float | None
    truth: int
    denominator: int  # the true number the share is of
    tone: str | None = None  # themes tables: what the tone column shows


@dataclass(frozen=True)
class Table:
    """One data block as it must appear: rows (or, for a segment table, group columns and theme rows)."""

    kind: str
    key: str
    title: str
    minimum: int
    rows: list
    groups: list = ()  # segment tables: the group sizes, one Cell per column
    theme_names: list = ()  # segment tables: one row per theme, its cells in ``rows`` as lists


def _themes_rows(themes: list, truth: Counter, scope: tuple, denominator: int) -> list[Cell]:
    rows = []
    for t in themes:
        label = (t.get("sentiment") or {}).get("label")
        tone = label or ("hidden" if t["n"] is None else "not shown")
        rows.append(Cell(t["name"], t["n"], t["share"], truth[(*scope, t["id"])], denominator, tone))
    return rows


def expected_table(built: Built, kind: str, key: str) -> Table | None:
    """None when the data has no such table (the block then renders a "missing" note, with no numbers)."""
    data, truth = built.data, built.truth
    if kind == "participation":
        table = next((t for t in data["participation"]["tables"] if t["key"] == key), None)
        if table is None:
            return None
        rows = [Cell(r["label"], r["n"], r["share"], truth["p", key, r["label"]], len(built.people))
                for r in table["rows"]]
        return Table(kind, key, f"Respondents by {table['label']}", built.minimum(key), rows)
    if kind == "themes":
        if key == "all":
            return Table(kind, key, "Themes across all questions", built.public,
                         _themes_rows(data["themes"], truth, ("theme",), truth["commenters"]))
        q = next(q for q in data["questions"] if str(q["id"]) == key)
        return Table(kind, key, f"Themes in answers to “{q['prompt']}”", built.public,
                     _themes_rows(q["themes"], truth, ("q", q["id"]), truth["respondents", q["id"]]))
    if kind == "options":
        q = next(q for q in data["questions"] if str(q["id"]) == key)
        rows = [Cell(o["label"], o["n"], o["share"], truth["opt", q["id"], o["label"]], truth["respondents", q["id"]])
                for o in q["options"]]
        return Table(kind, key, f"Answers to “{q['prompt']}”", built.public, rows)
    segment = next(s for s in data["segments"] if s["key"] == key)
    names = {t["id"]: t["name"] for t in data["themes"]}
    groups = [Cell(r["label"], r["n"], None, truth["seg", key, r["label"]], len(built.people))
              for r in segment["rows"]]
    rows = [[Cell(r["label"], r["themes"][str(t)]["n"], r["themes"][str(t)]["share"], truth["seg", key, r["label"], t],
                  truth["seg", key, r["label"]]) for r in segment["rows"]] for t in segment["theme_ids"]]
    return Table(kind, key, f"Themes by {segment['label']}", built.minimum(key), rows, groups,
                 [names[t] for t in segment["theme_ids"]])


def data_blocks(built: Built) -> list[Table]:
    """The data blocks the drafted sections ask for, in document order."""
    found = []
    for key, _ in reports.SECTIONS:
        for match in reports.BLOCK_LINE.finditer(built.markdown[key]):
            table = expected_table(built, match.group(1), match.group(2)) if match.group(1) in DATA_BLOCKS else None
            if table is not None:
                found.append(table)
    return found


# Formatting as a reader sees it, written out here rather than borrowed from the code under test.

def count_text(n: int) -> str:
    return f"{n:,}"


def percent_text(share: float) -> str:
    return "under 1%" if 0 < share < 0.005 else f"{share * 100:.0f}%"


def cell_text(cell: Cell) -> str:
    return "hidden" if cell.n is None else f"{percent_text(cell.share)} ({count_text(cell.n)})"


def numbers(text: str) -> Counter:
    return Counter(NUMBER.findall(text))


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def _shown_value_is_true(cell: Cell, minimum: int, *, share: bool = True) -> None:
    assert cell.n == cell.truth and cell.n >= minimum, cell
    if share:  # a segment group's size has no share
        assert cell.share == round(cell.truth / cell.denominator, 4), cell


# --- 1. the CSV ------------------------------------------------------------------------------------------------

def expected_csv(built: Built) -> dict:
    """(table, dimension, group, theme, measure) -> (Cell, minimum, "n" | "share") for every breakdown figure."""
    data = built.data
    found = {}

    def add(key, cell, minimum):
        found[(*key, "respondents")] = (cell, minimum, "n")
        if key[0] != "segment" or key[3]:  # a segment group's size has no share row
            found[(*key, "share")] = (cell, minimum, "share")

    for table in data["participation"]["tables"]:
        for cell in expected_table(built, "participation", table["key"]).rows:
            add(("participation", table["label"], cell.label, ""), cell, built.minimum(table["key"]))
    for index, q in enumerate(data["questions"], start=1):
        prompt = f"Q{index}: {q['prompt']}"
        if q["kind"] == "text":
            for cell in expected_table(built, "themes", str(q["id"])).rows:
                add(("question_theme", prompt, "", cell.label), cell, built.public)
        else:
            for cell in expected_table(built, "options", str(q["id"])).rows:
                add(("question_option", prompt, cell.label, ""), cell, built.public)
    for cell in expected_table(built, "themes", "all").rows:
        add(("theme", "All questions", "", cell.label), cell, built.public)
    for segment in data["segments"]:
        table = expected_table(built, "segment", segment["key"])
        for group in table.groups:
            add(("segment", segment["label"], group.label, ""), group, table.minimum)
        for name, row in zip(table.theme_names, table.rows):
            for cell in row:
                add(("segment", segment["label"], cell.label, name), cell, table.minimum)
    return found


def check_csv(built: Built) -> None:
    rows, expected = built.csv_rows, expected_csv(built)
    breakdowns = {"participation", "question_theme", "question_option", "theme", "segment"}
    for key, (cell, minimum, measure) in expected.items():
        row = rows[key]
        value = cell.n if measure == "n" else cell.share
        if value is None:
            assert cell.n is None, f"{key}: a share is hidden but its count is not"
            assert row["value"] == "" and row["note"] == hidden_text(minimum), row
        elif measure == "n":
            assert int(row["value"]) == cell.n and row["note"] == "", row
            _shown_value_is_true(cell, minimum, share=key[0] != "segment" or bool(key[3]))
        else:
            assert float(row["value"]) == cell.share == round(cell.truth / cell.denominator, 4), row
    for key, row in rows.items():
        if key[0] in breakdowns and key[4] in ("respondents", "share"):
            assert key in expected, f"a breakdown figure the data does not have: {row}"
        if row["value"] == "":
            # Hidden cells in the CSV are exactly the data's None cells: a count, a share, or a hidden theme's tone.
            if key[4] in ("sentiment", "sentiment_mean"):
                cell = expected[(*key[:4], "respondents")][0]
                assert key[4] == "sentiment_mean" or cell.tone in ("hidden", "not shown"), row
            else:
                cell, _, measure = expected[key]
                assert (cell.n if measure == "n" else cell.share) is None
        if key[4] in ("sentiment_positive", "sentiment_neutral", "sentiment_negative"):
            assert int(row["value"]) >= built.public, row
        if key[4] in ("sentiment", "sentiment_mean") and key[0] in ("theme", "question_theme"):
            cell = expected[(*key[:4], "respondents")][0]
            assert cell.n is not None or row["value"] == "", f"the tone of a hidden theme is shown: {row}"
    check_csv_findings(built)


def check_csv_findings(built: Built) -> None:
    """A pinned finding repeats a group's size and its theme cell: both must be shown figures, at the minimum."""
    by_label = {s.dimension.label: s for s in splits(built.public, built.identity)}
    rows = built.csv_rows
    for finding in built.data["findings"]:
        split = by_label[finding["dimension"]]
        key, minimum = split.dimension.key, split.minimum
        group = NOT_STATED if finding["value"] == "(not stated)" else finding["value"]
        found = {m: rows["finding", finding["dimension"], finding["value"], finding["feature"], m]["value"]
                 for m in ("group_n", "rest_n")}
        theme_id = next(t.id for t in built.themes if t.name == finding["feature"])
        cell = round(finding["group_share"] * finding["group_n"])
        assert int(found["group_n"]) == finding["group_n"] == built.truth["seg", key, group] >= minimum
        assert int(found["rest_n"]) == finding["rest_n"] == len(built.people) - finding["group_n"] >= minimum
        assert cell == built.truth["seg", key, group, theme_id] >= minimum
        segment = next((s for s in built.data["segments"] if s["key"] == key), None)
        if segment is not None:  # the same figures in the segment table are shown, not hidden
            assert rows["segment", segment["label"], group, "", "respondents"]["value"] == str(finding["group_n"])
            assert rows["segment", segment["label"], group, finding["feature"], "respondents"]["value"] == str(cell)


# --- 2. the HTML page ------------------------------------------------------------------------------------------

def page_blocks(root) -> list:
    return root.xpath("//figure[contains(concat(' ', @class, ' '), ' report-chart ')]"
                      " | //div[contains(concat(' ', @class, ' '), ' block-segment ')]")


def _check_row(row, label: str, cells: list, texts: list, truths: list) -> None:
    """One table row: its header, then each cell shown as the data's number or as "hidden" (and never the truth)."""
    header, tds = row.xpath("./th"), row.xpath("./td")
    assert [text_of(h) for h in header] == [label] and len(tds) == len(texts)
    shown = []
    for td, hidden, text, truth in zip(tds, cells, texts, truths):
        classes = td.get("class", "").split()
        assert text_of(td) == text and ("is-hidden" in classes) == hidden, (label, text_of(td), text)
        assert set(td.attrib) == {"class"} and not NUMBER.search(td.get("class"))
        if hidden:
            assert not NUMBER.search(text_of(td)) and str(truth) not in numbers(text_of(td))
        else:
            shown.append(text)
    # The row's numbers are its label's and its shown cells', each once: a hidden cell's true value is not there.
    row_text = " ".join(text_of(cell) for cell in row)
    assert numbers(row_text) == sum((numbers(t) for t in [label, *shown]), Counter()), row_text
    assert not row.attrib


def check_chart_block_table(figure, table: Table) -> None:
    caption = figure.xpath(".//table/caption")
    assert [text_of(c) for c in caption] == [f"{table.title}: the numbers"]
    body = figure.xpath(".//table/tbody/tr")
    assert len(body) == len(table.rows)
    for row, cell in zip(body, table.rows):
        hidden = cell.n is None
        if not hidden:
            _shown_value_is_true(cell, table.minimum)
        texts = ["hidden" if hidden else count_text(cell.n),
                 "hidden" if cell.share is None else percent_text(cell.share)]
        flags = [hidden, cell.share is None]
        if table.kind == "themes":
            assert not hidden or cell.tone == "hidden", "a hidden theme's tone is shown"
            texts.append(cell.tone)
            flags.append(cell.tone in ("hidden", "not shown"))
        _check_row(row, cell.label, flags, texts, [cell.truth] * len(texts))
    notes = " ".join(text_of(n) for n in figure.xpath(".//p[contains(@class, 'table-note')]"))
    if any(c.n is None for c in table.rows):
        assert f"fewer than {table.minimum} people" in notes


def check_segment_block(div, table: Table) -> None:
    assert [text_of(c) for c in div.xpath(".//table/caption")] == [table.title]
    head = div.xpath(".//table/thead/tr")[0]
    columns = [text_of(th) for th in head.xpath("./th")]
    expected = ["Theme"] + [f"{g.label} ({'hidden' if g.n is None else count_text(g.n) + (' person' if g.n == 1 else ' people')})"
                            for g in table.groups]
    assert columns == expected
    for group in table.groups:
        if group.n is not None:
            assert group.n == group.truth >= table.minimum
    shown = [f"{count_text(g.n)} people" for g in table.groups if g.n is not None]
    assert numbers(" ".join(columns)) == sum((numbers(t) for t in ["Theme", *(g.label for g in table.groups), *shown]),
                                         Counter())
    body = div.xpath(".//table/tbody/tr")
    assert len(body) == len(table.rows)
    for row, name, cells in zip(body, table.theme_names, table.rows):
        for cell, group in zip(cells, table.groups):
            if group.n is None:
                assert cell.n is None, "a cell of a hidden group is shown"
            if cell.n is not None:
                _shown_value_is_true(cell, table.minimum)
        _check_row(row, name, [c.n is None for c in cells], [cell_text(c) for c in cells], [c.truth for c in cells])


def check_page(built: Built) -> None:
    tables = data_blocks(built)
    groups = {}
    for t in built.data["participation"]["tables"]:
        for r in t["rows"]:
            groups.setdefault(r["label"], []).append((r["n"], t["min"]))
    # Every approved quote, as an editor may place them with {{ block:quotes:all }}, besides those the draft places.
    every_quote = lxml.html.fragment_fromstring(str(render_block("quotes", "all", built.data)), create_parent="div")
    for root in [*built.pages, every_quote]:
        blocks = page_blocks(root)
        assert len(blocks) == (0 if root is every_quote else len(tables))
        for element, table in zip(blocks, tables):
            if table.kind == "segment":
                check_segment_block(element, table)
            else:
                check_chart_block_table(element, table)
        for caption in root.xpath("//figure[contains(@class, 'quote')]/figcaption"):
            # A quote names its group only when every group of that name is shown at its minimum.
            label = text_of(caption)
            assert label in groups and all(n is not None and n >= minimum for n, minimum in groups[label]), label


# --- 3. the charts ---------------------------------------------------------------------------------------------

ROW_ATTRIBUTES = {"text-anchor": {"end"}, "fill": {TEXT_FILL, MUTED_FILL}, "font-style": {"italic"}}
SVG_ATTRIBUTES = {"xmlns", "class", "role", "width", "height", "viewbox", "aria-labelledby", "id", "font-family",
                  "font-size", "x", "y", "x1", "y1", "x2", "y2", "text-anchor", "fill", "font-style", "stroke",
                  "stroke-width"}


def check_chart(figure, table: Table) -> None:
    svgs = figure.xpath(".//svg")
    assert len(svgs) == 1
    svg = svgs[0]
    ident = f"chart-{table.kind}-{table.key}"
    assert svg.get("id") == ident and svg.get("aria-labelledby") == f"{ident}-title {ident}-desc"
    note = hidden_note(table.minimum)
    spoken = [f"{c.label}: {note if c.n is None else cell_text(c) if c.share is not None else count_text(c.n)}"
              for c in table.rows]
    assert [text_of(t) for t in svg.xpath("./title")] == [table.title]
    desc = f"Bar chart. {'; '.join(spoken)}." if table.rows else "Bar chart with nothing to show."
    assert [text_of(d) for d in svg.xpath("./desc")] == [desc]
    rows = svg.xpath("./g")
    assert len(rows) == len(table.rows)
    assert len(svg.xpath(".//rect")) == sum(c.n is not None for c in table.rows)
    for index, (g, cell, words) in enumerate(zip(rows, table.rows, spoken)):
        assert [text_of(t) for t in g.xpath("./title")] == [words]
        texts = g.xpath("./text")
        if cell.n is None:
            # No bar, and nothing but the label and the hidden wording: the true value is in no text or attribute.
            assert not g.xpath("./rect") and [text_of(t) for t in texts] == [cell.label, note]
            assert str(cell.truth) not in numbers(words.removeprefix(f"{cell.label}: ").replace(note, ""))
            for element in [g, *g.iterdescendants()]:
                for name, value in element.attrib.items():
                    if name == "x":
                        assert value in (str(LABEL_X), str(BAR_X))
                    elif name == "y":  # a label above its bar, wrapped onto lines
                        assert re.fullmatch(r"\d+\.\d", value), value
                    else:
                        assert value in ROW_ATTRIBUTES[name], (name, value)
        else:
            rects = g.xpath("./rect")
            assert len(rects) == 1 and rects[0].get("x") == str(BAR_X)
            width = max(0.0, min(cell.share or 0.0, 1.0)) * BAR_MAX
            assert rects[0].get("width") == f"{width:.1f}"
            assert text_of(texts[-1]) == words.removeprefix(f"{cell.label}: ")
            assert texts[-1].get("x") == f"{BAR_X + width + 6:.1f}"
    # Every attribute is drawing or labelling: none could carry a number the bars above do not account for.
    for element in svg.iter():
        assert set(element.attrib) <= SVG_ATTRIBUTES, (element.tag, dict(element.attrib))


def check_charts(built: Built) -> None:
    tables = data_blocks(built)
    for root in built.pages:
        blocks = page_blocks(root)
        assert len(blocks) == len(tables)
        for element, table in zip(blocks, tables):
            if table.kind != "segment":
                check_chart(element, table)


# --- 4. complementary suppression -------------------------------------------------------------------------------

def check_complementary(built: Built) -> None:
    """Wherever published figures add up, never exactly one of them is hidden (it would be the difference)."""
    rows, people, data = built.csv_rows, built.people, built.data

    def value(key):
        found = rows[key]["value"]
        return None if found == "" else int(found)

    def relation(name, members, total=None):
        values = [value(k) for k in members] + ([] if total is None else [value(total)])
        if len(values) >= 2:
            assert values.count(None) != 1, (name, values)
        return values

    def exactly_one(sets):
        return bool(sets) and all(len(s) == 1 for s in sets)

    tables = {t["key"]: t for t in data["participation"]["tables"]}
    for key in ("channel", "f1"):  # single choice: the groups add up to everyone
        if key in tables:
            t = tables[key]
            relation(key, [("participation", t["label"], r["label"], "", "respondents") for r in t["rows"]])
            assert sum(r["n"] for r in t["rows"] if r["n"] is not None) <= len(people)
    for segment in data["segments"]:
        label = segment["label"]
        relation(label, [("segment", label, r["label"], "", "respondents") for r in segment["rows"]])
        for r in segment["rows"]:  # a group's size is hidden or shown alike in both tables
            participation = tables.get("f2" if segment["key"] in GROUP_OPTION else segment["key"])
            if participation is not None and segment["key"] not in GROUP_OPTION:
                twin = next(x for x in participation["rows"] if x["label"] == r["label"])
                assert twin["n"] == r["n"]
            if segment["key"] in GROUP_OPTION and r["label"] == IN and participation is not None:
                twin = next(x for x in participation["rows"] if x["label"] == GROUP_OPTION[segment["key"]][1])
                assert twin["n"] == r["n"]
        names = {t["id"]: t["name"] for t in data["themes"]}
        for t in segment["theme_ids"]:  # a theme's cells add up to its (shown) overall count
            relation(f"{label}: {names[t]}", [("segment", label, r["label"], names[t], "respondents")
                                              for r in segment["rows"]], ("theme", "All questions", "", names[t],
                                                                          "respondents"))
        wanted = set(segment["theme_ids"])
        for r in segment["rows"]:  # everyone in the group has exactly one of the table's themes
            members = [p for p in people if group_of(segment["key"], p) == r["label"]]
            if exactly_one([all_themes(p) & wanted for p in members]):
                relation(f"{label}: {r['label']}",
                         [("segment", label, r["label"], names[t], "respondents") for t in segment["theme_ids"]],
                         ("segment", label, r["label"], "", "respondents"))
    for index, q in enumerate(data["questions"], start=1):
        prompt = f"Q{index}: {q['prompt']}"
        if q["kind"] == "text":
            said = [frozenset().union(*(c.themes for c in p.comments if c.question_id == q["id"])) for p in people
                    if any(c.question_id == q["id"] for c in p.comments)]
            if exactly_one(said):
                relation(prompt, [("question_theme", prompt, "", t["name"], "respondents") for t in q["themes"]])
        else:
            chosen = [set(p.answers[q["id"]]) for p in people if p.answers.get(q["id"])]
            if q["kind"] == "single" or exactly_one(chosen):
                relation(prompt, [("question_option", prompt, o["label"], "", "respondents") for o in q["options"]])
    if exactly_one([all_themes(p) for p in people if p.comments]):
        relation("all themes", [("theme", "All questions", "", t["name"], "respondents") for t in data["themes"]])
    if built.only_first:  # one open question: its themes and the overall themes are the same figures
        first = next(q for q in data["questions"] if q["id"] == 1)
        assert [t["n"] for t in first["themes"]] == [t["n"] for t in data["themes"]]


# --- 5. numbers printed in the text ------------------------------------------------------------------------------

def expected_fact(built: Built, key: str) -> tuple[str, bool]:
    """What a number token must print, worked out from the data and checked against the truth."""
    data, truth, public = built.data, built.truth, built.public

    def count(n, minimum, true):
        if n is None:
            return reports.HIDDEN_TEXT, True
        assert n == true >= minimum, (key, n, true)
        return count_text(n), False

    def share(s):
        return (reports.HIDDEN_TEXT, True) if s is None else (f"{s:.0%}", False)

    def theme(t, rest, true):
        if rest == "n":
            return count(t["n"], public, true)
        if rest == "share":
            return share(t["share"])
        assert rest == "sentiment"
        label = (t.get("sentiment") or {}).get("label")
        assert t["n"] is not None or label is None, f"{key}: the tone of a hidden theme"
        return {"positive": "mostly positive", "negative": "mostly negative",
                "neutral": "mixed or neutral"}.get(label, "not available"), False

    parts = key.split(".")
    if parts[0] == "p":
        table = next(t for t in data["participation"]["tables"] if t["key"] == parts[1])
        row = next(r for r in table["rows"] if re.sub(r"[^a-z0-9]+", "_", r["label"].lower()).strip("_") == parts[2])
        return count(row["n"], built.minimum(parts[1]), truth["p", parts[1], row["label"]]) if parts[3] == "n" \
            else share(row["share"])
    if re.fullmatch(r"t\d+", parts[0]):
        t = next(t for t in data["themes"] if t["id"] == int(parts[0][1:]))
        return theme(t, parts[1], truth["theme", t["id"]])
    if re.fullmatch(r"q\d+", parts[0]) and len(parts) > 1:
        q = next(q for q in data["questions"] if q["id"] == int(parts[0][1:]))
        if parts[1] == "respondents":
            assert q["respondents"] == truth["respondents", q["id"]]
            return count_text(q["respondents"]), False
        if parts[1].startswith("t"):
            t = next(t for t in q["themes"] if t["id"] == int(parts[1][1:]))
            return theme(t, parts[2], truth["q", q["id"], t["id"]])
        o = q["options"][int(parts[1][1:]) - 1]
        return count(o["n"], public, truth["opt", q["id"], o["label"]]) if parts[2] == "n" else share(o["share"])
    overall = {"respondents": len(built.people), "public_min": public, "questions": len(data["questions"]),
               "themes": data["method"]["themes"], "coded_comments": data["method"]["coded_comments"],
               "comments": data["participation"]["comments"], "sessions": 0, "session_comments": 0,
               "commitments": len(data["commitments"])}
    if key in overall:
        return count_text(overall[key]), False
    return None, False  # dates: not a count


def _plain_markdown(body: str, texts: dict) -> str:
    """A section's prose as a reader gets it, without blocks or Markdown marks, every token filled in as expected."""
    prose = reports.BLOCK_LINE.sub("", body)
    prose = reports.TOKEN.sub(lambda m: texts[m.group(1)], prose)
    lines = [re.sub(r"^\s*(#+|-|\d+\.)\s+", "", line) for line in prose.splitlines()]
    text = re.sub(r"\\(.)", r"\1", "".join(lines).replace("*", ""))
    return re.sub(r"\s+", "", text)


def check_facts(built: Built) -> None:
    fact_map = reports.facts(built.data)
    for key, fact in fact_map.items():
        text, hidden = expected_fact(built, key)
        if text is not None:
            assert (fact.text, fact.hidden) == (text, hidden), (key, fact)
        if fact.hidden:
            # Only the hidden wording, with no number in it: never the true value, nor a bound that may be false.
            assert fact.text == reports.HIDDEN_TEXT and not re.search(r"\d", fact.text), fact
    for key, _ in reports.SECTIONS:
        body = built.markdown[key]
        tokens = [m.group(1) for m in reports.TOKEN.finditer(body) if not m.group(1).startswith("block:")]
        assert all(t in fact_map for t in tokens), tokens
        html = reports.render_section(body, built.data)
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        for block in fragment.xpath("./*[contains(@class, 'report-block') or contains(@class, 'block-missing')]"):
            block.getparent().remove(block)
        plain = re.sub(r"\s+", "", fragment.text_content())
        assert plain == _plain_markdown(body, {t: fact_map[t].text for t in tokens}), key


# --- every output of one random report, then the PDF -------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_inputs())
def test_every_output_shows_only_published_figures_and_never_a_hidden_one(inputs):
    # One report per example feeds every check: assembling it is the slow part, so each property gets every example.
    built = build(inputs)
    check_csv(built)
    check_page(built)
    check_charts(built)
    check_complementary(built)
    check_facts(built)


# --- the PDF -----------------------------------------------------------------------------------------------------

def pdf_lines(pdf: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "report.pdf")
        with open(path, "wb") as out:
            out.write(pdf)
        text = subprocess.run(["pdftotext", "-layout", path, "-"], check=True, capture_output=True, text=True).stdout
    return [line.strip() for line in text.splitlines()]


def _row_line(lines: list[str], start: int, label: str) -> int:
    """The next line at or after ``start`` that begins with ``label`` as a whole cell (a page break may come first)."""
    for i in range(start, len(lines)):
        if lines[i] == label or lines[i].startswith(label + " "):
            return i
    raise AssertionError(f"no row {label!r} after line {start}")


def check_pdf(built: Built) -> None:
    lines = pdf_lines(document_pdf(built.document))
    at = 0
    for table in data_blocks(built):
        caption = table.title if table.kind == "segment" else f"{table.title}: the numbers"
        at = lines.index(caption, at) + 1
        if table.kind == "segment":
            rows = [(name, [cell_text(c) for c in cells], cells) for name, cells in zip(table.theme_names, table.rows)]
        else:
            rows = []
            for cell in table.rows:
                texts = ["hidden" if cell.n is None else count_text(cell.n),
                         "hidden" if cell.share is None else percent_text(cell.share)]
                rows.append((cell.label, texts + ([cell.tone] if table.kind == "themes" else []), [cell]))
        for label, texts, cells in rows:
            at = _row_line(lines, at, label)
            # The row shows exactly the data: every shown count, and "hidden" (never a number) for a hidden one.
            assert lines[at][len(label):].split() == " ".join(texts).split(), (lines[at], texts)
            for cell in cells:
                if cell.n is not None:
                    assert count_text(cell.n) in NUMBER.findall(lines[at][len(label):])
            at += 1


def test_pdf_shows_every_shown_count_and_no_number_for_a_hidden_cell():
    if shutil.which("pdftotext") is None:
        if os.environ.get("ENGAGE_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI; .ci/run installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed, so the PDF's text cannot be read back")
    _pdf_property()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_inputs())
def _pdf_property(inputs):
    check_pdf(build(inputs))
