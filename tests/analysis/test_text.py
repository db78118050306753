"""Text preparation: normalisation, tokens with negations, readable stems, phrases and non-answers."""

import nltk
import pytest

from engage.analysis.text import TextPreparer, default_tokenizer, is_non_answer, normalize_text


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download must never be called")

    monkeypatch.setattr(nltk, "download", refuse)


def test_normalize_text_applies_nfkc_plain_apostrophes_and_single_spaces():
    assert normalize_text("  The\u00a0ﬁrst   officer\u2019s\n\tdesk ") == "The first officer's desk"
    assert normalize_text("ＡＢＣ") == "ABC"
    assert normalize_text(None) == ""


@pytest.mark.parametrize(
    "text",
    ["N/A", "n.a.", "na", "None.", "nothing", "Nothing at all!", "No comment", "no comments", "Did not answer",
     "see above", "As above", "nil", "-", "", "   ", "Not applicable", "nothing to add", "No.", "IDK", "???",
     "Don\u2019t know", "Rien à signaler"],
)
def test_non_answers_are_recognised_whatever_the_case_and_punctuation(text):
    assert is_non_answer(text)


@pytest.mark.parametrize(
    "text",
    ["No one listened to my son.", "Nothing was explained to us.", "None of the officers knew his name",
     "see above: the officers were rude", "na na na na hey hey goodbye", "I don't know who to call"],
)
def test_answers_that_merely_start_like_a_non_answer_are_answers(text):
    assert not is_non_answer(text)


def test_extra_non_answers_can_be_added():
    assert is_non_answer("Pass on this one!", extra=["pass on this one"])
    assert not is_non_answer("Pass on this one!")


def test_default_tokenizer_is_nltk_and_keeps_inner_apostrophes():
    tokenizer = default_tokenizer()
    assert isinstance(tokenizer, nltk.tokenize.RegexpTokenizer)
    assert tokenizer.tokenize("I don't feel safe, honestly.") == ["I", "don't", "feel", "safe", ",", "honestly", "."]


def test_negations_are_kept_and_stopwords_dropped():
    words = TextPreparer().tokens("I don't feel safe and I never will; the officer cannot help, no.")
    assert words == ["not", "feel", "safe", "never", "officer", "cannot", "help", "no"]


def test_stems_map_back_to_the_most_frequent_surface_form():
    texts = ["The officers were kind.", "Officers help students.", "One officer was rude.", "Officers again."]
    preparer = TextPreparer(phrases=False)
    features = preparer.fit_transform(texts)
    assert features[0] == ["offic", "kind"]
    assert preparer.surface("offic") == "officers"
    assert preparer.surface("kind") == "kind"


def test_acronyms_keep_their_capitals():
    preparer = TextPreparer(phrases=False).fit(["The SRO was there.", "Our SRO helped.", "the sro left"])
    assert preparer.surface(preparer.fit_transform(["SRO"])[0][0]) == "SRO"


def test_collocations_become_phrases_shown_as_words():
    texts = [f"The police officer {verb} students today." for verb in
             ("talked to", "helped", "ignored", "watched", "supported", "greeted")]
    texts += ["Students like the library.", "Teachers talk to parents.", "An officer walked by.",
              "Police cars outside.", "Officer friendly visited", "Students helped teachers."]
    preparer = TextPreparer()
    features = preparer.fit_transform(texts)
    assert ("polic", "offic") in preparer.phrases_
    assert "polic_offic" in features[0]
    assert preparer.surface("polic_offic") == "police officer"
    assert "polic_offic" not in features[-4]  # "Police cars" is not the phrase


def test_phrases_are_not_found_across_punctuation():
    texts = ["We asked the police. Officer Brown answered."] * 10 + ["police help", "officer help"]
    preparer = TextPreparer(min_phrase_count=2).fit(texts)
    assert ("polic", "offic") not in preparer.phrases_


def test_phrases_can_be_switched_off():
    texts = ["The police officer helped."] * 10
    assert TextPreparer(phrases=False).fit(texts).phrases_ == frozenset()


def test_tokenizer_stemmer_and_stopwords_are_injectable():
    class Upper:
        def stem(self, token):
            return token.upper()

    preparer = TextPreparer(tokenizer=nltk.tokenize.WhitespaceTokenizer(), stemmer=Upper(), stopwords={"the"})
    assert preparer.fit_transform(["the cat sat"]) == [["CAT", "SAT"]]


def test_treebank_tokens_work_too():
    preparer = TextPreparer(tokenizer=nltk.tokenize.TreebankWordTokenizer(), phrases=False)
    assert preparer.tokens("I can't feel safe") == ["not", "feel", "safe"]


def test_french_uses_french_stems_and_keeps_negations():
    preparer = TextPreparer("french", phrases=False)
    features = preparer.fit_transform(["Les policiers ne sont pas gentils.", "Le policier est gentil."])
    assert features[0][0] == features[1][0]  # policiers / policier share a stem
    assert "pas" in features[0]


def test_duplicates_are_counted_once_per_occurrence():
    preparer = TextPreparer(phrases=False)
    preparer.fit(["Running late.", "Running late.", "Runs late.", "ran"])
    assert preparer.surface("run") == "running"


def test_transform_needs_fit():
    with pytest.raises(RuntimeError):
        TextPreparer().transform(["hello"])
