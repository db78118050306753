"""The What We Heard report's data: one JSON-ready dict (schema 1, see ``engage.reporting``), breakdowns suppressed.

``assemble_tables`` is the part that decides what may be shown. It takes plain rows (people, the ways to split
them, questions, themes), so property tests reach it without a database. ``build_report_data`` loads those rows and
adds the overall totals, the method, quotes and commitments.

Who is counted where (all people are respondents, never session notes):
- participation tables and theme x segment tables: every respondent, from ONE suppressed table per way of
  splitting, so a group's size is hidden or shown alike in both;
- themes over all questions: respondents with a comment; themes of a question: respondents who answered it.
  With one open question these are the same table, so a figure hidden in one is never shown in the other.
"""
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from sqlalchemy import func, select

from engage.analysis.segments import (
    MISSING, SENTIMENT_LABELS, _suppress, normalise_segment_value, tabulate_segment,
)
from engage.analysis.sentiment import label_sentiment
from engage.extensions import db
from engage.models import (
    CHANNEL_LABELS, CHANNEL_VALUES, COMMITMENT_STATUS_LABELS, SCALE_LABELS, Answer, Commitment, Consultation,
    QuestionKind, Report, Response,
)
from engage.services.comments import latest_run
from engage.services.double_coding import agreement, codings, samples_for
from engage.services.engagement_sessions import session_summary
from engage.services.quotes import approved_quotes
from engage.services.segments import (
    CHANNEL_FIELD, IN_GROUP, NOT_IN_GROUP, Dimension, Unit, _attach_segments, dimensions, load_units, pinned_findings,
)
from engage.services.themes import active_themes

SCHEMA = 1
NOT_STATED = "Not stated"
MULTIPLE_NOTE = "A person may be in several of these groups, or in none, so the rows do not add up to the total."


# --- plain rows in ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comment:
    question_id: int | None  # None: a comment tied to no question (an email)
    themes: frozenset
    score: float | None = None


@dataclass(frozen=True)
class Person:
    """One respondent: channel, "about you" choices (field id -> option ids, None = prefer not to say),
    open-text comments, and the option labels chosen in each choice or scale question."""

    channel: str
    chosen: Mapping[int, Sequence[int | None]] = field(default_factory=dict)
    comments: tuple[Comment, ...] = ()
    answers: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def values(self) -> dict:
        return {**self.chosen, CHANNEL_FIELD: [CHANNEL_VALUES.index(self.channel)]}


@dataclass(frozen=True)
class Split:
    """A way to split respondents with its publication rule; option splits of one field share a participation table."""

    dimension: Dimension
    label: str
    identity: bool
    minimum: int
    table_key: str
    table_label: str
    multiple: bool = False


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    position: int
    prompt: str
    kind: str
    required: bool = False
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThemeSpec:
    id: int
    name: str
    description: str = ""


# --- the pure assembly --------------------------------------------------------------------------------------

def _share(n: int | None, total: int) -> float | None:
    return round(n / total, 4) if n is not None and total else None


def _label(value: str) -> str:
    return NOT_STATED if value == MISSING else value


def _theme_scores(comments) -> tuple[frozenset, dict]:
    """A person's themes over these comments, and per theme the mean score of the comments that carry it."""
    themes = frozenset().union(*(c.themes for c in comments))
    scores = {}
    for theme_id in themes:
        found = [c.score for c in comments if theme_id in c.themes and c.score is not None]
        scores[theme_id] = fmean(found) if found else None
    return themes, scores


def _sentiment(scores: list, shown: bool, minimum: int) -> dict:
    """Tone of the people mentioning a theme. The mean needs `minimum` scored people; the three counts are
    shown together or not at all, and only when each (and the unscored rest) is 0 or at least the minimum."""
    out = {"mean": None, "label": None, "positive": None, "neutral": None, "negative": None}
    if not shown:
        return out
    scored = [s for s in scores if s is not None]
    if len(scored) >= minimum:
        mean = fmean(scored)
        out["mean"], out["label"] = round(mean, 4), label_sentiment(mean)
    counts = Counter(label_sentiment(s) for s in scored)
    unscored = len(scores) - len(scored)
    if all(counts[label] >= minimum for label in SENTIMENT_LABELS) and (unscored == 0 or unscored >= minimum):
        out.update({label: counts[label] for label in SENTIMENT_LABELS})
    return out


def _one_row(memberships: list, ids: Sequence[int], minimum: int, hide: frozenset = frozenset()) -> dict:
    """Counts of each id over one group of people, suppressed: id -> count or None.

    When everyone has exactly one id the counts add up to the group's (published) size, and the library's
    suppression hides more until no hidden count follows from the others. ``tabulate_segment`` cannot do this
    for a single row: it takes each column's total as published and so hides the whole row. Ids in ``hide`` are
    hidden whatever their count.
    """
    ids = list(ids)
    wanted = set(ids)
    counts = {("t", "all", i): 0 for i in ids}
    for themes in memberships:
        for i in themes & wanted:
            counts[("t", "all", i)] += 1
    additive = bool(memberships) and all(len(themes & wanted) == 1 for themes in memberships)
    relations = [(tuple(counts), len(memberships))] if additive else []
    primary = {k for k, c in counts.items() if c < minimum or k[2] in hide}  # `hide`: ids hidden for another reason
    hidden = _suppress(counts, relations, primary, {}, {}, set())
    return {key[2]: None if key in hidden else count for key, count in counts.items()}


def _theme_list(units: list, themes: Sequence[ThemeSpec], minimum: int) -> list[dict]:
    """units: (theme set, per-theme score). Respondents mentioning each theme, suppressed, with their tone."""
    counts = _one_row([u[0] for u in units], [t.id for t in themes], minimum)
    found = []
    for theme in themes:
        n = counts[theme.id]
        scores = [u[1].get(theme.id) for u in units if theme.id in u[0]]
        found.append({"id": theme.id, "name": theme.name, "description": theme.description, "n": n,
                      "share": _share(n, len(units)), "sentiment": _sentiment(scores, n is not None, minimum)})
    return found


def _options(question: QuestionSpec, people: Sequence[Person], minimum: int) -> tuple[int, list[dict]]:
    """Respondents choosing each option; every option is listed, one row over the question's respondents."""
    index = {}
    for i, label in enumerate(question.options):
        index.setdefault(label, i)
    chosen = [frozenset(index[label] for label in p.answers.get(question.id, ()) if label in index) for p in people]
    chosen = [c for c in chosen if c]
    counts = _one_row(chosen, range(len(question.options)), minimum)
    return len(chosen), [{"label": label, "n": counts[i], "share": _share(counts[i], len(chosen))}
                         for i, label in enumerate(question.options)]


def _row_order(split: Split, values: list[str]) -> list[str]:
    if split.multiple:
        wanted = [IN_GROUP, NOT_IN_GROUP]
    else:
        wanted = [normalise_segment_value(label) for label in split.dimension.option_labels.values()]
    rank = {value: i for i, value in reversed(list(enumerate(wanted)))}
    return sorted(values, key=lambda v: (v == MISSING, rank.get(v, len(rank)), v))


def _split_table(split: Split, people: Sequence[Person], personal: list, theme_ids: list[int]) -> dict:
    """One suppressed table per split over every respondent: the group sizes (participation) and theme cells."""
    values = [split.dimension.value_of(p.values()) for p in people]
    table = tabulate_segment([themes for themes, _ in personal], values, field=split.label, theme_ids=theme_ids,
                             min_cell=split.minimum, scores=[score for _, score in personal])
    scored = Counter(normalise_segment_value(v) for v, (_, s) in zip(values, personal) if s is not None)
    rows = {r.value: r for r in table.rows}
    if len(rows) == 1:  # everyone is in the one group: its size is the published total, hidden only when small
        only = next(iter(rows.values()))
        rows = {only.value: dataclasses.replace(only, n=len(people) if len(people) >= split.minimum else None)}
    out = []
    for value in _row_order(split, list(rows)):
        r = rows[value]
        mean = r.mean_sentiment if r.n is not None and scored[value] >= split.minimum else None
        out.append({"label": _label(value), "value": value, "n": r.n,
                    "mean_sentiment": round(mean, 4) if mean is not None else None,
                    "themes": {str(t): {"n": r.themes[t], "share": round(r.shares[t], 4) if r.shares[t] is not None
                                        else None} for t in theme_ids}})
    return {"key": split.dimension.key, "label": split.label, "identity": split.identity, "min": split.minimum,
            "total": len(people), "theme_ids": list(theme_ids), "rows": out}


def _participation_tables(splits: Sequence[Split], tables: dict, total: int) -> list[dict]:
    found: dict[str, dict] = {}
    for split in splits:
        table = tables[split.dimension.key]
        entry = found.setdefault(split.table_key, {
            "key": split.table_key, "label": split.table_label, "identity": split.identity, "min": split.minimum,
            "note": MULTIPLE_NOTE if split.multiple else "", "total": total, "rows": []})
        entry["min"] = max(entry["min"], split.minimum)
        if split.multiple:  # one row per option: the people in its group (an option nobody chose is left out)
            entry["rows"] += [{"label": split.dimension.label, "n": r["n"], "share": _share(r["n"], total)}
                              for r in table["rows"] if r["value"] == IN_GROUP]
        else:
            entry["rows"] = [{"label": r["label"], "n": r["n"], "share": _share(r["n"], total)} for r in table["rows"]]
    return [t for t in found.values() if t["rows"]]


def assemble_tables(*, people: Sequence[Person], splits: Sequence[Split], questions: Sequence[QuestionSpec],
                    themes: Sequence[ThemeSpec], public_min: int, findings: Sequence[Mapping] = (),
                    source: str = "codes") -> dict:
    """The suppressed parts of the report data: participation "tables", "questions", "themes", "segments" and
    the "findings" that stay safe, with the "respondents" they are out of. Pure: plain rows in, JSON-ready dicts
    out, in a fixed order."""
    commenters = [p for p in people if p.comments]
    overall = _theme_list([_theme_scores(p.comments) for p in commenters], themes, public_min)
    question_out = []
    for q in sorted(questions, key=lambda q: (q.position, q.id)):
        entry = {"id": q.id, "position": q.position, "prompt": q.prompt, "kind": q.kind, "required": q.required,
                 "respondents": 0, "themes": [], "options": []}
        if q.kind == QuestionKind.TEXT.value:
            units = [_theme_scores([c for c in p.comments if c.question_id == q.id]) for p in commenters
                     if any(c.question_id == q.id for c in p.comments)]
            entry["respondents"], entry["themes"] = len(units), _theme_list(units, themes, public_min)
        else:
            entry["respondents"], entry["options"] = _options(q, people, public_min)
        question_out.append(entry)
    for theme in overall:  # only where its count is shown, so a hidden zero stays hidden
        theme["question_ids"] = [q["id"] for q in question_out
                                 if any(t["id"] == theme["id"] and t["n"] for t in q["themes"])]
    # A theme whose overall count is hidden is left out of the segment tables: its cells would add up to it.
    shown_ids = [t["id"] for t in overall if t["n"] is not None]
    personal = [(frozenset().union(*(c.themes for c in p.comments)), _mean_score(p)) for p in people]
    tables = {s.dimension.key: _split_table(s, people, personal, shown_ids) for s in splits}
    segments = [dict(t, rows=[{k: v for k, v in r.items() if k != "value"} for r in t["rows"]])
                for t in tables.values() if t["theme_ids"] and sum(r["n"] is not None for r in t["rows"]) >= 2]
    return {
        "respondents": len(people),
        "tables": _participation_tables(splits, tables, len(people)),
        "questions": question_out,
        "themes": overall,
        "segments": segments,
        "findings": safe_findings(findings=findings, splits=splits, tables=tables, questions=question_out,
                                  themes=overall, source=source),
    }


def _mean_score(person: Person) -> float | None:
    scores = [c.score for c in person.comments if c.score is not None]
    return fmean(scores) if scores else None


def safe_findings(*, findings: Sequence[Mapping], splits: Sequence[Split], tables: Mapping[str, dict],
                  questions: Sequence[dict], themes: Sequence[dict], source: str) -> list[dict]:
    """Pinned findings whose figures are still safe at the public minimum, as published.

    A finding stores figures worked out at the staff minimum. It is kept only when its group, the rest, and the
    people in the group with the feature are all at or above the minimum of its dimension (the identity minimum
    for identity groups); when its group is shown in this report's table for that dimension (else its size would
    give the hidden one away); and, for a theme, when the theme's count in the finding's scope is shown here
    (group + rest add up to it) and so is the group's cell. The rest's count is then the shown total less a shown
    cell, which the tables give away already.
    """
    kept = []
    for finding in findings:
        data = finding.get("data") or {}
        try:
            group_n, rest_n = int(data["group_n"]), int(data["rest_n"])
            group_share, rest_share = float(data["group_share"]), float(data["rest_share"])
            dimension, value, feature = str(data["dimension"]), str(data["value"]), str(data["feature"])
        except (KeyError, TypeError, ValueError):
            continue
        matches = [s for s in splits if s.dimension.label == dimension]
        if not matches or data.get("source", source) != source:
            continue
        minimum = max(s.minimum for s in matches)
        if min(group_n, rest_n, round(group_share * group_n)) < minimum:
            continue
        theme = None
        if not feature.endswith(" sentiment"):
            scope = themes if data.get("question_id") is None else next(
                (q["themes"] for q in questions if q["id"] == data.get("question_id")), [])
            theme = next((t for t in scope if t["name"] == feature), None)
            if theme is None or theme["n"] is None:
                continue
        safe = True
        for split in matches:
            row = next((r for r in tables[split.dimension.key]["rows"]
                        if r["value"] == normalise_segment_value(value)), None)
            cell = row["themes"].get(str(theme["id"]), {}).get("n") if (row and theme) else None
            safe = safe and row is not None and row["n"] is not None and (theme is None or cell is not None)
        if safe:
            kept.append({"id": finding["id"], "title": finding.get("title", ""), "note": finding.get("note", ""),
                         "dimension": dimension, "value": value, "feature": feature, "group_n": group_n,
                         "group_share": round(group_share, 4), "rest_n": rest_n, "rest_share": round(rest_share, 4)})
    return kept


def quote_label(label: str, show_label: bool, tables: Sequence[dict]) -> str | None:
    """A quote's group label, only when asked for and every participation row of that name is shown here."""
    label = (label or "").strip()
    if not show_label or not label:
        return None
    rows = [(r, t["min"]) for t in tables for r in t["rows"] if r["label"] == label]
    if rows and all(r["n"] is not None and r["n"] >= minimum for r, minimum in rows):
        return label
    return None


# --- loading ------------------------------------------------------------------------------------------------

def _iso(day) -> str | None:
    if day is None:
        return None
    return (day.date() if isinstance(day, dt.datetime) else day).isoformat()


def report_splits(consultation: Consultation) -> list[Split]:
    """The consultation's ways of splitting respondents, each with its public minimum; the channel first."""
    fields = {f.id: f for f in consultation.segment_fields}
    found = []
    for dim in sorted(dimensions(consultation=consultation), key=lambda d: d.field_id != CHANNEL_FIELD):
        seg_field = fields.get(dim.field_id)
        if seg_field is None:  # the channel
            found.append(Split(dim, dim.label, False, consultation.public_minimum(), "channel", dim.label))
            continue
        minimum = consultation.public_minimum(identity=seg_field.is_identity)
        label = f"{seg_field.label}: {dim.label}" if dim.option_id is not None else seg_field.label
        found.append(Split(dim, label, seg_field.is_identity, minimum, f"f{seg_field.id}", seg_field.label,
                           multiple=dim.option_id is not None))
    return found


def _people(consultation: Consultation, units: list[Unit]) -> list[Person]:
    """Every respondent (not session notes) with their segments, comments in scope and choice answers."""
    people_only = (Response.consultation_id == consultation.id, Response.engagement_session_id.is_(None))
    everyone = {rid: Unit(rid, channel) for rid, channel in db.session.execute(
        select(Response.id, Response.channel).where(*people_only))}
    _attach_segments(consultation, everyone)
    question_of = dict(db.session.execute(
        select(Answer.id, Answer.question_id).join(Response, Response.id == Answer.response_id)
        .where(*people_only, Answer.text.is_not(None))).all())
    comments = {u.response_id: tuple(Comment(question_of.get(aid), themes, score) for aid, themes, score in u.comments)
                for u in units}
    labels = {o.id: o.label for q in consultation.questions for o in q.options}
    choice = [q.id for q in consultation.questions if q.kind != QuestionKind.TEXT.value]
    answers: dict = {}
    if choice:
        for rid, qid, option_id, scale in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.option_id, Answer.scale_value)
            .join(Response, Response.id == Answer.response_id).where(*people_only, Answer.question_id.in_(choice))
        ):
            label = labels.get(option_id) if option_id is not None else SCALE_LABELS.get(scale)
            if label is not None:
                answers.setdefault(rid, {}).setdefault(qid, []).append(label)
    return [Person(unit.channel, unit.chosen, comments.get(rid, ()),
                   {q: tuple(v) for q, v in answers.get(rid, {}).items()})
            for rid, unit in sorted(everyone.items(), key=lambda item: str(item[0]))]


def _questions(consultation: Consultation) -> list[QuestionSpec]:
    found = []
    for q in consultation.questions:
        options = (tuple(SCALE_LABELS[k] for k in sorted(SCALE_LABELS)) if q.kind == QuestionKind.SCALE.value
                   else tuple(o.label for o in q.options))
        found.append(QuestionSpec(q.id, q.position, q.prompt, q.kind, bool(q.required), options))
    return found


def _themes(consultation: Consultation, source: str, names: dict[int, str]) -> list[ThemeSpec]:
    if source == "codes":
        return [ThemeSpec(t.id, t.name, t.description or "") for t in active_themes(consultation_id=consultation.id)
                if t.id in names]
    run = latest_run(consultation)
    return [ThemeSpec(t.id, t.label, ("Key words: " + ", ".join(t.keywords)) if t.keywords else "")
            for t in run.themes if t.id in names]


def _method(consultation: Consultation, source: str, units: list[Unit], n_themes: int) -> dict:
    run = latest_run(consultation)
    theme_ids = [t.id for t in active_themes(consultation_id=consultation.id)]
    found = []
    for sample in sorted(samples_for(consultation=consultation), key=lambda s: s.id):
        a, b = codings(sample, sample.coder_a_id), codings(sample, sample.coder_b_id)
        both = sorted((i for i in a if i in b), key=str)
        if not both or not theme_ids:
            continue
        result = agreement([a[i] for i in both], [b[i] for i in both], theme_ids)
        agreed = sum(same for _, _, same in result.per_theme.values())
        found.append({"sample": sample.id, "items": len(both),
                      "kappa": round(result.pooled, 4) if result.pooled is not None else None,
                      "percent": round(agreed / (len(both) * len(theme_ids)), 4)})  # a share, like the others
    return {
        "source": source, "themes": n_themes,
        "coded_comments": sum(1 for u in units for _, themes, _ in u.comments if themes),
        "run": None if run is None else {"version": run.version, "finished_on": _iso(run.finished_at or run.created_at),
                                         "themes": len(run.themes)},
        "agreement": found,
    }


def _quotes(report: Report | None, tables: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    if report is None:
        return [], []
    rows = approved_quotes(report=report)  # approved, and not redacted since: an approval lapses when the text changes
    quotes = [{"id": q.id, "theme_id": q.theme_id, "question_id": q.question_id, "text": q.text,
               "label": quote_label(q.segment_label, q.show_label, tables)} for q in rows]
    if not report.include_appendix:
        return quotes, []
    order = {q["id"]: i for i, q in enumerate(questions)}
    grouped = sorted(rows, key=lambda q: (order.get(q.question_id, len(order)), q.position, q.id))
    return quotes, [{"question_id": q.question_id, "text": q.text} for q in grouped]


def _commitments(consultation: Consultation) -> list[dict]:
    rows = db.session.scalars(select(Commitment).where(Commitment.consultation_id == consultation.id)
                              .order_by(Commitment.position, Commitment.id))
    return [{"id": c.id, "title": c.title, "description": c.description or "", "status": c.status,
             "status_label": COMMITMENT_STATUS_LABELS.get(c.status, c.status), "reason": c.reason or "",
             "owner": c.owner or "", "target_on": _iso(c.target_on), "status_changed_on": _iso(c.status_changed_on),
             "theme_ids": sorted(c.theme_ids)} for c in rows]


def build_report_data(*, consultation: Consultation, report: Report | None = None, source: str = "codes",
                      today: dt.date | None = None) -> dict:
    """The report data dict (schema 1), every breakdown suppressed at the public minimum.

    ``source`` is "codes" (reviewers' codes) or "machine" (the latest run's themes); a given report's own source
    wins. Raises ``SegmentError`` (a message safe to show) for an unknown source, or "machine" with no finished run.
    """
    if report is not None:
        source = report.source
    units, names = load_units(consultation=consultation, question_id=None, source=source)
    themes = _themes(consultation, source, names)
    splits = report_splits(consultation)
    findings = [{"id": f.id, "title": f.title, "note": f.note or "", "data": f.data or {}}
                for f in pinned_findings(consultation=consultation)]
    parts = assemble_tables(people=_people(consultation, units), splits=splits, questions=_questions(consultation),
                            themes=themes, public_min=consultation.public_minimum(), findings=findings, source=source)
    sessions = session_summary(consultation)
    first_day, last_day = db.session.execute(select(func.min(Response.submitted_on), func.max(Response.submitted_on))
                                             .where(Response.consultation_id == consultation.id)).one()
    used = set(db.session.scalars(select(Response.channel).where(Response.consultation_id == consultation.id)
                                  .distinct()))
    quotes, appendix = _quotes(report, parts["tables"], parts["questions"])
    return {
        "schema": SCHEMA,
        "generated_on": (today or dt.date.today()).isoformat(),
        "consultation": {"slug": consultation.slug, "title": consultation.title, "summary": consultation.summary or "",
                         "description": consultation.description or "", "purpose": consultation.purpose or "",
                         "audience": consultation.audience or "", "opens_on": _iso(consultation.opens_on),
                         "closes_on": _iso(consultation.closes_on)},
        "public_min": consultation.public_minimum(),
        "identity_min": consultation.public_minimum(identity=True),
        "participation": {
            "respondents": parts["respondents"],
            "comments": sum(len(u.comments) for u in units),
            "sessions": sessions.sessions, "session_comments": sessions.comments,
            "first_day": _iso(first_day), "last_day": _iso(last_day),
            "channels": [CHANNEL_LABELS.get(c, c) for c in CHANNEL_VALUES if c in used],
            "tables": parts["tables"],
        },
        "method": _method(consultation, source, units, len(themes)),
        "questions": parts["questions"],
        "themes": parts["themes"],
        "segments": parts["segments"],
        "findings": parts["findings"],
        "quotes": quotes,
        "commitments": _commitments(consultation),
        "appendix": appendix,
    }
