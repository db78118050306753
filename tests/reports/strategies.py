"""Hypothesis generators for the report's property tests: random respondents, groups, themes, answers and minimums.

``cases()`` draws ``(people, themes, public, identity, only_first)`` with at least ``min_people`` people;
``splits(public, identity)`` are the ways to split them (channel, a single-choice role, and two identity groups of
one multi-choice field) and ``QUESTIONS`` the questions they answer. Role ``None`` and group ``(None,)`` are "prefer
not to say"; "skipped" leaves the field out.
"""
from hypothesis import strategies as st

from engage.models import CHANNEL_LABELS, CHANNEL_VALUES
from engage.services.report_data import Comment, Person, QuestionSpec, Split, ThemeSpec
from engage.services.segments import CHANNEL_FIELD, Dimension

ROLE, GROUPS, STUDENT, TEACHER, PARENT, RACIALIZED, QUEER = 1, 2, 10, 11, 12, 20, 21
ROLE_LABELS = {STUDENT: "Student", TEACHER: "Teacher", PARENT: "Parent"}
QUESTIONS = [QuestionSpec(1, 0, "What is it like?", "text"), QuestionSpec(2, 1, "Anything else?", "text"),
             QuestionSpec(3, 2, "Who would you tell?", "single", options=("A teacher", "A friend", "Nobody")),
             QuestionSpec(4, 3, "What should they do?", "multiple", options=("Talk", "Teach", "Leave"))]


def splits(public: int, identity: int) -> list[Split]:
    channel = Dimension("channel", "Channel", CHANNEL_FIELD,
                        option_labels={i: CHANNEL_LABELS[c] for i, c in enumerate(CHANNEL_VALUES)})
    return [
        Split(channel, "Channel", False, public, "channel", "Channel"),
        Split(Dimension("f1", "Role", ROLE, option_labels=ROLE_LABELS), "Role", False, public, "f1", "Role"),
        Split(Dimension("o20", "Racialized", GROUPS, RACIALIZED), "Groups: Racialized", True, identity, "f2",
              "Groups", True),
        Split(Dimension("o21", "2SLGBTQ+", GROUPS, QUEER), "Groups: 2SLGBTQ+", True, identity, "f2", "Groups", True),
    ]


_comment = st.tuples(st.frozensets(st.integers(0, 3), max_size=3), st.integers(0, 3),
                     st.sampled_from([None, -0.5, 0.0, 0.5]))
_person = st.fixed_dictionaries({
    "channel": st.sampled_from(["online", "online", "paper", "email"]),
    "role": st.sampled_from([STUDENT, STUDENT, TEACHER, PARENT, None, "skipped"]),
    "groups": st.sampled_from([(), (RACIALIZED,), (RACIALIZED,), (QUEER,), (RACIALIZED, QUEER), (None,)]),
    "comments": st.tuples(*(st.none() | _comment for _ in range(3))),
    "single": st.sampled_from([None, "A teacher", "A teacher", "A friend", "Nobody"]),
    "multiple": st.frozensets(st.sampled_from(["Talk", "Teach", "Leave"])),
})


@st.composite
def cases(draw, min_people: int = 0):
    n_themes = draw(st.integers(1, 4))
    single_label = draw(st.booleans())
    only_first = draw(st.booleans())  # one open question and nothing else: its table is the overall one
    scored = draw(st.booleans())  # sentiment makes the library's suppression do more (and take longer)
    public = draw(st.integers(1, 8))
    identity = draw(st.integers(public, public + 4))
    people = []
    for raw in draw(st.lists(_person, min_size=min_people, max_size=40)):
        chosen = {}
        if raw["role"] != "skipped":
            chosen[ROLE] = [raw["role"]]
        if raw["groups"]:
            chosen[GROUPS] = list(raw["groups"])
        comments = []
        for question_id, drawn in zip((1, 2, None), raw["comments"]):
            if drawn is None or (only_first and question_id != 1):
                continue
            many, one, score = drawn
            themes = frozenset({one % n_themes}) if single_label else frozenset(t for t in many if t < n_themes)
            comments.append(Comment(question_id, themes, score if scored else None))
        answers = {3: (raw["single"],)} if raw["single"] else {}
        if raw["multiple"]:
            answers[4] = tuple(sorted(raw["multiple"]))
        people.append(Person(raw["channel"], chosen, tuple(comments), answers))
    themes = [ThemeSpec(i, f"Theme {i}") for i in range(n_themes)]
    return people, themes, public, identity, only_first
