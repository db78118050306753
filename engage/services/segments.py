"""Segments and the equity lens: theme x segment tables, where groups differ, participation; all suppressed.

Every count shown comes out of ``engage.analysis.segments`` with the consultation's minimum group size, which
hides small cells and enough others that a hidden one cannot be worked out from the totals. The unit is a
respondent (a response): their themes are the union of their comments' themes in the chosen question(s).
"""
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean

from flask_babel import gettext as _
from sqlalchemy import or_, select

from engage.analysis.pii import scrub_pii
from engage.analysis.segments import MISSING, SegmentTable, tabulate_intersection, tabulate_segment, where_groups_differ
from engage.analysis.sentiment import label_sentiment
from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    CHANNEL_LABELS,
    CHANNEL_VALUES,
    Answer,
    Code,
    CommentAnalysis,
    Consultation,
    Finding,
    MachineTheme,
    QuestionKind,
    Response,
    SegmentAnswer,
    Theme,
    User,
)
from engage.services.audit import record_event
from engage.services.comments import latest_run

# One option of a multi-choice field splits respondents in two: those who chose it, and everyone else (who
# did not, or skipped the question, or preferred not to say). A separate "Not stated" row would be the same
# people in every option's table, and each table hides different cells of it, so read together they
# gave hidden counts away.
IN_GROUP, NOT_IN_GROUP = "In this group", "Everyone else"
CHANNEL_LABEL = "Channel (how people took part)"
CHANNEL_FIELD = -1  # the pseudo field id under which a respondent's channel is kept in Unit.chosen
NOTABLE_Q, NOTABLE_H = 0.05, 0.2


class SegmentError(ValueError):
    """A choice that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class Dimension:
    """A way to split respondents: a single-choice field ("f<id>") or one option of a multi-choice field ("o<id>")."""

    key: str
    label: str
    field_id: int
    option_id: int | None = None
    option_labels: dict = field(default_factory=dict)  # option id -> label, single-choice fields only

    def value_of(self, chosen: dict[int, list[int | None]]) -> str | None:
        """This respondent's row; None (not stated) when they skipped the field or preferred not to say.

        For one option of a multi-choice field there is no "not stated" row (see NOT_IN_GROUP)."""
        options = chosen.get(self.field_id)
        if self.option_id is not None:
            return IN_GROUP if options and None not in options and self.option_id in options else NOT_IN_GROUP
        if not options or None in options:
            return None
        return self.option_labels.get(options[0])


@dataclass
class Unit:
    """One respondent: their comments in scope (answer id, themes, score) and segment choices."""

    response_id: uuid.UUID
    channel: str
    comments: list[tuple[uuid.UUID, frozenset, float | None]] = field(default_factory=list)
    chosen: dict[int, list[int | None]] = field(default_factory=dict)

    @property
    def themes(self) -> frozenset:
        return frozenset().union(*(themes for _, themes, _ in self.comments))

    @property
    def score(self) -> float | None:
        scores = [s for _, _, s in self.comments if s is not None]
        return fmean(scores) if scores else None


def dimensions(*, consultation: Consultation) -> list[Dimension]:
    """Every way to split respondents. A multi-choice field gives one in/not-in split per option, because
    a respondent may be in several of its groups at once and the groups do not add up to everyone."""
    found = []
    for seg_field in consultation.segment_fields:
        if seg_field.multiple:
            found += [Dimension(f"o{o.id}", f"{o.label}", seg_field.id, o.id) for o in seg_field.options]
        else:
            found.append(Dimension(f"f{seg_field.id}", seg_field.label, seg_field.id,
                                   option_labels={o.id: o.label for o in seg_field.options}))
    found.append(Dimension("channel", CHANNEL_LABEL, CHANNEL_FIELD,
                           option_labels={i: CHANNEL_LABELS.get(c, c) for i, c in enumerate(CHANNEL_VALUES)}))
    return found


def find_dimension(*, consultation: Consultation, key: str) -> Dimension:
    for dimension in dimensions(consultation=consultation):
        if dimension.key == key:
            return dimension
    raise SegmentError(_("That way of splitting respondents is not one of the choices."))


def load_units(*, consultation: Consultation, question_id: int | None, source: str) -> tuple[list[Unit], dict[int, str]]:
    """Respondents with a comment in scope, their themes (human codes or the latest run's) and sentiment.

    Returns the units and the theme names by id.
    """
    text_questions = {q.id for q in consultation.questions if q.kind == QuestionKind.TEXT.value}
    if question_id is not None and question_id not in text_questions:
        raise SegmentError(_("Choose one of this consultation's open-text questions."))
    if source not in ("codes", "machine"):
        raise SegmentError(_("Choose reviewers' codes or the latest analysis run's themes."))
    wanted = {question_id} if question_id else text_questions
    run = latest_run(consultation)
    if source == "machine" and run is None:
        raise SegmentError(_("There is no finished analysis run yet, so there are no machine themes."))
    # Emails count as one respondent each; comments from focus-group or roundtable notes are not people
    # and are reported as "N comments from M sessions", never as respondents.
    in_scope = Answer.question_id.in_(wanted) if question_id else or_(Answer.question_id.in_(wanted), Answer.question_id.is_(None))
    query = (
        select(Answer.id, Answer.response_id, Response.channel)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Answer.text.is_not(None), in_scope,
               Response.engagement_session_id.is_(None))
    )
    themes_of: dict = defaultdict(set)
    scores: dict = {}
    if source == "codes":
        names = dict(db.session.execute(
            select(Theme.id, Theme.name).where(Theme.consultation_id == consultation.id, Theme.archived_at.is_(None))
            .order_by(Theme.position, Theme.id)).all())
        for answer_id, theme_id in db.session.execute(
            select(Code.answer_id, Code.theme_id).join(Answer, Answer.id == Code.answer_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.consultation_id == consultation.id, Code.theme_id.in_(names))
        ):
            themes_of[answer_id].add(theme_id)
    else:
        names = dict(db.session.execute(
            select(MachineTheme.id, MachineTheme.label).where(MachineTheme.run_id == run.id)
            .order_by(MachineTheme.position)).all())
    if run is not None:
        for answer_id, sentiment, theme_scores in db.session.execute(
            select(CommentAnalysis.answer_id, CommentAnalysis.sentiment, CommentAnalysis.theme_scores)
            .where(CommentAnalysis.run_id == run.id)
        ):
            scores[answer_id] = sentiment
            if source == "machine":
                themes_of[answer_id] = {int(t) for t, _ in theme_scores}
    units: dict = {}
    for answer_id, response_id, channel in db.session.execute(query):
        unit = units.setdefault(response_id, Unit(response_id, channel))
        unit.comments.append((answer_id, frozenset(themes_of.get(answer_id, ())), scores.get(answer_id)))
    _attach_segments(consultation, units)
    return sorted(units.values(), key=lambda u: u.response_id), names


def _attach_segments(consultation: Consultation, units: dict) -> None:
    for unit in units.values():  # the channel is a dimension too, stored like a single-choice answer
        unit.chosen[CHANNEL_FIELD] = [CHANNEL_VALUES.index(unit.channel)]
    for response_id, field_id, option_id in db.session.execute(
        select(SegmentAnswer.response_id, SegmentAnswer.field_id, SegmentAnswer.option_id)
        .join(Response, Response.id == SegmentAnswer.response_id).where(Response.consultation_id == consultation.id)
    ):
        if response_id in units:
            units[response_id].chosen.setdefault(field_id, []).append(option_id)


def theme_table(*, consultation: Consultation, units: list[Unit], theme_ids, first: Dimension,
                second: Dimension | None = None) -> SegmentTable:
    """The suppressed theme x segment table (or x the intersection of two segments), with sentiment."""
    memberships = [u.themes for u in units]
    scores = [u.score for u in units]
    if second is None:
        return tabulate_segment(memberships, [first.value_of(u.chosen) for u in units], field=first.label,
                                theme_ids=theme_ids, min_cell=consultation.min_group_size, scores=scores)
    if second.field_id == first.field_id and second.option_id is None:
        raise SegmentError(_("Choose two different ways of splitting respondents."))
    return tabulate_intersection(
        memberships, [first.value_of(u.chosen) for u in units], [second.value_of(u.chosen) for u in units],
        fields=(first.label, second.label), theme_ids=theme_ids, min_cell=consultation.min_group_size, scores=scores,
    )


@dataclass(frozen=True)
class Difference:
    feature: int | str
    label: str
    group_n: int
    group_share: float
    rest_n: int
    rest_share: float
    cohens_h: float
    q_value: float
    notable: bool
    quotes: list[str]


def group_differences(*, consultation: Consultation, units: list[Unit], table: SegmentTable, value: str,
                      names: dict[int, str], dimension: Dimension) -> list[Difference]:
    """Every theme and sentiment comparison of one group against everyone else, largest effect first.

    The library compares only groups whose size is shown and at or above the minimum, as is the rest;
    an empty list means the comparison cannot be made safely. Quotes are scrubbed of personal details.
    """
    found = [d for d in where_groups_differ(table, max_q=1.0, min_h=0.0) if d.value == value]
    result = []
    for d in found:
        label = names.get(d.feature, str(d.feature)) if isinstance(d.feature, int) else f"{d.feature} sentiment"
        notable = d.q_value <= NOTABLE_Q and abs(d.cohens_h) >= NOTABLE_H
        quotes = _quotes(consultation, units, dimension, value, d.feature) if notable and d.difference > 0 else []
        result.append(Difference(d.feature, label, d.group_n, d.group_share, d.rest_n, d.rest_share,
                                 d.cohens_h, d.q_value, notable, quotes))
    return result


def _quotes(consultation, units, dimension, value, feature, limit: int = 2) -> list[str]:
    ids = []
    for unit in units:
        if dimension.value_of(unit.chosen) != value:
            continue
        for answer_id, themes, score in unit.comments:
            if (feature in themes) if isinstance(feature, int) else (label_sentiment(score) == feature):
                ids.append(answer_id)
    if not ids:
        return []
    ids = sorted(ids)[:limit]
    schools = consultation.school_names
    texts = db.session.execute(select(Answer.redacted_text, Answer.text).where(Answer.id.in_(ids))).all()
    return [scrub_pii(redacted or text, schools=schools) for redacted, text in texts]


def pin_finding(*, consultation: Consultation, user: User | None, dimension: Dimension, value: str, feature: str,
                question_id: int | None, source: str, note: str = "") -> Finding:
    """Pin a "where groups differ" result for the summary, recomputed here so only safe figures are stored."""
    units, names = load_units(consultation=consultation, question_id=question_id, source=source)
    table = theme_table(consultation=consultation, units=units, theme_ids=list(names), first=dimension)
    match = next((d for d in group_differences(consultation=consultation, units=units, table=table, value=value,
                                               names=names, dimension=dimension) if str(d.feature) == feature), None)
    if match is None:
        raise SegmentError(_("That difference cannot be shown for this group, so it cannot be pinned."))
    begin_write()
    direction = "more" if match.group_share > match.rest_share else "less"
    finding = Finding(
        consultation_id=consultation.id, created_by_id=user.id if user else None, note=" ".join(note.split())[:1000],
        title=f"{value} ({dimension.label}): {match.label} mentioned {direction} often than by everyone else"[:300],
        data={"dimension": dimension.label, "value": value, "feature": match.label, "source": source,
              "question_id": question_id, "group_n": match.group_n, "group_share": round(match.group_share, 4),
              "rest_n": match.rest_n, "rest_share": round(match.rest_share, 4), "cohens_h": round(match.cohens_h, 3),
              "q_value": round(match.q_value, 4), "min_group_size": consultation.min_group_size},
    )
    db.session.add(finding)
    db.session.flush()
    record_event(actor=user, action="pin_finding", target_type="finding", target_id=finding.id,
                 details={"consultation_id": consultation.id})
    return finding


def pinned_findings(*, consultation: Consultation) -> list[Finding]:
    return list(db.session.scalars(
        select(Finding).where(Finding.consultation_id == consultation.id).order_by(Finding.created_at, Finding.id)))


@dataclass(frozen=True)
class ParticipationRow:
    label: str
    n: int | None  # None when hidden
    share: float | None
    expected: float | None

    @property
    def under_heard(self) -> bool:
        return self.share is not None and self.expected is not None and self.share < 0.8 * self.expected


@dataclass(frozen=True)
class ParticipationTable:
    label: str
    rows: list[ParticipationRow]
    total: int


def participation(*, consultation: Consultation) -> tuple[int, list[ParticipationTable]]:
    """Respondents (responses) by channel and by each segment, suppressed, against expected shares."""
    units: dict = {}
    for response_id, channel in db.session.execute(
        select(Response.id, Response.channel).where(
            Response.consultation_id == consultation.id, Response.engagement_session_id.is_(None)
        )
    ):
        units[response_id] = Unit(response_id, channel)
    _attach_segments(consultation, units)
    people = sorted(units.values(), key=lambda u: u.response_id)
    total = len(people)
    tables = [_count_table("Channel", [CHANNEL_LABELS.get(u.channel, u.channel) for u in people], consultation, {})]
    for seg_field in consultation.segment_fields:
        if seg_field.multiple:
            rows = []
            for option in seg_field.options:
                dim = Dimension(f"o{option.id}", option.label, seg_field.id, option.id)
                table = _count_table(option.label, [dim.value_of(u.chosen) for u in people], consultation, {})
                row = next((r for r in table.rows if r.label == IN_GROUP), ParticipationRow(IN_GROUP, None, None, None))
                rows.append(ParticipationRow(option.label, row.n, row.share, option.expected_share))
            tables.append(ParticipationTable(seg_field.label + " (a person may be in several)", rows, total))
        else:
            dim = Dimension(f"f{seg_field.id}", seg_field.label, seg_field.id,
                            option_labels={o.id: o.label for o in seg_field.options})
            expected = {o.label: o.expected_share for o in seg_field.options}
            table = _count_table(seg_field.label, [dim.value_of(u.chosen) for u in people], consultation, expected)
            # Options nobody chose are the least heard of all: list them (hidden, like any small count).
            seen = {r.label for r in table.rows}
            table.rows[-1:-1] = [ParticipationRow(o.label, None, None, o.expected_share)
                                 for o in seg_field.options if o.label not in seen]
            tables.append(table)
    return total, tables


def _count_table(label: str, values: list, consultation: Consultation, expected: dict) -> ParticipationTable:
    table = tabulate_segment([()] * len(values), values, field=label, theme_ids=(),
                             min_cell=consultation.min_group_size)
    rows = [ParticipationRow(r.value if r.value != MISSING else "Not stated", r.n,
                             r.n / table.total_n if r.n is not None and table.total_n else None, expected.get(r.value))
            for r in table.rows]
    return ParticipationTable(label, rows, table.total_n)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden, so no bar is drawn
    text: str
    marker: float | None = None  # an expected share, drawn as a line


def theme_charts(*, table: SegmentTable, names: dict[int, str], limit: int = 8) -> list[tuple[str, list[Bar]]]:
    """Per theme, the share of each row mentioning it; hidden cells get no bar. The largest themes first."""
    order = sorted(table.theme_ids, key=lambda t: -table.theme_totals[t])[:limit]
    charts = []
    for t in order:
        bars = [Bar(_row_label(r.value), r.shares[t], "hidden" if r.shares[t] is None else f"{r.shares[t]:.0%}")
                for r in table.rows]
        charts.append((names.get(t, str(t)), bars))
    return charts


def participation_bars(table: ParticipationTable) -> list[Bar]:
    return [Bar(r.label, r.share, "hidden" if r.share is None else f"{r.share:.0%}", r.expected) for r in table.rows]


def _row_label(value: str) -> str:
    return value.replace(MISSING, "Not stated")
