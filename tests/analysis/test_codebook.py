"""Codebook assignment on small hand-made comments whose right themes are obvious to a reader."""

import pytest

from engage.analysis.codebook import CodebookTheme, apply_codebook

CODEBOOK = (
    CodebookTheme(
        "Waiting",
        description="Delays and long waits for appointments or ambulances",
        keywords=("wait", "delay", "late", "waiting time"),
    ),
    CodebookTheme(
        "Staff attitude",
        description="How kind, rude or caring the staff were",
        keywords=("rude", "kind", "caring", "friendly"),
        examples=("The nurses were so kind and caring",),
    ),
    CodebookTheme("Food", keywords=("food", "meal", "lunch")),
)


def names(match):
    return [name for name, _ in match]


def test_each_comment_gets_its_obvious_theme():
    texts = [
        "I waited four hours for the ambulance",
        "The receptionist was rude to my mother",
        "The meals were cold every single day",
    ]
    result = apply_codebook(texts, CODEBOOK)
    assert [names(r)[:1] for r in result] == [["Waiting"], ["Staff attitude"], ["Food"]]


def test_a_comment_can_match_several_themes_strongest_first():
    (match,) = apply_codebook(["Friendly kind caring nurses, but lunch was late"], CODEBOOK)
    assert set(names(match)) == {"Staff attitude", "Food", "Waiting"}
    # Three attitude keywords beat one keyword each for food and waiting.
    assert names(match)[0] == "Staff attitude"
    scores = [score for _, score in match]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


def test_unrelated_empty_and_non_answers_match_nothing():
    result = apply_codebook(["The car park was full", "", "Nothing", "n/a"], CODEBOOK)
    assert result == ((), (), (), ())


def test_keywords_match_on_stems_and_phrases():
    # "delays" stems to the keyword "delay"; "waiting times" to the phrase "waiting time".
    result = apply_codebook(["There were delays", "Waiting times are too long"], CODEBOOK)
    assert all(names(r)[:1] == ["Waiting"] for r in result)
    # A phrase keyword counts as a hit only with its words in order and together.
    phrase = (CodebookTheme("Phrase", keywords=("waiting time",)),)
    together, scattered = apply_codebook(["the waiting time", "time to wait"], phrase, min_score=0.0)
    assert together[0][1] > scattered[0][1]  # same words, so only the keyword hit differs


def test_examples_alone_define_a_theme():
    codebook = (CodebookTheme("Parking", examples=("Nowhere to park the car", "The car park costs too much")),)
    result = apply_codebook(["Could not find a space in the car park", "The doctor explained everything"], codebook)
    assert names(result[0]) == ["Parking"]
    assert result[1] == ()


def test_min_score_trades_coverage_for_precision():
    texts = ["lovely friendly nurses", "the staff were kind"]
    loose = apply_codebook(texts, CODEBOOK, min_score=0.0)
    strict = apply_codebook(texts, CODEBOOK, min_score=0.99)
    assert all(r for r in loose)
    assert strict == ((), ())


def test_output_is_deterministic_and_one_per_text():
    texts = ["waited ages", "kind staff", "food ok"] * 3
    first = apply_codebook(texts, CODEBOOK)
    assert first == apply_codebook(texts, CODEBOOK)
    assert len(first) == len(texts)
    assert first[0] == first[3] == first[6]


def test_empty_inputs():
    assert apply_codebook([], CODEBOOK) == ()
    assert apply_codebook(["some text"], ()) == ((),)


@pytest.mark.parametrize(
    "codebook",
    [(CodebookTheme(""),), (CodebookTheme("A"), CodebookTheme("A"))],
)
def test_bad_codebooks_are_refused(codebook):
    with pytest.raises(ValueError):
        apply_codebook(["text"], codebook)
