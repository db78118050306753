"""Theme discovery on small hand-made corpora whose themes are known in advance."""

import itertools
import random
import re

import nltk
import numpy as np
import pytest

from engage.analysis.resources import sent_tokenize
from engage.analysis.themes import Theme, ThemeDiscoverer, ThemeResult, discover_themes

# Three clearly separated topics a school-community review would raise, ~20 answers each.
SAFETY = [
    "The officer makes students feel safe at school.",
    "I feel safe because the officer is always at the gate.",
    "Having an officer on campus makes my child feel safe.",
    "Students feel safer with a friendly officer in the hallway.",
    "The officer keeps the school safe and calm.",
    "My daughter feels safe knowing the officer is nearby.",
    "A trusted officer keeps students safe every day.",
    "The officer helps students feel safe and protected.",
    "Kids feel safe when the officer walks the hallway.",
    "Our officer keeps the campus safe and secure.",
    "The school officer makes everyone feel protected and safe.",
    "I trust the officer to keep students safe.",
    "Safe hallways thanks to the officer.",
    "The officer is friendly and students feel safe talking to him.",
    "Parents feel safe because an officer protects the school.",
    "The officer is a safe adult for students to trust.",
    "Students said the officer made the gate feel safe.",
    "An officer at the gate keeps students safe and secure.",
    "The campus officer makes the school feel safe and protected.",
    "I feel protected and safe with the officer around.",
]
LUNCH = [
    "The cafeteria lunch is cold and the portions are small.",
    "Lunch in the cafeteria needs healthier food.",
    "The cafeteria food is cold by lunch time.",
    "Please serve hot lunch and fresh vegetables in the cafeteria.",
    "Cafeteria portions are too small for hungry students.",
    "The lunch menu needs more vegetarian food.",
    "Food in the cafeteria is often cold and bland.",
    "Lunch lines in the cafeteria are far too long.",
    "The cafeteria should offer fresh fruit at lunch.",
    "Students want warm food and bigger lunch portions.",
    "The lunch food tastes bland and cold.",
    "Cafeteria lunch prices are too high for small portions.",
    "More fresh vegetables and fruit in the cafeteria please.",
    "Hot food at lunch would help students concentrate.",
    "The cafeteria menu repeats the same bland food.",
    "Lunch portions are small and the food is cold.",
    "Healthier cafeteria food and fresh fruit at lunch.",
    "The cafeteria runs out of hot lunch food.",
    "Vegetarian students need more food choices at lunch.",
    "Lunch in the cafeteria is rushed and the food cold.",
]
BUSES = [
    "The school bus is late every morning.",
    "Buses arrive late and students miss the first lesson.",
    "The bus route takes too long in the morning.",
    "Our bus driver is late and the bus is crowded.",
    "Late buses mean students miss class.",
    "The morning bus is always crowded and late.",
    "Please add another bus route for our street.",
    "The bus stop is far and the bus comes late.",
    "Crowded buses make the morning journey stressful.",
    "The bus driver skips our stop when the bus is late.",
    "Buses should arrive on time in the morning.",
    "The bus is late again and the route is too long.",
    "My son waits at the bus stop and the bus is late.",
    "The afternoon bus is crowded and leaves late.",
    "A second bus on the route would stop the crowding.",
    "The bus schedule is unreliable and buses run late.",
    "Bus drivers need a shorter route in the morning.",
    "Late bus again this morning, students missed class.",
    "The crowded bus route needs more buses.",
    "Students miss breakfast because the morning bus is late.",
]
NON_ANSWERS = ["N/A", "nothing", "See above.", "no comment", "-", "Did not answer"]
OFF_TOPIC = ["Purple jellyfish dance quietly under Saturn.", "Zxq vrbl mmph."]

TOPICS = {"safety": SAFETY, "lunch": LUNCH, "buses": BUSES}
CORPUS = SAFETY + LUNCH + BUSES + NON_ANSWERS + OFF_TOPIC
TRUTH = [name for name, texts in TOPICS.items() for _ in texts]
WORDS = {w.lower() for t in CORPUS for w in re.findall(r"\w+", t)}


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download must never be called")

    monkeypatch.setattr(nltk, "download", refuse)


@pytest.fixture(scope="module")
def result() -> ThemeResult:
    return discover_themes(CORPUS, n_themes=3, random_state=7)


def top_theme(members):
    return members[0][0] if members else None


def test_three_known_topics_are_recovered(result):
    assert [t.id for t in result.themes] == [0, 1, 2]
    for name, texts in TOPICS.items():
        rows = [CORPUS.index(t) for t in texts]
        themes = [top_theme(result.memberships[r]) for r in rows]
        majority = max(set(themes), key=themes.count)
        assert majority is not None
        assert themes.count(majority) >= 18, (name, themes)
    majorities = {max(set(ts), key=ts.count) for ts in
                  ([top_theme(result.memberships[CORPUS.index(t)]) for t in texts] for texts in TOPICS.values())}
    assert len(majorities) == 3


def test_labels_and_keywords_are_words_people_used(result):
    for theme in result.themes:
        assert isinstance(theme, Theme)
        assert theme.label and theme.keywords
        for keyword in theme.keywords:
            assert all(word.lower() in WORDS for word in keyword.split()), keyword
        for part in theme.label.split(" / "):
            assert part in theme.keywords
    labels = " ".join(t.label for t in result.themes)
    assert re.search(r"officer|safe", labels) and re.search(r"lunch|cafeteria|food", labels)
    assert re.search(r"bus|late", labels)


def test_themes_are_ordered_by_size_and_sizes_count_memberships(result):
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    for theme in result.themes:
        assert theme.size == sum(any(t == theme.id for t, _ in m) for m in result.memberships)


def test_quotes_are_central_complete_sentences_from_the_theme(result):
    for theme in result.themes:
        assert 1 <= len(theme.quotes) <= 3
        assert len(set(theme.quotes)) == len(theme.quotes)
        for row in theme.quotes:
            assert top_theme(result.memberships[row]) == theme.id
            assert not result.non_answer[row]
            text = CORPUS[row]
            assert 1 <= len(sent_tokenize(text)) <= 3 and text[-1] in ".!?"


def test_non_answers_are_flagged_counted_and_kept_out_of_themes(result):
    assert len(result.non_answer) == len(result.memberships) == len(CORPUS)
    assert sum(result.non_answer) == len(NON_ANSWERS)
    for text in NON_ANSWERS:
        row = CORPUS.index(text)
        assert result.non_answer[row] and result.memberships[row] == ()
        assert all(row not in t.quotes for t in result.themes)


def test_off_topic_answers_go_to_other(result):
    for text in OFF_TOPIC:
        row = CORPUS.index(text)
        assert not result.non_answer[row]
        assert result.memberships[row] == ()


def test_scores_are_ordered_and_bounded(result):
    for members in result.memberships:
        scores = [s for _, s in members]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1.0 for s in scores)


def test_same_seed_gives_the_same_result_and_order():
    again = discover_themes(CORPUS, n_themes=3, random_state=7)
    assert again == discover_themes(CORPUS, n_themes=3, random_state=7)


def test_requested_number_of_themes_is_honoured():
    result = discover_themes(CORPUS, n_themes=5, random_state=0)
    assert len(result.themes) == 5
    assert sorted(t.id for t in result.themes) == list(range(5))


def test_automatic_number_of_themes_finds_the_three_topics():
    model = ThemeDiscoverer(random_state=0).fit(CORPUS)
    assert model.n_themes_ == 3
    assert len(model.result_.themes) == 3


def test_an_answer_about_two_topics_belongs_to_both():
    mixed = "The officer keeps us safe but the cafeteria lunch food is cold."
    result = discover_themes(CORPUS + [mixed], n_themes=3, random_state=7)
    members = result.memberships[-1]
    assert len(members) >= 2
    names = set()
    for theme_id, _ in members[:2]:
        rows = [r for r, m in enumerate(result.memberships[:60]) if top_theme(m) == theme_id]
        names.add(max(TOPICS, key=lambda n: sum(TRUTH[r] == n for r in rows)))
    assert names == {"safety", "lunch"}


def test_single_topic_answers_mostly_have_one_theme(result):
    single = [len(result.memberships[r]) == 1 for r in range(60)]
    assert sum(single) >= 45


def test_transform_assigns_new_answers_to_fitted_themes():
    model = ThemeDiscoverer(3, random_state=7).fit(CORPUS)
    bus_theme = top_theme(model.result_.memberships[CORPUS.index(BUSES[0])])
    new = model.transform(["The bus was late and crowded this morning.", "n/a", "Quantum marmalade."])
    assert top_theme(new[0]) == bus_theme
    assert new[1] == () and new[2] == ()


def test_progress_reports_rising_fractions_to_one():
    seen = []
    discover_themes(CORPUS, n_themes=3, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert len(seen) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)


@pytest.mark.parametrize("texts", [[], ["N/A", "nothing", ""], ["Hello."]])
def test_degenerate_inputs_give_no_themes(texts):
    result = discover_themes(texts, n_themes=3)
    assert result.themes == ()
    assert len(result.memberships) == len(texts) and all(m == () for m in result.memberships)


def test_duplicates_count_separately_and_quote_once():
    texts = list(itertools.chain(CORPUS, ["The bus is late every morning."] * 5))
    result = discover_themes(texts, n_themes=3, random_state=7)
    bus = top_theme(result.memberships[-1])
    assert all(top_theme(m) == bus for m in result.memberships[-5:])
    for theme in result.themes:
        assert len({texts[r] for r in theme.quotes}) == len(theme.quotes)


def test_fewer_distinct_answers_than_requested_themes_still_works():
    texts = ["Hello world.", "Hello world.", "hello world", "world hello"]
    result = discover_themes(texts, n_themes=3)
    assert len(result.themes) == 1
    assert result.themes[0].keywords == ("hello", "world") and result.themes[0].size == 4
    assert result.themes[0].quotes  # short answers are still quotable when nothing better exists


def test_tiny_corpus_with_automatic_k():
    texts = ["The bus is late.", "Late bus again.", "Cold lunch food.", "The lunch food is cold."]
    result = discover_themes(texts)
    assert sorted(t.label for t in result.themes) == ["bus / late", "cold / food"]


def test_word_vectors_count_for_as_much_as_their_evidence():
    model = ThemeDiscoverer(3, random_state=7).fit(CORPUS)
    norms = np.linalg.norm(model.word_vectors_, axis=1)
    vocabulary = model.vectorizer_.vocabulary_
    (bus,), (vegetables,) = model.preparer_.transform(["bus", "vegetables"])
    # "bus" is in 20 answers, "vegetables" in 3: its vector is shorter, so it sways an answer less.
    assert 0 < norms[vocabulary[vegetables]] < norms[vocabulary[bus]] <= 1
    unshrunk = ThemeDiscoverer(3, random_state=7, word_prior=0).fit(CORPUS)
    kept = np.linalg.norm(unshrunk.word_vectors_, axis=1)
    assert np.allclose(kept[kept > 0], 1, atol=1e-5)


@pytest.mark.parametrize("n_themes", [None, 5])
def test_the_same_answers_in_another_order_give_the_same_themes(n_themes):
    # Comments come out of the database in the order of their random ids, so a re-seeded or re-imported
    # consultation hands the same answers over in a new order. Five themes over three topics (and the
    # automatic choice of how many) are where k-means' starts decide, so row order must not feed them.
    baseline = discover_themes(CORPUS, n_themes=n_themes, random_state=0)
    for seed in range(4):
        order = list(range(len(CORPUS)))
        random.Random(seed).shuffle(order)
        shuffled = discover_themes([CORPUS[i] for i in order], n_themes=n_themes, random_state=0)
        assert [(t.label, t.keywords, t.size) for t in shuffled.themes] == \
            [(t.label, t.keywords, t.size) for t in baseline.themes]
        assert [[CORPUS[order[q]] for q in t.quotes] for t in shuffled.themes] == \
            [[CORPUS[q] for q in t.quotes] for t in baseline.themes]
        assert [shuffled.memberships[j] for j in sorted(range(len(order)), key=order.__getitem__)] == \
            list(baseline.memberships)


def test_a_bare_negation_stays_a_keyword_but_not_a_label_word():
    from engage.analysis.themes import _labels

    assert _labels([("not", "time", "waiting"), ("nothing", "perfect"), ("staff", "not", "kind"), ("not",)]) == [
        "time / waiting", "nothing / perfect", "staff / kind", "not"]
