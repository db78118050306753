"""The report's open data: the suppressed aggregates as one long CSV table, and optionally the approved comments.

One row per number: ``table, dimension, group, theme, measure, value, note``. A hidden number has an empty value
and a note saying why, worded the same for every hidden cell so the note reveals nothing. Shares are proportions
(0 to 1). Every text cell passes through the import module's CSV-injection guard, so a comment that starts like a
formula opens as text in a spreadsheet program.
"""
import csv
import io

from engage.imports.spreadsheet import neutralise_csv_cell

COLUMNS = ["table", "dimension", "group", "theme", "measure", "value", "note"]


def hidden_text(minimum: int) -> str:
    return f"hidden (groups of fewer than {minimum}, and numbers that would reveal them, are not published)"


def report_csv(data: dict, *, include_comments: bool = False) -> str:
    """The CSV text. Approved comments (and approved quotes) are added only when ``include_comments``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in _rows(data, include_comments=include_comments):
        writer.writerow([neutralise_csv_cell(cell) for cell in row])
    return out.getvalue()


def _number(value, minimum: int, *, digits: int | None = None) -> tuple:
    if value is None:
        return "", hidden_text(minimum)
    return (round(value, digits) if digits is not None else value), ""


def _rows(data: dict, *, include_comments: bool):
    if data.get("kind") == "review":
        yield from _review_rows(data)
        return
    public_min = data.get("public_min", 10)
    names = {t["id"]: t["name"] for t in data.get("themes", [])}
    prompts = {q["id"]: f"Q{index}: {q['prompt']}" for index, q in enumerate(data.get("questions", []), start=1)}
    participation = data.get("participation", {})

    for measure in ("respondents", "comments", "sessions", "session_comments", "first_day", "last_day"):
        if participation.get(measure) is not None:
            yield ("overview", "", "", "", measure, participation[measure], "")
    yield ("overview", "", "", "", "public_minimum_group_size", public_min, "")
    yield ("overview", "", "", "", "identity_minimum_group_size", data.get("identity_min", public_min), "")

    for table in participation.get("tables", []):
        minimum = table.get("min", public_min)
        label = table["label"]
        yield ("participation", label, "", "", "total_respondents", table.get("total", ""), table.get("note", ""))
        for row in table["rows"]:
            yield ("participation", label, row["label"], "", "respondents", *_number(row["n"], minimum))
            yield ("participation", label, row["label"], "", "share", *_number(row["share"], minimum, digits=4))

    for question in data.get("questions", []):
        prompt = prompts[question["id"]]
        yield ("question", prompt, "", "", "respondents", question.get("respondents", ""), question.get("kind", ""))
        for theme in question.get("themes", []):
            yield from _theme_rows("question_theme", prompt, theme, public_min)
        for option in question.get("options", []):
            yield ("question_option", prompt, option["label"], "", "respondents", *_number(option["n"], public_min))
            yield ("question_option", prompt, option["label"], "", "share",
                   *_number(option["share"], public_min, digits=4))

    for theme in data.get("themes", []):
        yield from _theme_rows("theme", "All questions", theme, public_min)

    for segment in data.get("segments", []):
        minimum = segment.get("min", public_min)
        label = segment["label"]
        for row in segment["rows"]:
            yield ("segment", label, row["label"], "", "respondents", *_number(row["n"], minimum))
            for theme_id in segment.get("theme_ids", []):
                cell = (row.get("themes") or {}).get(str(theme_id)) or {"n": None, "share": None}
                theme = names.get(theme_id, f"Theme {theme_id}")
                yield ("segment", label, row["label"], theme, "respondents", *_number(cell.get("n"), minimum))
                yield ("segment", label, row["label"], theme, "share", *_number(cell.get("share"), minimum, digits=4))

    for finding in data.get("findings", []):
        for measure in ("group_n", "group_share", "rest_n", "rest_share"):
            value = finding.get(measure)
            yield ("finding", finding.get("dimension", ""), finding.get("value", ""), finding.get("feature", ""),
                   measure, round(value, 4) if isinstance(value, float) else value, finding.get("title", ""))

    for commitment in data.get("commitments", []):
        linked = "; ".join(names[t] for t in commitment.get("theme_ids", []) if t in names)
        for measure in ("status_label", "status_changed_on", "target_on", "owner", "description", "reason"):
            value = commitment.get(measure)
            if value or measure == "status_label":
                yield ("commitment", commitment["title"], "", linked, measure.removesuffix("_label"), value or "", "")

    if include_comments:
        for quote in data.get("quotes", []):
            yield ("quote", prompts.get(quote.get("question_id"), ""), quote.get("label") or "",
                   names.get(quote.get("theme_id"), ""), "text", quote["text"], "approved quote")
        for comment in data.get("appendix", []):
            yield ("comment", prompts.get(comment.get("question_id"), "Other comments"), "", "", "text",
                   comment["text"], "approved comment")


def _theme_rows(table: str, dimension: str, theme: dict, minimum: int):
    name = theme["name"]
    yield (table, dimension, "", name, "respondents", *_number(theme["n"], minimum))
    yield (table, dimension, "", name, "share", *_number(theme["share"], minimum, digits=4))
    sentiment = theme.get("sentiment") or {}
    if theme["n"] is None or sentiment.get("label") is not None or sentiment.get("mean") is not None:
        yield (table, dimension, "", name, "sentiment", *_text_or_hidden(sentiment.get("label"), minimum))
        yield (table, dimension, "", name, "sentiment_mean", *_number(sentiment.get("mean"), minimum, digits=3))
    for tone in ("positive", "neutral", "negative"):
        if sentiment.get(tone) is not None:
            yield (table, dimension, "", name, f"sentiment_{tone}", sentiment[tone], "")


def _text_or_hidden(value, minimum: int) -> tuple:
    return ("", hidden_text(minimum)) if value is None else (value, "")


def _review_rows(data: dict):
    """A program review's overall report: participation by stream, shared themes by stream, phase and audience,
    findings and recommendations. Every breakdown is already suppressed; a hidden value is empty with a note."""
    minimum = data.get("public_min", 10)
    streams = data.get("streams") or {}
    yield ("overview", "", "", "", "participants", streams.get("total", ""), "")
    yield ("overview", "", "", "", "streams", len(streams.get("rows", [])), "")
    yield ("overview", "", "", "", "public_minimum_group_size", minimum, "")
    for row in streams.get("rows", []):
        note = "; ".join(part for part in (row.get("phase"), row.get("audience"), row.get("format"),
                                           row.get("partner")) if part)
        value, hidden = _number(row.get("participants"), minimum)
        yield ("stream", row["title"], row.get("phase", ""), "", "participants", value, hidden or note)
    cross = data.get("cross") or {}
    names = {t["id"]: t["name"] for t in cross.get("themes", [])}
    for theme in cross.get("themes", []):
        yield ("shared_theme", "All streams", "", theme["name"], "respondents", *_number(theme["n"], minimum))
        yield ("shared_theme", "All streams", "", theme["name"], "share", *_number(theme["share"], minimum, digits=4))
    for by, view in (cross.get("views") or {}).items():
        for row in view.get("rows", []):
            yield ("cross_stream", by, row["label"], "", "respondents", *_number(row["n"], minimum))
            for theme_id in view.get("theme_ids", []):
                cell = row["cells"].get(str(theme_id)) or {}
                theme = names.get(theme_id, f"Theme {theme_id}")
                yield ("cross_stream", by, row["label"], theme, "respondents", *_number(cell.get("n"), minimum))
                yield ("cross_stream", by, row["label"], theme, "share",
                       *_number(cell.get("share"), minimum, digits=4))
                sentiment = cell.get("sentiment") or {}
                if sentiment.get("mean") is not None:
                    yield ("cross_stream", by, row["label"], theme, "sentiment_mean", round(sentiment["mean"], 3), "")
    for finding in data.get("findings", []):
        for measure in ("group_n", "group_share", "rest_n", "rest_share"):
            yield ("finding", finding.get("dimension", ""), finding.get("value", ""), finding.get("feature", ""),
                   measure, finding.get(measure), finding.get("title", ""))
    for rec in data.get("recommendations", []):
        label = f"Recommendation {rec['number']}: {rec['title']}"
        for measure in ("status_label", "target_on", "owner", "reason"):
            if rec.get(measure) or measure == "status_label":
                yield ("recommendation", label, "", "; ".join(rec.get("theme_names", [])),
                       measure.removesuffix("_label"), rec.get(measure) or "", "")
