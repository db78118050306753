"""The whole analysis of one question's comments: themes, sentiment, personal information and segments."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from engage.analysis.embeddings import Embedder
from engage.analysis.pii import PII_KINDS, find_pii, find_safeguarding
from engage.analysis.resources import language_name
from engage.analysis.segments import (
    GroupDifference,
    SegmentTable,
    tabulate_intersection,
    tabulate_segment,
    where_groups_differ,
)
from engage.analysis.sentiment import (
    SentimentSummary,
    score_sentiment,
    sentiment_available,
    summarise_by_theme,
    summarise_sentiment,
)
from engage.analysis.themes import Theme, discover_themes

__all__ = ["AnalysisResult", "DocumentResult", "analyse_comments"]

Progress = Callable[[float, str], None]

# Below this many distinct comments a second process costs more than it saves.
_PARALLEL_MIN = 4_000


@dataclass(frozen=True)
class DocumentResult:
    """What the analysis says about one comment (``row`` is its index in the input).

    ``themes`` are theme ids, strongest first, with their ``theme_scores``; empty means
    "other" or a non-answer. ``sentiment`` is None when unavailable for the language.
    ``pii`` lists the kinds of personal information found and ``safeguarding`` the kinds
    of possible disclosure, for a designated person to read.
    """

    row: int
    themes: tuple[int, ...]
    theme_scores: tuple[float, ...]
    sentiment: float | None
    pii: tuple[str, ...]
    safeguarding: tuple[str, ...]
    non_answer: bool


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``analyse_comments`` found, ready for the CLI or the review workspace.

    ``segments`` holds one suppressed table per segment field (and per requested
    intersection, keyed "A × B"); ``differences`` the "where groups differ" findings for
    each. ``sentiment`` and ``theme_sentiment`` leave out non-answers. ``language`` is
    NLTK's name for the language analysed ("english" or "french").
    """

    themes: tuple[Theme, ...]
    documents: tuple[DocumentResult, ...]
    segments: Mapping[str, SegmentTable]
    differences: Mapping[str, tuple[GroupDifference, ...]]
    sentiment: SentimentSummary
    theme_sentiment: Mapping[int, SentimentSummary]
    language: str
    min_cell: int


def _scrub(
    text: str, names: tuple[str, ...], schools: tuple[str, ...]
) -> tuple[tuple[str, ...], str]:
    """Personal-information kinds found in ``text`` and the text without its personal information."""
    matches = find_pii(text, names=names, schools=schools)
    kinds = {match.kind for match in matches}
    cleaned = text
    for match in reversed(matches):
        cleaned = cleaned[: match.start] + " " + cleaned[match.end :]
    return tuple(kind for kind in PII_KINDS if kind in kinds), cleaned


def _sentiment_and_flags(texts: list[str], language: str) -> list[tuple[float | None, tuple[str, ...]]]:
    """Sentiment and safeguarding kinds of each text: the per-comment work themes do not need."""
    scores = score_sentiment(texts, language=language, workers=1)
    return [
        (score, tuple(sorted({flag.kind for flag in find_safeguarding(text)})))
        for text, score in zip(texts, scores)
    ]


class _Background:
    """Sentiment and safeguarding flags of the distinct comments, found in forked processes
    while this one scrubs personal information and finds themes.

    VADER is the slowest per-comment step and neither it nor the safeguarding patterns feed
    themes, so the two overlap: on 2 cores one child scores and flags while the parent scrubs
    and clusters. Forking is only done from a process running a single thread (the CLI, a
    benchmark, an RQ worker): a fork taken while another thread holds a lock can leave the
    child stuck. Otherwise, and for small inputs, the work is done here when asked for.
    The results are the same either way.
    """

    def __init__(self, unique: list[str], language: str) -> None:
        self.unique, self.language = unique, language
        self.pool = self.pending = None
        cores = os.cpu_count() or 1
        if cores < 2 or len(unique) < _PARALLEL_MIN or not hasattr(os, "fork") or threading.active_count() != 1:
            return
        import multiprocessing

        from engage.analysis.sentiment import _get_analyzer

        if sentiment_available(language):
            _get_analyzer()  # built once here and inherited by the children
        children = min(cores - 1, 4)
        parts = [unique[i::children] for i in range(children)]
        self.pool = multiprocessing.get_context("fork").Pool(children)
        self.pending = self.pool.starmap_async(_sentiment_and_flags, [(part, language) for part in parts])

    def results(self) -> list[tuple[float | None, tuple[str, ...]]]:
        if self.pool is None:
            return _sentiment_and_flags(self.unique, self.language)
        parts = self.pending.get()
        self.close()
        out: list[tuple[float | None, tuple[str, ...]]] = [(None, ())] * len(self.unique)
        for offset, part in enumerate(parts):
            out[offset :: len(parts)] = part
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def analyse_comments(
    texts: Sequence[str],
    *,
    segments: Mapping[str, Sequence[str | None]] = MappingProxyType({}),
    n_themes: int | None = None,
    min_cell: int = 10,
    names: Iterable[str] = (),
    schools: Iterable[str] = (),
    random_state: int = 0,
    language: str = "english",
    progress: Progress | None = None,
    intersections: Sequence[tuple[str, str]] = (),
    embeddings: str | Embedder | None = None,
) -> AnalysisResult:
    """Analyse one question's comments end to end; deterministic for a given ``random_state``.

    ``segments`` maps a field name (e.g. "grade") to one value per comment (None for
    missing). ``names`` and ``schools`` are listed names to detect as personal information.
    ``intersections`` asks for two-field tables, e.g. (("grade", "gender"),). Every table
    is suppressed with ``min_cell`` (see ``engage.analysis.segments``). ``embeddings`` opts theme
    discovery in to the sentence-embedding tier (see ``ThemeDiscoverer``).

    ``language`` is "english"/"en" or "french"/"fr": it picks the stopwords, the Snowball
    stemmer and the sentence splitter. Sentiment is VADER, which reads English only, so for
    French every comment's ``sentiment`` is None and the summaries count nothing
    (``sentiment_available(result.language)`` is False).
    """
    report = progress or (lambda fraction, message: None)
    language = language_name(language)
    texts = ["" if text is None else str(text) for text in texts]
    for field, values in segments.items():
        if len(values) != len(texts):
            raise ValueError(f"segment {field!r} has {len(values)} values for {len(texts)} comments")
    names, schools = tuple(names), tuple(schools)

    # Whitespace does not change sentiment or what counts as personal information, and
    # identical answers are common: each distinct answer is scored once.
    keys = [" ".join(text.split()) for text in texts]
    index: dict[str, int] = {}
    positions = [index.setdefault(key, len(index)) for key in keys]
    unique = list(index)
    report(0.01, f"checking {len(unique):,} distinct comments for sentiment and personal information")
    background = _Background(unique, language)
    try:
        scrubbed = [_scrub(text, names, schools) for text in unique]
        # Themes are found in the comments without their personal information, so a name or
        # a phone number can never become a theme's label or keyword.
        report(0.2, f"finding themes in {len(texts):,} comments")
        result = discover_themes(
            [scrubbed[position][1] for position in positions],
            n_themes=n_themes,
            random_state=random_state,
            language=language,
            progress=lambda fraction, message: report(0.2 + 0.65 * fraction, message),
            embeddings=embeddings,
        )
        found = background.results()
    finally:
        background.close()
    per_unique = [(score, kinds, flags) for (score, flags), (kinds, _) in zip(found, scrubbed)]

    documents = []
    for row, (position, members, non_answer) in enumerate(zip(positions, result.memberships, result.non_answer)):
        score, kinds, flags = per_unique[position]
        documents.append(
            DocumentResult(
                row=row,
                themes=tuple(theme for theme, _ in members),
                theme_scores=tuple(float(weight) for _, weight in members),
                sentiment=score,
                pii=kinds,
                safeguarding=flags,
                non_answer=bool(non_answer),
            )
        )

    report(0.87, "building segment tables")
    # Non-answers have no sentiment worth counting: "nothing" is not a neutral opinion.
    answered = [None if doc.non_answer else doc.sentiment for doc in documents]
    has_sentiment = sentiment_available(language)
    theme_ids = [theme.id for theme in result.themes]
    memberships = [doc.themes for doc in documents]
    tables: dict[str, SegmentTable] = {}
    for field, values in segments.items():
        tables[field] = tabulate_segment(
            memberships, values, field=field, theme_ids=theme_ids, min_cell=min_cell,
            scores=answered if has_sentiment else None,
        )
    for first, second in intersections:
        table = tabulate_intersection(
            memberships, segments[first], segments[second], fields=(first, second), theme_ids=theme_ids,
            min_cell=min_cell, scores=answered if has_sentiment else None,
        )
        tables[table.field] = table
    differences = {field: where_groups_differ(table) for field, table in tables.items()}
    report(1.0, "analysis complete")
    return AnalysisResult(
        themes=result.themes,
        documents=tuple(documents),
        segments=MappingProxyType(tables),
        differences=MappingProxyType(differences),
        sentiment=summarise_sentiment(answered),
        theme_sentiment=MappingProxyType(summarise_by_theme(answered, memberships)),
        language=language,
        min_cell=min_cell,
    )
