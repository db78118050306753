"""VADER sentiment per comment, with summaries per theme and per segment; English only."""

from __future__ import annotations

import math
import os
import string
import threading
import types
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from engage.analysis.resources import ensure_nltk_data, language_name

__all__ = [
    "NEGATIVE_BELOW",
    "POSITIVE_FROM",
    "SentimentSummary",
    "label_sentiment",
    "score_sentiment",
    "sentiment_available",
    "summarise_by_group",
    "summarise_by_theme",
    "summarise_sentiment",
]

# The cut-offs VADER's authors recommend for calling a compound score positive or negative.
POSITIVE_FROM = 0.05
NEGATIVE_BELOW = -0.05

# Below this many distinct texts a process pool costs more than it saves.
_PARALLEL_MIN = 20_000

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SentimentSummary:
    """Sentiment of a group of comments: how many were scored, their mean compound score and the split.

    ``mean`` is None when nothing was scored (empty group, or a language VADER does not cover).
    """

    n: int
    mean: float | None
    positive: int
    neutral: int
    negative: int


def sentiment_available(language: str = "english") -> bool:
    """Whether scores exist for ``language`` (a name or a code): VADER's lexicon and rules are English only.

    French and every other language get no score rather than a wrong one: VADER reads an
    unknown word as neutral, so French comments would all look neutral.
    """
    try:
        return language_name(language) == "english"
    except ValueError:
        return False


def label_sentiment(score: float | None) -> str:
    """Return "positive", "neutral", "negative", or "unavailable" for a missing score."""
    if score is None:
        return "unavailable"
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_BELOW:
        return "negative"
    return "neutral"


_analyzer = None
_analyzer_lock = threading.Lock()


def _get_analyzer():
    """Build NLTK's VADER once per process, with a faster but identical tokenisation step."""
    global _analyzer
    with _analyzer_lock:
        if _analyzer is None:
            ensure_nltk_data("vader")  # the lexicon only: sentences are split elsewhere
            from nltk.sentiment import vader

            class _FastSentiText(vader.SentiText):
                # NLTK builds a dict of every (punctuation, word) pair for every text,
                # which is two thirds of its run time. This looks each token up
                # directly instead. It is exact because the stripped words contain no
                # punctuation, so a token splits into word + punctuation at one place only.
                def _words_and_emoticons(self):
                    text = self.text
                    words_only = {w for w in text.translate(_DROP_PUNCTUATION).split() if len(w) > 1}
                    tokens = []
                    for token in text.split():
                        if len(token) <= 1:
                            continue
                        core = token.rstrip(_PUNCTUATION)
                        if core != token:
                            if token[len(core):] in _PUNC_SET and core in words_only:
                                token = core
                        else:
                            core = token.lstrip(_PUNCTUATION)
                            if token[: len(token) - len(core)] in _PUNC_SET and core in words_only:
                                token = core
                        tokens.append(token)
                    return tokens

            # Run NLTK's own polarity_scores code, resolving its SentiText to ours, so
            # every rule after tokenisation stays exactly VADER's.
            original = vader.SentimentIntensityAnalyzer.polarity_scores
            namespace = {**original.__globals__, "SentiText": _FastSentiText}
            fast = types.FunctionType(original.__code__, namespace, original.__name__, original.__defaults__)
            analyzer = vader.SentimentIntensityAnalyzer()
            analyzer.polarity_scores = types.MethodType(fast, analyzer)
            _analyzer = analyzer
        return _analyzer


_PUNCTUATION = string.punctuation
_DROP_PUNCTUATION = str.maketrans("", "", string.punctuation)
_PUNC_SET = frozenset(
    [".", "!", "?", ",", ";", ":", "-", "'", '"', "!!", "!!!", "??", "???", "?!?", "!?!", "?!?!", "!?!?"]
)


def _score_unique(texts: Sequence[str]) -> list[float]:
    analyzer = _get_analyzer()
    return [analyzer.polarity_scores(text)["compound"] for text in texts]


def score_sentiment(
    texts: Sequence[str],
    *,
    language: str = "english",
    workers: int | None = 1,
    progress: Progress | None = None,
) -> list[float | None]:
    """Return VADER's compound score in [-1, 1] for each text (0.0 for an empty one).

    For a language other than English every score is None (see ``sentiment_available``).
    Identical texts (up to whitespace, which VADER ignores) are scored once. With
    ``workers`` > 1 (None: all cores) and many distinct texts, scoring is split across
    forked processes; the scores are the same either way.
    """
    if not sentiment_available(language):
        return [None] * len(texts)
    keys = [" ".join(text.split()) if text else "" for text in texts]
    unique = sorted(set(keys) - {""})
    scores: dict[str, float] = {"": 0.0}
    scores.update(zip(unique, _score_many(unique, workers=workers, progress=progress)))
    return [scores[key] for key in keys]


def _score_many(unique: list[str], *, workers: int | None, progress: Progress | None) -> list[float]:
    n_workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    _get_analyzer()  # build before forking so children inherit it instead of rebuilding it
    if n_workers > 1 and len(unique) >= _PARALLEL_MIN and _can_fork():
        import multiprocessing

        chunks = [unique[i::n_workers] for i in range(n_workers)]
        with multiprocessing.get_context("fork").Pool(n_workers) as pool:
            parts = pool.map(_score_unique, chunks)
        out: list[float] = [0.0] * len(unique)
        for offset, part in enumerate(parts):
            out[offset::n_workers] = part
        if progress:
            progress(1.0, f"scored sentiment of {len(unique):,} distinct comments")
        return out
    out = []
    step = 5_000
    for start in range(0, len(unique), step):
        out.extend(_score_unique(unique[start : start + step]))
        if progress:
            progress(min(1.0, (start + step) / len(unique)), "scoring sentiment")
    return out


def _can_fork() -> bool:
    # Forking a process that runs other threads can copy a held lock into the
    # child; only fork from a single-threaded process (CLI, bench, RQ worker).
    return hasattr(os, "fork") and threading.active_count() == 1


def summarise_sentiment(scores: Iterable[float | None]) -> SentimentSummary:
    """Count positive / neutral / negative scores and average them, ignoring missing ones."""
    present = [score for score in scores if score is not None]
    labels = [label_sentiment(score) for score in present]
    mean = math.fsum(present) / len(present) if present else None
    return SentimentSummary(
        n=len(present),
        mean=mean,
        positive=labels.count("positive"),
        neutral=labels.count("neutral"),
        negative=labels.count("negative"),
    )


def summarise_by_group(scores: Sequence[float | None], groups: Sequence[Hashable]) -> dict[Hashable, SentimentSummary]:
    """Summarise scores per group value (e.g. a segment column), in order of first appearance."""
    if len(scores) != len(groups):
        raise ValueError("scores and groups differ in length")
    buckets: dict[Hashable, list[float | None]] = {}
    for score, group in zip(scores, groups):
        buckets.setdefault(group, []).append(score)
    return {group: summarise_sentiment(values) for group, values in buckets.items()}


def summarise_by_theme(
    scores: Sequence[float | None], memberships: Sequence[Iterable[tuple[int, float]] | Iterable[int]]
) -> dict[int, SentimentSummary]:
    """Summarise scores per theme id; a comment in several themes counts in each (multi-label).

    ``memberships[i]`` lists comment i's themes, as ids or (id, weight) pairs.
    """
    if len(scores) != len(memberships):
        raise ValueError("scores and memberships differ in length")
    buckets: dict[int, list[float | None]] = {}
    for score, themes in zip(scores, memberships):
        for theme in themes:
            theme_id = theme[0] if isinstance(theme, tuple) else theme
            buckets.setdefault(int(theme_id), []).append(score)
    return {theme_id: summarise_sentiment(buckets[theme_id]) for theme_id in sorted(buckets)}

