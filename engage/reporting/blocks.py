"""Data blocks: charts, tables, quotes and lists that a section's Markdown asks for with ``{{ block:kind:key }}``.

A block renders from the report data dict only (never the database). Every number in it is already suppressed;
a hidden one (None) is written as "hidden" and its chart bar is not drawn, so no value can leak into the markup.
Unknown kinds or keys render a small visible note rather than failing, so a stale token never breaks a page.

Language: a block's words (titles, headings, notes, "hidden") are in the page's language; the data's own words
(theme names, question prompts, group labels) stay as stored. Publishing freezes the section HTML, blocks
included, in the language of the request that published it, so each block is wrapped in markers that name its
kind, key and language. ``localize_blocks`` runs when a document is shown: a block frozen in another language is
rendered again from the same frozen data under the page's language. The numbers cannot change (they come from
the version's data, which never changes); only the words around them are translated.
"""
import datetime as dt
import re
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from engage.reporting.charts import bar_chart

_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
BLOCK_TEMPLATE = "report/_blocks.html"

BLOCK_KINDS = {
    "participation": ("<table key>",
                      _l("Chart and table of respondents by a group (channel, or an “about you” answer)")),
    "themes": ("<question id> or all", _l("Chart and table of theme shares, with sentiment")),
    "options": ("<question id>", _l("Chart and table of the answers to a choice or scale question")),
    "segment": ("<segment key>", _l("Table of themes by group")),
    "findings": ("all", _l("Where groups differ (pinned findings)")),
    "quotes": ("<theme id> or all", _l("Approved quotes, word for word")),
    "commitments": ("all", _l("What we will do, with status")),
    "appendix": ("all", _l("All approved comments, by question")),
}
# The blocks of a program review's overall report.
REVIEW_BLOCK_KINDS = {
    "streams": ("all", _l("Who took part in each stream, and the total")),
    "crossstream": ("stream, phase or audience", _l("Table of shared themes side by side")),
    "agreement": ("audience", _l("Shared themes every audience mentioned at a similar rate")),
    "differences": ("audience", _l("Where audiences differ most")),
    "streamreports": ("all", _l("Links to each stream’s published report")),
    "recommendations": ("all", _l("The review’s recommendations, with status")),
}
# The public wording of commitment and recommendation statuses, for every page that shows one (the data and
# engage.models.COMMITMENT_STATUS_LABELS hold the staff's English).
STATUS_LABELS = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"),
                 "not_proceeding": _l("Not proceeding")}
TONE_LABELS = {"positive": _l("positive"), "neutral": _l("neutral"), "negative": _l("negative")}


def block_token(kind: str, key: object) -> str:
    """The text to put on its own line in a section to show a block."""
    return f"{{{{ block:{kind}:{key} }}}}"


def block_tokens(*, review: bool = False) -> list[tuple[str, str]]:
    """Every kind of block, with a placeholder for its key, and what it shows (for the editor's help text)."""
    kinds = {"findings": BLOCK_KINDS["findings"], **REVIEW_BLOCK_KINDS} if review else BLOCK_KINDS
    return [(block_token(kind, key), description) for kind, (key, description) in kinds.items()]


def known_blocks(data: dict) -> list[tuple[str, str]]:
    """The tokens this report's data can fill, with a plain description of each (for the editor's insert list)."""
    if data.get("kind") == "review":
        return [(block_token("streams", "all"), _("Chart and table: participants by stream")),
                (block_token("crossstream", "stream"), _("Table: shared themes by stream")),
                (block_token("crossstream", "phase"), _("Table: shared themes by phase")),
                (block_token("crossstream", "audience"), _("Table: shared themes by audience")),
                (block_token("agreement", "audience"), _("Where audiences agree")),
                (block_token("differences", "audience"), _("Where audiences differ")),
                (block_token("findings", "all"), _("Pinned findings")),
                (block_token("streamreports", "all"), _("Links to each stream’s report")),
                (block_token("recommendations", "all"), _("Recommendations with status"))]
    found = [(block_token("participation", t["key"]), _("Chart and table: respondents by %(group)s", group=t["label"]))
             for t in data.get("participation", {}).get("tables", [])]
    found.append((block_token("themes", "all"), _("Chart and table: themes across all questions")))
    for question in data.get("questions", []):
        prompt = question["prompt"]
        if question.get("kind") == "text":
            found.append((block_token("themes", question["id"]),
                          _("Chart and table: themes in “%(question)s”", question=prompt)))
        elif question.get("options"):
            found.append((block_token("options", question["id"]),
                          _("Chart and table: answers to “%(question)s”", question=prompt)))
    found += [(block_token("segment", s["key"]), _("Table: themes by %(group)s", group=s["label"]))
              for s in data.get("segments", [])]
    found.append((block_token("findings", "all"), _("Where groups differ")))
    found.append((block_token("quotes", "all"), _("Every approved quote")))
    quoted = {q.get("theme_id") for q in data.get("quotes", [])}
    found += [(block_token("quotes", t["id"]), _("Approved quotes about %(theme)s", theme=t["name"]))
              for t in data.get("themes", []) if t["id"] in quoted]
    found.append((block_token("commitments", "all"), _("What we will do")))
    found.append((block_token("appendix", "all"), _("All approved comments")))
    return found


_MARK_OPEN = "<!--engage-block {language} {kind}:{key}-->"
_MARK_CLOSE = "<!--/engage-block-->"
# Section Markdown is sanitised with comments stripped before blocks go in, so only a block can carry a marker.
_MARKED = re.compile(r"<!--engage-block ([a-z]{2}) ([a-z]+):([A-Za-z0-9_-]+)-->.*?<!--/engage-block-->", re.DOTALL)


def block_language() -> str:
    """The language a block is rendered in now: the page's, or English without an app (pure rendering)."""
    from flask import has_app_context

    if not has_app_context():
        return "en"
    from engage.i18n import current_language

    return current_language()


def _in_language(language: str | None):
    from flask import has_app_context

    if language is None or not has_app_context() or language == block_language():
        return nullcontext()
    from flask_babel import force_locale

    return force_locale(language)


def render_block(kind: str, key: str, data: dict, *, language: str | None = None) -> Markup:
    """One block as HTML, or a visible ``[missing: kind:key]`` note when the data has no such thing.

    ``language`` (default: the page's) is the language of the block's own words. The HTML is wrapped in markers
    naming the block and that language, so a frozen copy can be shown in another language later.
    """
    with _in_language(language):
        renderer = _RENDERERS.get(kind)
        view = renderer(str(key), data) if renderer else None
        if view is None:
            return Markup('<p class="block-missing">{}</p>').format(
                _("[missing: %(block)s]", block=f"{kind}:{key}"))
        macro_name, context = view
        lang = block_language()
        html = str(getattr(_macros(), macro_name)(lang=lang, **context)).strip()
        if not html:  # nothing to show (a theme with no approved quotes): no words to translate either
            return Markup("")
        return Markup(_MARK_OPEN.format(language=lang, kind=kind, key=key) + html + _MARK_CLOSE)


def localize_blocks(html: str, data: dict) -> Markup:
    """Section HTML (as frozen at publishing) with each block in the page's language.

    A block already in the page's language is kept byte for byte; one in another language is rendered again from
    ``data``, the same frozen data it was made from, so its numbers are the same and only its words change.
    HTML without markers (versions published before blocks carried them) is returned as it is.
    """
    html = str(html or "")
    if "<!--engage-block " not in html:
        return Markup(html)
    wanted = block_language()

    def swap(match: re.Match) -> str:
        if match.group(1) == wanted:
            return match.group(0)
        return str(render_block(match.group(2), match.group(3), data))

    return Markup(_MARKED.sub(swap, html))


def without_block_words(value):
    """``value`` (section HTML, or lists and dicts holding it) with each marked block reduced to its kind and key.

    A block's words depend on the language it was rendered in, its numbers only on the frozen data; comparing
    documents this way (the approval fingerprint) sees a changed report, not a publisher who reads French.
    """
    if isinstance(value, str):
        return _MARKED.sub(lambda m: f"<!--engage-block {m.group(2)}:{m.group(3)}-->", value)
    if isinstance(value, list | tuple):
        return [without_block_words(v) for v in value]
    if isinstance(value, dict):
        return {k: without_block_words(v) for k, v in value.items()}
    return value


def template_env():
    """The app's Jinja environment when there is an app, else a plain one over the same templates (pure use)."""
    from flask import current_app, has_app_context

    return current_app.jinja_env if has_app_context() else _plain_env()


@lru_cache(maxsize=1)
def _plain_env():
    from jinja2 import Environment, FileSystemLoader

    # Autoescaping like Flask's, so a page renders the same with or without an app; without an app the marked
    # strings stay in English.
    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_null_translations(newstyle=True)
    return env


def _macros():
    return template_env().get_template(BLOCK_TEMPLATE).module


# Formatting: every number passes through these, so "hidden" is written the same way everywhere.

def _number(n: int) -> str:
    language = block_language()
    if language == "en":
        return f"{n:,}"
    from babel.numbers import format_decimal

    return format_decimal(n, locale=language)


def count(n: int | None) -> str:
    return _("hidden") if n is None else _number(n)


def percent(share: float | None) -> str:
    if share is None:
        return _("hidden")
    if 0 < share < 0.005:
        return _("under 1%")
    return _("%(number)s%%", number=f"{share * 100:.0f}")


def long_date(day: str | dt.date | None) -> str:
    """"2026-11-03" or a date as "November 3, 2026" (in French "3 novembre 2026"); empty for None."""
    if not day:
        return ""
    day = dt.date.fromisoformat(day[:10]) if isinstance(day, str) else day
    language = block_language()
    if language == "en":
        return f"{day:%B} {day.day}, {day.year}"
    from babel.dates import format_date

    text = format_date(day, format="long", locale=language)
    if language == "fr" and day.day == 1 and text.startswith("1 "):
        return "1er" + text[1:]  # French writes the first of a month as an ordinal: "1er février 2027"
    return text


def _cell(text: str, hidden: bool = False, *, numeric: bool = True) -> dict:
    return {"text": text, "hidden": hidden, "numeric": numeric}


def _count_share(n: int | None, share: float | None) -> str:
    return _("%(share)s (%(count)s)", share=percent(share), count=count(n)) if share is not None else count(n)


def _bar(label: str, n: int | None, share: float | None) -> tuple[str, float | None, str]:
    if n is None:
        return (label, None, "")
    return (label, share or 0.0, _count_share(n, share))


def _int(key: str) -> int | None:
    return int(key) if key.isdigit() else None


def _question(data: dict, key: str) -> dict | None:
    wanted = _int(key)
    return next((q for q in data.get("questions", []) if q.get("id") == wanted), None)


def _theme_names(data: dict) -> dict[int, str]:
    return {t["id"]: t["name"] for t in data.get("themes", [])}


def _chart_view(kind: str, title: str, chart: Markup, columns: list[str], rows: list, notes: list[str]):
    # The figure is captioned with the title; the table names itself as the chart's numbers.
    return "chart_block", {"block": {"kind": kind, "title": title, "caption": _("%(title)s: the numbers", title=title),
                                     "chart": chart, "columns": columns, "rows": rows, "notes": notes}}


def _hidden_footnote(rows_hidden: bool, minimum: int) -> list[str]:
    if not rows_hidden:
        return []
    return [_("“hidden”: not shown, to protect groups of fewer than %(minimum)s people, or so that such a number "
              "cannot be worked out from the others.", minimum=minimum)]


# Words the app itself put into a report's data (not a consultation's own wording), frozen in English: a block
# shows them in the page's language. Any other label (options, groups, themes) is shown as its writers wrote it.
_FIXED_LABELS = {
    "Not stated": _l("Not stated"), "In this group": _l("In this group"), "Everyone else": _l("Everyone else"),
    "Not in this group": _l("Not in this group"),  # versions published before "Everyone else" replaced it
    "Channel (how people took part)": _l("Channel (how people took part)"),
    "Online form": _l("Online form"), "Paper survey": _l("Paper survey"), "Focus group": _l("Focus group"),
    "Roundtable": _l("Roundtable"), "Email": _l("Email"),
    "A person may be in several of these groups, or in none, so the rows do not add up to the total.":
        _l("A person may be in several of these groups, or in none, so the rows do not add up to the total."),
}


def _fixed(label):
    """``label`` in the page's language when the app wrote it (see _FIXED_LABELS), else as stored."""
    words = _FIXED_LABELS.get(label) if isinstance(label, str) else None
    return str(words) if words is not None else label


def _participation(key: str, data: dict):
    table = next((t for t in data.get("participation", {}).get("tables", []) if t.get("key") == key), None)
    if table is None:
        return None
    minimum = table.get("min", data.get("public_min", 10))
    title = _("Respondents by %(group)s", group=_fixed(table["label"]))
    rows = [[_cell(_fixed(r["label"])), _cell(count(r["n"]), r["n"] is None),
             _cell(percent(r["share"]), r["share"] is None)] for r in table["rows"]]
    notes = [_fixed(table["note"])] if table.get("note") else []
    notes.append(_("Total respondents: %(number)s.", number=count(table.get("total"))))
    notes += _hidden_footnote(any(r["n"] is None or r["share"] is None for r in table["rows"]), minimum)
    chart = bar_chart(title=title, minimum=minimum, ident=f"chart-participation-{key}",
                      bars=[_bar(_fixed(r["label"]), r["n"], r["share"]) for r in table["rows"]])
    return _chart_view("participation", title, chart, [_fixed(table["label"]), _("People"), _("Share")], rows, notes)


def _themes(key: str, data: dict):
    minimum = data.get("public_min", 10)
    if key == "all":
        themes, title = data.get("themes", []), _("Themes across all questions")
    else:
        question = _question(data, key)
        if question is None or question.get("kind") != "text":
            return None
        themes = question.get("themes", [])
        title = _("Themes in answers to “%(question)s”", question=question["prompt"])
    rows = []
    for theme in themes:
        sentiment = (theme.get("sentiment") or {}).get("label")
        tone = (str(TONE_LABELS.get(sentiment, sentiment)) if sentiment
                else _("hidden") if theme["n"] is None else _("not shown"))
        rows.append([_cell(theme["name"]), _cell(count(theme["n"]), theme["n"] is None),
                     _cell(percent(theme["share"]), theme["share"] is None),
                     _cell(tone, sentiment is None, numeric=False)])
    notes = [_("Share: of the people who answered, how many mentioned the theme. One answer can mention several.")]
    notes += _hidden_footnote(any(t["n"] is None or t["share"] is None for t in themes), minimum)
    chart = bar_chart(title=title, minimum=minimum, ident=f"chart-themes-{key}",
                      bars=[_bar(t["name"], t["n"], t["share"]) for t in themes])
    return _chart_view("themes", title, chart, [_("Theme"), _("People"), _("Share"), _("Overall tone")], rows,
                       notes)


def _options(key: str, data: dict):
    question = _question(data, key)
    if question is None or not question.get("options"):
        return None
    minimum = data.get("public_min", 10)
    options = question["options"]
    title = _("Answers to “%(question)s”", question=question["prompt"])
    rows = [[_cell(o["label"]), _cell(count(o["n"]), o["n"] is None), _cell(percent(o["share"]), o["share"] is None)]
            for o in options]
    notes = [_("People who answered: %(number)s.", number=count(question.get("respondents")))]
    if question.get("kind") == "multiple":
        notes.append(_("People could choose more than one answer, so shares add up to more than 100%."))
    notes += _hidden_footnote(any(o["n"] is None or o["share"] is None for o in options), minimum)
    chart = bar_chart(title=title, minimum=minimum, ident=f"chart-options-{key}",
                      bars=[_bar(o["label"], o["n"], o["share"]) for o in options])
    return _chart_view("options", title, chart, [_("Answer"), _("People"), _("Share")], rows, notes)


def _segment(key: str, data: dict):
    segment = next((s for s in data.get("segments", []) if s.get("key") == key), None)
    if segment is None:
        return None
    minimum = segment.get("min", data.get("public_min", 10))
    names = _theme_names(data)
    groups = segment["rows"]
    columns = [_("Theme")] + [_group_heading(g) for g in groups]
    rows = []
    any_hidden = any(g["n"] is None for g in groups)
    for theme_id in segment.get("theme_ids", []):
        row = [_cell(names.get(theme_id) or _("Theme %(number)s", number=theme_id))]
        for group in groups:
            cell = (group.get("themes") or {}).get(str(theme_id)) or {"n": None, "share": None}
            hidden = cell.get("n") is None
            any_hidden = any_hidden or hidden
            row.append(_cell(_count_share(cell.get("n"), cell.get("share")), hidden))
        rows.append(row)
    notes = [_("Each cell: the share of the group who mentioned the theme (and how many people). "
               "Total respondents: %(number)s.", number=count(segment.get("total")))]
    notes += _hidden_footnote(any_hidden, minimum)
    title = _("Themes by %(group)s", group=_fixed(segment["label"]))
    return "table_block", {"block": {
        "kind": "segment", "title": title, "caption": title, "columns": columns, "rows": rows, "notes": notes}}


def _group_heading(group: dict) -> str:
    """A group's column heading: its label and size, or that its size is hidden."""
    if group["n"] is None:
        return _("%(group)s (hidden)", group=_fixed(group["label"]))
    return ngettext("%(group)s (%(count)s person)", "%(group)s (%(count)s people)", group["n"],
                    group=_fixed(group["label"]), count=count(group["n"]))


def _findings(key: str, data: dict):
    if key != "all":
        return None
    findings = [dict(f, group_percent=percent(f.get("group_share")), rest_percent=percent(f.get("rest_share")),
                     group_count=count(f.get("group_n")), rest_count=count(f.get("rest_n")),
                     value=_fixed(f.get("value")), dimension=_fixed(f.get("dimension")))
                for f in data.get("findings", [])]
    return "findings_block", {"findings": findings}


def _quotes(key: str, data: dict):
    quotes = data.get("quotes", [])
    if key != "all":
        theme_id = _int(key)
        if theme_id not in _theme_names(data) and not any(q.get("theme_id") == theme_id for q in quotes):
            return None
        quotes = [q for q in quotes if q.get("theme_id") == theme_id]
    return "quotes_block", {"quotes": quotes}


def _commitments(key: str, data: dict):
    if key != "all":
        return None
    names = _theme_names(data)
    commitments = [dict(c, status_label=_status(c), theme_names=[names[t] for t in c.get("theme_ids", []) if t in names],
                        target_text=long_date(c.get("target_on")), changed_text=long_date(c.get("status_changed_on")))
                   for c in data.get("commitments", [])]
    return "commitments_block", {"commitments": commitments}


def _appendix(key: str, data: dict):
    if key != "all":
        return None
    groups, by_question = [], {}
    for comment in data.get("appendix", []):
        by_question.setdefault(comment.get("question_id"), []).append(comment["text"])
    for question in data.get("questions", []):
        if question["id"] in by_question:
            groups.append({"title": question["prompt"], "comments": by_question.pop(question["id"])})
    leftover = [text for texts in by_question.values() for text in texts]
    if leftover:
        groups.append({"title": _("Other comments"), "comments": leftover})
    return "appendix_block", {"groups": groups}


# --- A program review's overall report ---------------------------------------------------------------------------

def _streams(key: str, data: dict):
    streams = data.get("streams")
    if key != "all" or not streams:
        return None
    minimum = streams.get("min", data.get("public_min", 10))
    total = streams.get("total") or 0
    rows = [[_cell(r["title"]), _cell(r.get("phase", ""), numeric=False), _cell(r.get("audience", ""), numeric=False),
             _cell(r.get("format", ""), numeric=False), _cell(r.get("partner", ""), numeric=False),
             _cell(count(r["participants"]), r["participants"] is None)] for r in streams["rows"]]
    rows.append([_cell(_("Total")), _cell("", numeric=False), _cell("", numeric=False), _cell("", numeric=False),
                 _cell("", numeric=False), _cell(count(total))])
    notes = _hidden_footnote(any(r["participants"] is None for r in streams["rows"]), minimum)
    title = _("Who took part, by stream")
    chart = bar_chart(title=title, minimum=minimum, ident="chart-streams", unit="count",
                      bars=[(r["title"], r["participants"], count(r["participants"])) for r in streams["rows"]])
    columns = [_("Stream"), _("Phase"), _("Audience"), _("Format"), _("Partner"), _("Participants")]
    return _chart_view("streams", title, chart, columns, rows, notes)


def _tone(sentiment: dict | None) -> str:
    sentiment = sentiment or {}
    label = {"positive": _("mostly positive"), "negative": _("mostly negative"),
             "neutral": _("mixed or neutral")}.get(sentiment.get("label"))
    if label is None:
        return ""
    counts = [sentiment.get(k) for k in ("positive", "neutral", "negative")]
    if all(c is not None for c in counts) and sum(counts):
        return _("%(tone)s (%(positive)s positive, %(negative)s negative)", tone=label,
                 positive=percent(counts[0] / sum(counts)), negative=percent(counts[2] / sum(counts)))
    return label


def _status(item: dict) -> str:
    label = STATUS_LABELS.get(item.get("status"))
    return str(label) if label is not None else item.get("status_label", "")


_BY_TITLES = {"stream": _l("Shared themes by stream"), "phase": _l("Shared themes by phase"),
              "audience": _l("Shared themes by audience")}


def _crossstream(key: str, data: dict):
    cross = data.get("cross")
    if not cross or key not in _BY_TITLES:
        return None
    view = cross["views"][key]
    minimum = cross.get("min", data.get("public_min", 10))
    themes = [t for t in cross["themes"] if t["id"] in view["theme_ids"]]
    groups = view["rows"]
    columns = [_("Shared theme")] + [_group_heading(g) for g in groups]
    rows, any_hidden = [], any(g["n"] is None for g in groups)
    for theme in themes:
        row = [_cell(theme["name"])]
        for group in groups:
            cell = group["cells"].get(str(theme["id"])) or {"n": None, "share": None}
            any_hidden = any_hidden or cell.get("n") is None
            text = _count_share(cell.get("n"), cell.get("share"))
            tone = _tone(cell.get("sentiment")) if cross.get("sentiment") else ""
            row.append(_cell(_("%(numbers)s; tone: %(tone)s", numbers=text, tone=tone) if tone else text,
                             cell.get("n") is None))
        rows.append(row)
    notes = [_("Each cell: the share of the group’s people whose comments were coded who mentioned the theme "
               "(and how many people). One person can mention several themes.")]
    if not cross.get("sentiment"):
        notes.append(_("Tone (sentiment) is not available for these streams."))
    notes += _hidden_footnote(any_hidden, minimum)
    title = str(_BY_TITLES[key])
    return "table_block", {"block": {"kind": "crossstream", "title": title, "caption": title, "columns": columns,
                                     "rows": rows, "notes": notes}}


def _agreement(key: str, data: dict):
    if key != "audience" or "agreement" not in data:
        return None
    items = [_("%(theme)s: between %(low)s and %(high)s of each audience mentioned it.", theme=a["name"],
               low=percent(a["low"]), high=percent(a["high"])) for a in data["agreement"]]
    return "list_block", {"kind": "agreement", "items": items,
                          "empty": _("No shared theme was mentioned at a similar rate by every audience.")}


def _differences(key: str, data: dict):
    if key != "audience" or "differences" not in data:
        return None
    items = [_("%(group)s: %(group_share)s of %(group_count)s people mentioned %(feature)s, compared with "
               "%(rest_share)s of the other %(rest_count)s.", group=d["group"], group_share=percent(d["group_share"]),
               group_count=count(d["group_n"]), feature=d["feature"], rest_share=percent(d["rest_share"]),
               rest_count=count(d["rest_n"]))
             for d in data["differences"]]
    return "list_block", {"kind": "differences", "items": items,
                          "empty": _("No clear differences between audiences can be shown.")}


def _stream_reports(key: str, data: dict):
    if key != "all" or "stream_reports" not in data:
        return None
    return "links_block", {"links": [dict(r, published_text=long_date(r.get("published_on")))
                                     for r in data["stream_reports"]]}


def _recommendations(key: str, data: dict):
    if key != "all" or "recommendations" not in data:
        return None
    recs = [dict(r, status_label=_status(r), target_text=long_date(r.get("target_on")),
                 published_text=long_date(r.get("published_on")))
            for r in data["recommendations"]]
    return "recommendations_block", {"recommendations": recs}


_RENDERERS = {
    "participation": _participation, "themes": _themes, "options": _options, "segment": _segment,
    "findings": _findings, "quotes": _quotes, "commitments": _commitments, "appendix": _appendix,
    "streams": _streams, "crossstream": _crossstream, "agreement": _agreement, "differences": _differences,
    "streamreports": _stream_reports, "recommendations": _recommendations,
}
