"""The comment browser: filters, full-text search, counts and pages, all done in SQL so it stays fast at 100k."""
import dataclasses
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, column, func, literal_column, or_, select, table

from engage.analysis.segments import _suppress  # the library's complementary suppression, as reports use it
from engage.analysis.sentiment import NEGATIVE_BELOW, POSITIVE_FROM
from engage.extensions import db
from engage.models import (
    CHANNEL_LABELS,  # noqa: F401  (templates read the labels from this module)
    CHANNEL_VALUES,
    AnalysisRun,
    Answer,
    Code,
    CommentAnalysis,
    CommentFlag,
    Consultation,
    Question,
    QuestionKind,
    Response,
    RunStatus,
    SegmentAnswer,
    Suggestion,
    Theme,
)
from engage.services import search_index

PER_PAGE = 25
# The question "id" for comments that answer no particular question (emails, focus-group notes).
NO_QUESTION = 0


def N_(message: str) -> str:
    """Mark a message for the catalogue and keep it English; ``_(message)`` translates it where it is shown."""
    return message


NO_QUESTION_LABEL = N_("Not tied to a question (emails, session notes)")  # shown through _(NO_QUESTION_LABEL)
SENTIMENTS = ("positive", "neutral", "negative")
FLAG_KINDS = ("pii", "safeguarding")
FLAG_LABELS = {"pii": _l("Personal details"), "safeguarding": _l("Possible safeguarding concern")}
# Whole sentences per filter, so each translates as a sentence.
_NOT_A_CHOICE = {
    "question": _l("That question is not one of the choices. Choose one from the list."),
    "theme": _l("That theme is not one of the choices. Choose one from the list."),
    "group": _l("That group is not one of the choices. Choose one from the list."),
    "sentiment": _l("That sentiment is not one of the choices. Choose one from the list."),
    "channel": _l("That channel is not one of the choices. Choose one from the list."),
    "flag": _l("That flag is not one of the choices. Choose one from the list."),
}
_FTS = table("answers_fts", column("answer_id"), column("body"))


@dataclass(frozen=True)
class CommentFilters:
    """What the reviewer asked for. Every field is optional; `theme` is "c<id>" (coded) or "s<id>" (suggested)."""

    question_id: int | None = None
    theme: str = ""
    segment_option_id: int | None = None
    sentiment: str = ""
    channel: str = ""
    flag: str = ""
    search: str = ""
    page: int = 1

    def args(self, **changes) -> dict:
        """The query-string arguments for these filters (empty ones left out), with `changes` applied."""
        values = {"question": self.question_id, "theme": self.theme, "segment": self.segment_option_id,
                  "sentiment": self.sentiment, "channel": self.channel, "flag": self.flag, "q": self.search,
                  "page": self.page if self.page > 1 else None} | changes
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class FilterChoices:
    """The values a reviewer may filter on: only segment groups at or above the minimum group size."""

    questions: list[tuple[int, str]]
    themes: list[tuple[int, str]]
    suggested_themes: list[tuple[int, str]]
    segment_groups: list[tuple[str, list[tuple[int, str]]]]  # (field label, [(option id, label)])
    hidden_groups: int  # how many segment values are too small to offer
    sentiments: tuple[str, ...]
    channels: tuple[str, ...]
    flags: tuple[str, ...]
    run_version: int | None


@dataclass(frozen=True)
class CommentRow:
    answer_id: uuid.UUID
    question: str
    text: str  # the redacted text when there is one
    original: str | None  # only for admins, and only when the comment was redacted
    redacted: bool
    channel: str
    sentiment: str | None
    themes: list[str]
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CommentPage:
    rows: list[CommentRow]
    total: int | None  # None: hidden, because a group filter narrowed it below the minimum group size
    page: int
    pages: int
    facets: dict[str, dict[str, int | None]]
    hidden_below: int = 0  # with a group filter: counts under this are hidden (and so is one more, to cover them)
    choose_question: bool = False  # with a group: one question's count is hidden, and the whole list would show it


# With a group chosen these filters are cleared: only the question narrows a group's comments (parse_filters).
_GROUP_ALONE = {"theme": "", "sentiment": "", "channel": "", "flag": "", "search": ""}


class FilterError(ValueError):
    """A filter value that cannot be used; the message is safe to show."""


def latest_run(consultation: Consultation) -> AnalysisRun | None:
    """The newest finished analysis run, whose sentiment the browser filters on."""
    return db.session.scalar(
        select(AnalysisRun).where(AnalysisRun.consultation_id == consultation.id, AnalysisRun.status == RunStatus.DONE.value)
        .order_by(AnalysisRun.version.desc()).limit(1)
    )


def filter_choices(*, consultation: Consultation, sees_safeguarding: bool) -> FilterChoices:
    """What can be filtered on. Segment values with fewer respondents than the minimum are not offered."""
    prompts = {q.id: q.prompt for q in consultation.questions}
    questions = [(q, prompts[q]) for q in _text_question_ids(consultation)]
    questions.append((NO_QUESTION, _(NO_QUESTION_LABEL)))
    themes = db.session.execute(
        select(Theme.id, Theme.name).where(Theme.consultation_id == consultation.id, Theme.archived_at.is_(None))
        .order_by(Theme.position, Theme.id)
    ).all()
    pending = set(db.session.scalars(
        select(Suggestion.theme_id).join(Theme, Theme.id == Suggestion.theme_id)
        .where(Theme.consultation_id == consultation.id, Suggestion.status == "pending").distinct()
    ))
    sizes = group_sizes(consultation=consultation)
    groups, hidden = [], 0
    for seg_field in consultation.segment_fields:
        big = [(o.id, o.label) for o in seg_field.options if sizes.get(o.id, 0) >= consultation.min_group_size]
        hidden += len(seg_field.options) - len(big)
        if big:
            groups.append((seg_field.label, big))
    run = latest_run(consultation)
    return FilterChoices(
        questions=questions, themes=[tuple(t) for t in themes],
        suggested_themes=[tuple(t) for t in themes if t[0] in pending], segment_groups=groups, hidden_groups=hidden,
        sentiments=SENTIMENTS if run else (), channels=CHANNEL_VALUES,
        flags=FLAG_KINDS if sees_safeguarding else ("pii",), run_version=run.version if run else None,
    )


def group_sizes(*, consultation: Consultation) -> dict[int, int]:
    """Respondents per segment option (a GROUP BY in SQL)."""
    rows = db.session.execute(
        select(SegmentAnswer.option_id, func.count(func.distinct(SegmentAnswer.response_id)))
        .join(Response, Response.id == SegmentAnswer.response_id)
        .where(Response.consultation_id == consultation.id, SegmentAnswer.option_id.is_not(None))
        .group_by(SegmentAnswer.option_id)
    )
    return dict(rows.all())


def _int(value: str, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise FilterError(str(_NOT_A_CHOICE[what])) from None


def parse_filters(*, args: Mapping[str, str], choices: FilterChoices) -> tuple[CommentFilters, list[str]]:
    """Read filters from a query string; unusable values are dropped and explained, never an error page."""
    problems: list[str] = []
    values: dict = {}
    checks = (
        ("question_id", "question", "question", lambda v: _int(v, "question"),
         lambda v: v in {q for q, _ in choices.questions}),
        ("theme", "theme", "theme", str,
         lambda v: v in {f"c{t}" for t, _ in choices.themes} | {f"s{t}" for t, _ in choices.suggested_themes}),
        ("segment_option_id", "segment", "group", lambda v: _int(v, "group"),
         lambda v: v in {o for _, options in choices.segment_groups for o, _ in options}),
        ("sentiment", "sentiment", "sentiment", str, lambda v: v in choices.sentiments),
        ("channel", "channel", "channel", str, lambda v: v in choices.channels),
        ("flag", "flag", "flag", str, lambda v: v in choices.flags),
    )
    for name, key, what, convert, allowed in checks:
        raw = (args.get(key) or "").strip()
        if not raw:
            continue
        try:
            value = convert(raw)
        except FilterError as error:
            problems.append(str(error))
            continue
        if not allowed(value):
            problems.append(_refusal(what, choices))
            continue
        values[name] = value
    values["search"] = " ".join((args.get("q") or "").split())[:200]
    if values.get("segment_option_id") is not None:
        # Each of these would count a smaller part of the group: theme by theme, word by word, sentiment by
        # sentiment. Protected one view at a time, the parts could still be added up across views and against
        # the Segments tables (an audit recovered counts of 1 to 9 that way), so with a group only the
        # question narrows the list; the Segments pages give themes and sentiment by group, protected together.
        if any(values.get(name) for name in _GROUP_ALONE):
            values.update(_GROUP_ALONE)
            problems.append(_("With a group chosen, only the question can narrow the comments, so theme, sentiment, "
                              "channel, flag and word filters were left out: together they would count small parts "
                              "of the group. The Segments page shows themes and sentiment by group, with small "
                              "counts hidden."))
    try:
        values["page"] = max(1, min(int(args.get("page") or 1), 100_000))
    except ValueError:
        problems.append(_("That page number is not a number; showing the first page."))
    return CommentFilters(**values), problems


def _refusal(what: str, choices: FilterChoices) -> str:
    if what == "group":
        return _("That group is not offered: groups with fewer respondents than this consultation's minimum group "
                 "size cannot be filtered on, to protect the people in them.")
    if what == "sentiment" and not choices.sentiments:
        return _("Sentiment needs a finished analysis run. Start one from the analysis page.")
    return str(_NOT_A_CHOICE[what])


def _filtered(consultation: Consultation, filters: CommentFilters, run_id: int | None, *, skip: str = "") -> Select:
    """The ids of matching comments, as a SELECT to count, page or group. `skip` leaves one filter out (facets)."""
    # Scoped by the consultation's open-text questions rather than a join to responses: the question index
    # then covers the count, where a join costs one row lookup per comment (seconds at 100k on SQLite).
    text_questions = _text_question_ids(consultation)
    # Emails and session notes answer no question: they are found through their responses instead.
    untied = and_(Answer.question_id.is_(None), Answer.response_id.in_(
        select(Response.id).where(Response.consultation_id == consultation.id)
    ))
    query = select(Answer.id).where(or_(Answer.question_id.in_(text_questions or [-1]), untied))
    if filters.question_id is not None and skip != "question":
        query = query.where(untied if filters.question_id == NO_QUESTION else Answer.question_id == filters.question_id)
    if filters.theme:
        kind, theme_id = filters.theme[0], int(filters.theme[1:])
        source = (select(Code.answer_id).where(Code.theme_id == theme_id) if kind == "c" else
                  select(Suggestion.answer_id).where(Suggestion.theme_id == theme_id, Suggestion.status == "pending"))
        query = query.where(Answer.id.in_(source))
    if filters.segment_option_id:
        query = query.where(Answer.response_id.in_(
            select(SegmentAnswer.response_id).where(SegmentAnswer.option_id == filters.segment_option_id)
        ))
    if filters.sentiment and run_id and skip != "sentiment":
        query = query.where(Answer.id.in_(
            select(CommentAnalysis.answer_id).where(CommentAnalysis.run_id == run_id, _sentiment_is(filters.sentiment))
        ))
    if filters.channel and skip != "channel":
        query = query.where(Answer.response_id.in_(
            select(Response.id).where(Response.consultation_id == consultation.id, Response.channel == filters.channel)
        ))
    if filters.flag:
        query = query.where(Answer.id.in_(
            select(CommentFlag.answer_id).where(CommentFlag.kind == filters.flag, CommentFlag.status == "open")
        ))
    if filters.search:
        query = query.where(_matches(filters.search))
    return query


def _sentiment_is(label: str):
    score = CommentAnalysis.sentiment
    if label == "positive":
        return score >= POSITIVE_FROM
    if label == "negative":
        return score <= NEGATIVE_BELOW
    return (score > NEGATIVE_BELOW) & (score < POSITIVE_FROM)


def fts_query(text: str) -> str:
    """User words as an FTS5 query: each word a quoted string (quotes doubled), all required, no operators."""
    words = [w.replace('"', '""') for w in text.split()]
    return " ".join(f'"{w}"' for w in words if w.strip('"'))


def _matches(text: str):
    if db.engine.dialect.name == "postgresql":
        # The expression repeats the GIN index's own, literally, so PostgreSQL can use the index.
        document = func.to_tsvector(literal_column("'english'"),
                                    func.coalesce(Answer.redacted_text, Answer.text, literal_column("''")))
        return document.op("@@")(func.plainto_tsquery(literal_column("'english'"), text))
    return Answer.id.in_(select(_FTS.c.answer_id).where(literal_column("answers_fts").op("MATCH")(fts_query(text) or '""')))


def browse_comments(*, consultation: Consultation, filters: CommentFilters, is_admin: bool, sees_safeguarding: bool,
                    per_page: int = PER_PAGE) -> CommentPage:
    """One page of matching comments with the total, and counts per question.

    Reviewers see the redacted text of a redacted comment; only admins get the original as well.
    Comments are listed without any "about you" details.
    """
    if filters.segment_option_id is not None:
        filters = dataclasses.replace(filters, **_GROUP_ALONE)  # parse_filters says why; here it is enforced
    if filters.search:
        search_index.refresh()  # the search sees every comment as it is now, redactions included
    run = latest_run(consultation)
    run_id = run.id if run else None
    matching = _filtered(consultation, filters, run_id).subquery()
    facets = _facets(consultation, filters, run_id)
    # The total is read off the per-question counts, saving a second pass over the matching comments.
    per_question = facets["question"]
    total = per_question.get(str(filters.question_id), 0) if filters.question_id is not None else sum(per_question.values())
    minimum = consultation.min_group_size if filters.segment_option_id else 0
    if minimum:
        # One group's comments, counted, are counts broken down by group: below the minimum they are hidden
        # like every other such count, and so is the list (its length would say the number). The question
        # split is protected as a whole, so a hidden part cannot be worked out as the whole less the others.
        keys = [str(NO_QUESTION if q is None else q) for q in _question_ids(consultation)]
        questions = {key: per_question.get(key, 0) for key in keys}
        hidden = _protect(questions, minimum)
        facets["question"] = {key: None if key in hidden else n for key, n in questions.items()}
        if filters.question_id is not None and str(filters.question_id) in hidden:
            return CommentPage([], None, 1, 1, facets, minimum)
        if filters.question_id is None and hidden:
            # Every row names its question, so the whole list would count the hidden ones; and the group's total
            # less a question's count published on the Segments page would give the hidden one away.
            return CommentPage([], None, 1, 1, facets, minimum, choose_question=True)
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    ids = list(db.session.scalars(
        select(matching.c.id).order_by(matching.c.id).limit(per_page).offset((page - 1) * per_page)
    ))
    # Themes, sentiment, channel and flags beside each of a group's comments would let them be counted theme by
    # theme: the group's rows carry the question and the words only.
    rows = _rows(ids, run_id, is_admin, sees_safeguarding, details=not minimum)
    return CommentPage(rows, total, page, pages, facets, minimum)


def _protect(counts: dict[str, int], minimum: int) -> set:
    """The keys to hide of parts that add up to a shown total: counts from 1 to under the minimum, and what the
    analysis library's complementary suppression hides with them. A zero names nobody and is shown."""
    cells = {("part", "all", key): n for key, n in counts.items()}
    small = {key for key, n in counts.items() if 0 < n < minimum}
    hidden = _suppress(cells, [(tuple(cells), sum(counts.values()))], {("part", "all", key) for key in small},
                       {}, {}, set())
    return {cell[2] for cell in hidden}


def _text_question_ids(consultation: Consultation) -> list[int]:
    return [q.id for q in consultation.questions if q.kind == QuestionKind.TEXT.value]


def _question_ids(consultation: Consultation) -> list[int | None]:
    """The questions the filter offers: every open-text question, and "no question" (notes and emails)."""
    return [*_text_question_ids(consultation), None]


def _facets(consultation: Consultation, filters: CommentFilters, run_id: int | None) -> dict[str, dict[str, int]]:
    """Comments per question with every other filter applied (what choosing that question would give).

    Counts per channel and sentiment are left out: each needs a row lookup per comment, which costs about
    a second at 100k comments on SQLite, against tens of milliseconds for this one (a covering index).
    """
    by_question = _filtered(consultation, filters, run_id, skip="question").add_columns(Answer.question_id).subquery()
    return {"question": {str(NO_QUESTION if q is None else q): n for q, n in db.session.execute(
        select(by_question.c.question_id, func.count()).group_by(by_question.c.question_id))}}


def _rows(ids: list, run_id: int | None, is_admin: bool, sees_safeguarding: bool, *,
          details: bool = True) -> list[CommentRow]:
    """Load what one page shows: only the page's comments are read, whatever the total. Without `details`, the
    question and the words only: no channel, themes, sentiment or flags are read."""
    if not ids:
        return []
    found = {row.id: row for row in db.session.execute(
        select(Answer.id, Answer.text, Answer.redacted_text, Question.prompt, Response.channel)
        .outerjoin(Question, Question.id == Answer.question_id).join(Response, Response.id == Answer.response_id)
        .where(Answer.id.in_(ids))
    )}
    themes: dict = {}
    scores: dict = {}
    flags: dict = {}
    if details:
        for answer_id, name in db.session.execute(
            select(Code.answer_id, Theme.name).join(Theme, Theme.id == Code.theme_id).where(Code.answer_id.in_(ids))
            .order_by(Theme.position, Theme.name)
        ):
            themes.setdefault(answer_id, []).append(name)
        if run_id:
            scores = dict(db.session.execute(
                select(CommentAnalysis.answer_id, CommentAnalysis.sentiment)
                .where(CommentAnalysis.run_id == run_id, CommentAnalysis.answer_id.in_(ids))
            ).all())
        kinds = ("pii", "safeguarding") if sees_safeguarding else ("pii",)
        for answer_id, kind in db.session.execute(
            select(CommentFlag.answer_id, CommentFlag.kind)
            .where(CommentFlag.answer_id.in_(ids), CommentFlag.status == "open", CommentFlag.kind.in_(kinds))
        ):
            flags.setdefault(answer_id, []).append(kind)
    rows = []
    for answer_id in ids:
        row = found[answer_id]
        score = scores.get(answer_id)
        rows.append(CommentRow(
            answer_id=answer_id, question=row.prompt or _(NO_QUESTION_LABEL), text=row.redacted_text or row.text or "",
            original=row.text if is_admin and row.redacted_text else None, redacted=bool(row.redacted_text),
            channel=row.channel if details else "", sentiment=None if score is None else _label(score),
            themes=themes.get(answer_id, []), flags=sorted(set(flags.get(answer_id, []))),
        ))
    return rows


def _label(score: float) -> str:
    return "positive" if score >= POSITIVE_FROM else "negative" if score <= NEGATIVE_BELOW else "neutral"
