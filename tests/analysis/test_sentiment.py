"""VADER sentiment: identical to NLTK's analyzer, English only, with summaries."""

from __future__ import annotations

import pytest

from engage.analysis.resources import ensure_nltk_data
from engage.analysis.sentiment import (
    SentimentSummary,
    label_sentiment,
    score_sentiment,
    summarise_by_group,
    summarise_by_theme,
    summarise_sentiment,
)

SAMPLES = [
    "The officer was really kind and helpful!",
    "I do NOT feel safe. Not at all.",
    "It's okay, I guess... but the parking is terrible!!!",
    "kind of bad",
    "He is not the worst, at least",
    ":) great job :-(",
    "'quoted' words, commas, and-dashes - everywhere?!?",
    "Never good. never bad. The food was GOOD but the wait was LONG",
    "",
    "   ",
    "Sans doute très bien",
    "LOL that was sooo funny!!! 😂",
]


def test_scores_equal_nltks_analyzer():
    ensure_nltk_data()
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    reference = SentimentIntensityAnalyzer()
    expected = [reference.polarity_scores(text)["compound"] for text in SAMPLES]
    assert score_sentiment(SAMPLES) == expected


def test_empty_text_scores_zero_and_whitespace_does_not_matter():
    scores = score_sentiment(["", "good  job", "good job"])
    assert scores[0] == 0.0 and scores[1] == scores[2] > 0


def test_other_languages_are_unavailable():
    assert score_sentiment(["très bien"], language="french") == [None]
    assert label_sentiment(None) == "unavailable"


def test_labels_use_the_usual_cut_offs():
    assert [label_sentiment(s) for s in (0.05, 0.049, -0.049, -0.05)] == ["positive", "neutral", "neutral", "negative"]


def test_summaries():
    assert summarise_sentiment([0.5, -0.5, 0.0, None]) == SentimentSummary(3, 0.0, 1, 1, 1)
    assert summarise_sentiment([]) == SentimentSummary(0, None, 0, 0, 0)
    groups = summarise_by_group([0.5, 0.7, -0.9], ["a", "a", "b"])
    assert groups["a"].mean == pytest.approx(0.6) and groups["b"].negative == 1
    themes = summarise_by_theme([0.5, -0.5], [((0, 0.9), (1, 0.1)), (1,)])
    assert themes[0].n == 1 and themes[1].n == 2 and themes[1].mean == pytest.approx(0.0)


def test_parallel_scoring_gives_the_same_scores(monkeypatch):
    from engage.analysis import sentiment

    texts = [f"{word} {i}" for i, word in enumerate(["good", "bad", "fine", "awful"] * 30)]
    serial = score_sentiment(texts)
    monkeypatch.setattr(sentiment, "_PARALLEL_MIN", 10)
    assert score_sentiment(texts, workers=2) == serial
