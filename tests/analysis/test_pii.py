"""Personal information and safeguarding flags on hand-made comments with known answers."""

from __future__ import annotations

import pytest

from engage.analysis.pii import PIIMatch, find_pii, find_safeguarding, pii_kinds, scrub_pii


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("Email me at jane.doe@example.com please", "Email me at [email] please"),
        ("Call (416) 555-0199 or 416.555.0199 ext 22", "Call [phone] or [phone]"),
        ("UK: +44 20 7946 0958, mobile 07700 900123", "UK: [phone], mobile [phone]"),
        ("See https://school.example.org/x?y=1. Or www.foo.com", "See [url]. Or [url]"),
        ("Follow @officer_dan now", "Follow [handle] now"),
        ("I live at 123 Main Street near 45B Oak Ave.", "I live at [address] near [address]"),
        ("My student number is 12345678.", "My student number is [number]."),
        ("Officer Dan Brown was rude and Ms. O'Neil helped.", "Officer [name] was rude and Ms. [name] helped."),
        ("I talked to Jane Doe yesterday.", "I talked to [name] yesterday."),
    ],
)
def test_scrubs_typed_placeholders(text, scrubbed):
    assert scrub_pii(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "The School Resource Officer Program is good.",
        "We went to New York with the Toronto Police.",
        "In 2019-2020 we had 3 kids on my street, 10,000 dollars, ratio 3.5, e.g. this.",
        "I love the program. Nothing to add.",
    ],
)
def test_leaves_ordinary_text_alone(text):
    assert find_pii(text) == []


def test_listed_names_and_schools_match_whole_words_in_any_case():
    text = "constable JONES at riverside secondary school, not Jonesville"
    matches = find_pii(text, names=["Constable Jones"], schools=["Riverside Secondary School"])
    assert [(m.kind, m.text) for m in matches] == [("name", "constable JONES"), ("school", "riverside secondary school")]
    assert scrub_pii(text, names=["Constable Jones"], schools=["Riverside Secondary School"]) == "[name] at [school], not Jonesville"


def test_matches_are_ordered_non_overlapping_and_longest_wins():
    text = "Write to 12 Main Street or bob@mail.com, 555-1234"
    matches = find_pii(text)
    assert matches == sorted(matches, key=lambda m: m.start)
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:]))
    assert matches[0] == PIIMatch("address", 9, 23, "12 Main Street")
    assert pii_kinds(text) == ["email", "phone", "address"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("he hit me after class", "violence"),
        ("I want to kill myself", "self_harm"),
        ("sometimes I think about ending it all", "self_harm"),
        ("my coach touched me", "sexual_abuse"),
        ("I'm going to bring a gun to school", "threat"),
        ("I’m gonna shoot up the school", "threat"),
        ("I was punched by an officer", "violence"),
        ("my dad beats me", "violence"),
        ("I'm scared to go home", "abuse"),
    ],
)
def test_flags_safeguarding_disclosures(text, kind):
    assert kind in {flag.kind for flag in find_safeguarding(text)}


@pytest.mark.parametrize("text", [
    "Officers should not wear a uniform or carry a gun in school.",
    "I don't think the SRO needs to have a gun at school",
    "Police carrying weapons makes kids nervous.",
    "Security guards should not have a knife.",
    "Les policiers ne devraient pas avoir une arme à l'école.",
])
def test_armed_officers_are_a_policy_opinion_not_a_threat(text):
    assert "threat" not in {flag.kind for flag in find_safeguarding(text)}


@pytest.mark.parametrize("text", [
    "A kid in my class brought a knife to school.",
    "My brother has a gun and he is angry at the school.",
    "Officers are nice. I'm going to bring a gun tomorrow.",  # another sentence names officers
    "I will shoot everyone at this school",
])
def test_weapons_that_are_not_about_officers_are_still_flagged(text):
    assert "threat" in {flag.kind for flag in find_safeguarding(text)}


def test_safeguarding_ignores_ordinary_comments():
    for text in ["I am pushing for change", "The officer was helpful", "Police should leave schools", ""]:
        assert find_safeguarding(text) == []
