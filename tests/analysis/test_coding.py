"""Assisted coding on a small hand-made corpus where each code has its own unmistakable vocabulary."""

import numpy as np
import pytest
from joblib.externals.loky import get_reusable_executor

from engage.analysis.coding import AssistedCoder

WAIT = ["waited hours for the ambulance", "the delay was far too long", "kept waiting all afternoon",
        "ambulance arrived very late", "long wait in the corridor", "waiting time was awful",
        "hours of delay before anyone came", "late again, another long wait"]
STAFF = ["the nurses were kind and caring", "friendly helpful staff", "staff were rude to me",
         "lovely caring nurse", "the doctor was very kind", "receptionist was rude and unhelpful",
         "such friendly kind people", "caring staff who listened"]
FOOD = ["the food was cold", "meals were tasty", "lunch was awful food", "no choice of meals",
        "breakfast food was lovely", "hot meals every day", "food portions too small", "cold lunch again"]
BOTH = ["kind staff but a long wait", "waited hours, nurses were caring", "friendly staff, the delay was long",
        "rude staff and late ambulance"]
TEXTS = WAIT + STAFF + FOOD + BOTH
LABELS = ([("Waiting",)] * len(WAIT) + [("Staff",)] * len(STAFF) + [("Food",)] * len(FOOD)
          + [("Staff", "Waiting")] * len(BOTH))


@pytest.fixture(scope="module")
def coder():
    return AssistedCoder(random_state=0).fit(TEXTS, LABELS)


def test_fit_learns_classes_and_thresholds(coder):
    # Most frequent first: Waiting and Staff have 12 examples each (alphabetical tie-break), Food 8.
    assert coder.classes_ == ("Staff", "Waiting", "Food")
    assert set(coder.thresholds_) == set(coder.classes_)
    assert all(0 < t < 1 for t in coder.thresholds_.values())


def test_predicts_the_obvious_code_for_unseen_comments(coder):
    unseen = ["we waited a long time, what a delay", "the nurse was so kind and friendly", "the meals and food were cold"]
    assert [p[:1] for p in coder.predict(unseen)] == [("Waiting",), ("Staff",), ("Food",)]


def test_a_comment_about_two_things_gets_both_codes_strongest_first(coder):
    (codes,) = coder.predict(["rude staff, and a very long wait for the late ambulance"])
    assert set(codes) >= {"Staff", "Waiting"}
    probabilities = coder.predict_proba(["rude staff, and a very long wait for the late ambulance"])[0]
    assert [probabilities[c] for c in codes] == sorted((probabilities[c] for c in codes), reverse=True)


def test_probabilities_are_probabilities_and_favour_the_right_code(coder):
    rows = coder.predict_proba(["the food was cold", "friendly caring nurses"])
    for row in rows:
        assert set(row) == set(coder.classes_)
        assert all(0.0 <= p <= 1.0 for p in row.values())
    assert rows[0]["Food"] > 0.5 > rows[0]["Waiting"]
    assert rows[1]["Staff"] > 0.5 > rows[1]["Food"]


def test_least_certain_puts_ambiguous_comments_first(coder):
    texts = ["the food was cold", "the car park was full", "kind staff", "waited hours for the ambulance"]
    order = coder.least_certain(texts, k=4)
    assert sorted(order) == [0, 1, 2, 3]
    # Nothing in "car park" resembles any code, so it sits nearest a decision boundary.
    assert order[0] == 1
    assert coder.least_certain(texts, k=2) == order[:2]
    assert coder.least_certain(texts, k=0) == []


def test_empty_texts_get_no_codes_and_are_not_asked_about(coder):
    assert coder.predict(["", "   "]) == [(), ()]
    assert coder.least_certain(["", "the food was cold"], k=5) == [1]
    assert coder.predict([]) == [] and coder.predict_proba([]) == [] and coder.least_certain([]) == []


def test_same_seed_same_answers():
    a = AssistedCoder(random_state=3).fit(TEXTS, LABELS)
    b = AssistedCoder(random_state=3).fit(TEXTS, LABELS)
    probe = ["long wait but kind staff", "cold food"]
    assert a.predict_proba(probe) == b.predict_proba(probe)
    assert a.thresholds_ == b.thresholds_


def test_tiny_training_set_of_five_still_works():
    texts = ["long wait", "kind nurse", "cold food", "waited ages", "rude nurse"]
    labels = [["Waiting"], ["Staff"], ["Food"], ["Waiting"], ["Staff"]]
    coder = AssistedCoder().fit(texts, labels)
    assert set(coder.classes_) == {"Waiting", "Staff", "Food"}
    predictions = coder.predict(["a long wait", "kind nurse"])
    assert all(len(p) >= 1 for p in predictions)


def test_a_code_present_on_every_comment_is_always_suggested():
    coder = AssistedCoder().fit(["long wait", "kind nurse", "cold food"], [["A"], ["A", "B"], ["A"]])
    assert all("A" in codes for codes in coder.predict(["anything at all", "kind nurse"]))
    assert coder.predict_proba(["anything"])[0]["A"] > 0.5


def test_uncoded_rows_are_ignored():
    coder = AssistedCoder().fit(TEXTS + ["not coded yet"], LABELS + [[]])
    assert coder.n_train_ == len(TEXTS)


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], [["X"]], "texts but"),
        (["only one"], [["X"]], "at least 2"),
        (["a", "b"], [[], []], "at least 2"),
        (["", "  "], [["X"], ["Y"]], "no words"),
        (["a b", "c d"], ["X", "Y"], "one sequence of codes"),
    ],
)
def test_impossible_training_sets_raise_a_clear_value_error(texts, labels, message):
    with pytest.raises(ValueError, match=message):
        AssistedCoder().fit(texts, labels)


def test_unfitted_coder_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        AssistedCoder().predict(["text"])


def test_calibration_is_honest_on_held_out_comments():
    # Mean predicted probability of the true code on fresh comments should be high, and of a wrong
    # code low: a badly calibrated (e.g. raw SVM score) model would fail the bounds.
    coder = AssistedCoder(random_state=1).fit(TEXTS, LABELS)
    rows = coder.predict_proba(["so much waiting and delay", "tasty hot meals"])
    assert np.mean([rows[0]["Waiting"], rows[1]["Food"]]) > 0.6
    assert np.mean([rows[0]["Food"], rows[1]["Waiting"]]) < 0.3


def test_nbsvm_family_learns_on_its_own_and_can_be_switched_off():
    # A huge weight leaves the NB-SVMs all but alone: they must still find the obvious codes.
    nbsvm = AssistedCoder(random_state=0, nbsvm_weight=1e6).fit(TEXTS, LABELS)
    tfidf_only = AssistedCoder(random_state=0, nbsvm_weight=0).fit(TEXTS, LABELS)
    assert len(nbsvm.models_) == 2 and len(tfidf_only.models_) == 1
    assert tfidf_only.counter_ is None
    unseen = ["we waited a long time, what a delay", "the nurse was so kind and friendly", "the meals and food were cold"]
    for coder in (nbsvm, tfidf_only):
        assert [p[:1] for p in coder.predict(unseen)] == [("Waiting",), ("Staff",), ("Food",)]
    assert nbsvm.predict_proba(unseen[:1])[0] != tfidf_only.predict_proba(unseen[:1])[0]


def test_second_stage_keeps_the_obvious_codes_and_can_be_switched_off():
    stacked = AssistedCoder(random_state=0).fit(TEXTS, LABELS)
    averaged = AssistedCoder(random_state=0, stack_C=None).fit(TEXTS, LABELS)
    assert len(stacked.stackers_) == len(stacked.classes_) and averaged.stackers_ is None
    unseen = ["we waited a long time, what a delay", "the nurse was so kind and friendly", "the meals and food were cold"]
    for coder in (stacked, averaged):
        assert [p[:1] for p in coder.predict(unseen)] == [("Waiting",), ("Staff",), ("Food",)]
        for row in coder.predict_proba(unseen):
            assert all(0.0 <= p <= 1.0 for p in row.values())
    assert stacked.predict_proba(unseen[:1])[0] != averaged.predict_proba(unseen[:1])[0]


# The same words coded differently depending on the question they answer: "What works well?" answers
# about officers are praise, "What worries you?" answers about officers are concerns.
OFFICER = ["the officers at the gate", "police in the hallway every day", "having an officer in school",
           "the school resource officer", "officers walking the corridors", "a police presence at lunch",
           "the officer talking to students", "uniformed officers on site", "police officers at assemblies",
           "seeing officers around the building"]
WORKS, WORRIES = "question:works-well", "question:worries"


def _officer_corpus():
    texts = OFFICER + OFFICER + WAIT
    labels = [("Praise",)] * len(OFFICER) + [("Concern",)] * len(OFFICER) + [("Waiting",)] * len(WAIT)
    contexts = [(WORKS,)] * len(OFFICER) + [(WORRIES,)] * len(OFFICER) + [(WORKS,)] * len(WAIT)
    return texts, labels, contexts


def test_the_question_a_comment_answers_can_change_its_code():
    texts, labels, contexts = _officer_corpus()
    coder = AssistedCoder(random_state=0).fit(texts, labels, contexts)
    unseen = ["officers at the school", "the police officer at the gate", "we waited a long time, what a delay"]
    assert [p[:1] for p in coder.predict(unseen, [(WORKS,), (WORKS,), (WORKS,)])] == [
        ("Praise",), ("Praise",), ("Waiting",)]
    assert [p[:1] for p in coder.predict(unseen[:2], [(WORRIES,), (WORRIES,)])] == [("Concern",), ("Concern",)]
    worried = coder.predict_proba(unseen[:1], [(WORRIES,)])[0]
    assert worried["Concern"] > 0.6 > worried["Praise"]
    # Without the question the words alone cannot tell praise from concern, so the model is unsure.
    unsure = coder.predict_proba(unseen[:1])[0]
    assert abs(unsure["Praise"] - unsure["Concern"]) < abs(worried["Praise"] - worried["Concern"])
    # A question the model never saw counts as no question.
    assert coder.predict_proba(unseen[:1], [("question:never-seen",)]) == [unsure]


def test_words_alone_cannot_separate_what_only_the_question_tells_apart():
    # The control for the test above: the same corpus without contexts gives one answer to both questions.
    texts, labels, _ = _officer_corpus()
    coder = AssistedCoder(random_state=0).fit(texts, labels)
    assert coder.context_tags_ is None
    rows = coder.predict_proba(["officers at the school"] * 2, [(WORKS,), (WORRIES,)])
    assert rows[0] == rows[1]


@pytest.mark.parametrize(
    ("contexts", "message"),
    [([("q:1",)], "contexts"), (["q:1"] * len(TEXTS), "one sequence of tags")],
)
def test_malformed_contexts_raise_a_clear_value_error(contexts, message):
    with pytest.raises(ValueError, match=message):
        AssistedCoder().fit(TEXTS, LABELS, contexts)


def test_parallel_fits_give_exactly_the_sequential_result():
    # liblinear has one random generator per process: fits sharing it from threads changed the NHS
    # figures from run to run, so parallel fits run in processes and must match the sequential ones.
    texts = [f"{t} {w}" for t in TEXTS for w in ("today", "again", "as usual", "sadly", "honestly")]
    labels = [row for row in LABELS for _ in range(5)]
    sequential = AssistedCoder(random_state=0).fit(texts, labels)
    try:
        parallel = AssistedCoder(random_state=0, n_jobs=2).fit(texts, labels)
    finally:
        # joblib keeps its worker processes and their threads alive for reuse; a threaded test process would
        # make test_pipeline's fork test skip itself.
        get_reusable_executor().shutdown(wait=True)
    unseen = ["we waited a long time, what a delay", "the nurse was so kind and friendly", "cold meals again"]
    assert parallel.predict_proba(unseen) == sequential.predict_proba(unseen)
    assert parallel.thresholds_ == sequential.thresholds_


def test_suggest_gives_the_three_answers_from_one_scoring_pass(coder, monkeypatch):
    texts = ["we waited a long time, what a delay", "", "kind staff, cold food", "the meals and food were cold"]
    expected = (coder.predict_proba(texts), coder.predict(texts), coder.least_certain(texts, k=len(texts)))
    calls = []
    featurise = coder._features
    monkeypatch.setattr(coder, "_features", lambda clean: calls.append(len(clean)) or featurise(clean))
    suggestions = coder.suggest(texts)
    assert calls == [len(texts)]  # every text featurised once, not once per answer
    assert (list(suggestions.probabilities), list(suggestions.codes), list(suggestions.least_certain)) == expected
    assert 1 not in suggestions.least_certain and suggestions.codes[1] == ()
