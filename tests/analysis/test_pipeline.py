"""The whole pipeline on a small hand-made corpus with known themes, segments and flags."""

from __future__ import annotations

from engage.analysis.pipeline import AnalysisResult, analyse_comments

SAFE = ["The officer makes me feel safe at school", "I feel safe with the officer around", "Having an officer makes the school safe"]
FOOD = ["The cafeteria food is cold", "Lunch food in the cafeteria is bad", "Cafeteria food needs to improve"]


def _corpus():
    texts = (SAFE + FOOD) * 8 + ["Nothing", "n/a", "Officer Dan Smith gave me his number 416-555-0199"]
    grades = (["9"] * 3 + ["10"] * 3) * 8 + [None, "9", "10"]
    return texts, grades


def test_pipeline_finds_themes_segments_and_flags():
    texts, grades = _corpus()
    result = analyse_comments(texts, segments={"grade": grades}, n_themes=2, min_cell=5, names=["Dan Smith"])
    assert isinstance(result, AnalysisResult)
    assert len(result.documents) == len(texts)
    assert [d.row for d in result.documents] == list(range(len(texts)))
    assert result.documents[-3].non_answer and result.documents[-2].non_answer
    assert result.documents[-3].themes == ()
    assert set(result.documents[-1].pii) == {"name", "phone"}
    # Names never reach theme labels or keywords.
    assert not any("dan" in t.label or "smith" in t.keywords for t in result.themes)
    # The two themes split the corpus by topic.
    safe_theme = result.documents[0].themes[0]
    food_theme = result.documents[3].themes[0]
    assert safe_theme != food_theme
    assert all(d.themes[:1] == (safe_theme,) for d in result.documents[:24] if d.row % 6 < 3)
    table = result.segments["grade"]
    assert table.row("9").themes[safe_theme] == 24
    assert table.row("10").themes[food_theme] in (24, None)  # may cover a small cell in its column
    assert table.row("(not stated)").n is None  # 1 person
    assert any(d.value == "9" and d.feature == safe_theme for d in result.differences["grade"])
    assert result.documents[0].sentiment is not None and result.sentiment.n == len(texts) - 2


def test_pipeline_is_deterministic_and_handles_other_languages():
    texts, grades = _corpus()
    first = analyse_comments(texts, segments={"grade": grades}, n_themes=2, random_state=3)
    second = analyse_comments(texts, segments={"grade": grades}, n_themes=2, random_state=3)
    assert first == second
    french = analyse_comments(["Très bien", "Pas du tout"] * 5, n_themes=1, language="french")
    assert all(d.sentiment is None for d in french.documents)


def test_segment_length_must_match():
    import pytest

    with pytest.raises(ValueError):
        analyse_comments(["a", "b"], segments={"grade": ["9"]})


def test_sentiment_and_flags_found_in_a_child_while_themes_are_found_give_the_same_result(monkeypatch):
    import os
    import threading

    import pytest

    from engage.analysis import pipeline

    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() != 1:
        pytest.skip("the overlap needs fork, two cores and a single-threaded process")
    texts, grades = _corpus()
    texts = [f"{text} number {i % 7}" for i, text in enumerate(texts)]  # more distinct answers
    serial = analyse_comments(texts, segments={"grade": grades}, n_themes=2)
    monkeypatch.setattr(pipeline, "_PARALLEL_MIN", 1)
    forked = pipeline._Background(list(dict.fromkeys(texts)), "english")
    try:
        assert forked.pool is not None  # the child path really runs
        by_text = {text: (d.sentiment, d.safeguarding) for text, d in zip(texts, serial.documents)}
        assert forked.results() == [by_text[text] for text in forked.unique]
    finally:
        forked.close()
    assert analyse_comments(texts, segments={"grade": grades}, n_themes=2) == serial
