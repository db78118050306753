"""Text preparation: unicode clean-up, NLTK tokens, Snowball stems with readable forms, phrases, non-answers."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from typing import Protocol

from nltk.collocations import BigramCollocationFinder
from nltk.metrics import BigramAssocMeasures
from nltk.probability import FreqDist
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

from engage.analysis import resources

__all__ = [
    "EngageTokenizer",
    "NON_ANSWERS",
    "PHRASE_JOINER",
    "TextPreparer",
    "default_tokenizer",
    "is_non_answer",
    "normalize_text",
]

PHRASE_JOINER = "_"

# Whole answers that say nothing. Compared after lower-casing and turning every run of
# punctuation into one space, so "N/A", "n.a." and "n a" all match "n a".
NON_ANSWERS = frozenset(
    {
        "", "no", "na", "n a", "nil", "none", "nope", "nothing", "nothing at all", "nothing really",
        "nothing else", "nothing more", "nothing to add", "nothing to say", "nothing further",
        "nothing more to add", "nothing else to add", "nothing to report", "nothing to comment",
        "no comment", "no comments", "no further comment", "no further comments", "no answer",
        "did not answer", "didn t answer", "didnt answer", "not answered", "no response",
        "see above", "as above", "same as above", "see previous", "see previous answer",
        "not applicable", "not relevant", "idk", "i don t know", "don t know", "dont know", "dunno",
        "no idea", "not sure", "unsure", "none really", "none at all", "none thanks", "no thanks",
        "nothing thanks", "nothing thank you", "no thank you", "pass", "x", "xx", "xxx", "tbc",
        # French: the library also prepares French text.
        "rien", "rien a signaler", "ras", "aucun", "aucune", "sans commentaire", "neant",
        "je ne sais pas", "nsp", "pas de commentaire", "non",
    }
)

_NON_ANSWER_PUNCT = re.compile(r"[\W_]+")
# Typographic apostrophes and dashes survive NFKC; map them so "don’t" splits like "don't".
_PUNCT_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
                            "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ad": None, "\u200b": None})
# Words keep inner apostrophes ("don't", "patient's"; resolved per distinct token later, which is
# cheap); clause punctuation becomes a token so phrases are never found across it. The pattern
# has no nested repetition of overlapping atoms, so it runs in linear time.
_TOKEN_PATTERN = r"\w+(?:'\w+)*|[.!?;:,()]"
_BREAK_TOKENS = frozenset(".!?;:,()")
# What Treebank-style tokenizers leave of "can't", "won't", "shan't" once "n't" is split off.
_CLITIC_STUBS = frozenset({"ca", "wo", "sha"})
# Negated verbs typed without the apostrophe; like "n't" they are read as "not".
_NEGATED = frozenset(
    "cant dont wont didnt doesnt isnt wasnt werent arent aint couldnt shouldnt wouldnt havent hasnt hadnt".split()
)


class EngageTokenizer(RegexpTokenizer):
    """NLTK ``RegexpTokenizer`` for Engage's own fixed pattern, matched with the standard ``re``.

    NLTK routes caller-supplied patterns through its ReDoS guard (the ``regex`` engine under a
    timeout), which doubles tokenising time on 100k answers. This pattern is ours and linear, so
    the guard buys nothing here.
    """

    def __init__(self) -> None:
        super().__init__(_TOKEN_PATTERN)

    def _check_regexp(self) -> None:
        if self._regexp is None:
            self._regexp = re.compile(self._pattern, self._flags)


# French words that drop their vowel before another word: "l'", "d'", "qu'", "jusqu'" ...
_FRENCH_ELISIONS = frozenset("c d j l m n s t qu jusqu lorsqu puisqu quoiqu presqu quelqu".split())

_DROPPED: tuple[None, None] = (None, None)


class Tokenizer(Protocol):
    def tokenize(self, text: str) -> list[str]: ...


class Stemmer(Protocol):
    def stem(self, token: str) -> str: ...


def normalize_text(text: str | None) -> str:
    """Return ``text`` in NFKC form with plain apostrophes and single spaces, trimmed."""
    if not text:
        return ""
    text = str(text)
    if not text.isascii():  # most answers are plain ASCII and need no unicode work
        text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)
    elif "`" in text:
        text = text.replace("`", "'")
    return " ".join(text.split())


_LONGEST_NON_ANSWER = max(len(n) for n in NON_ANSWERS)


def _non_answer_key(text: str | None) -> str:
    # Punctuation goes first (one C-level pass) so long answers never reach the per-character
    # accent folding below, which only short keys need.
    key = _NON_ANSWER_PUNCT.sub(" ", normalize_text(text).lower()).strip()
    if len(key) > _LONGEST_NON_ANSWER:
        return key
    folded = unicodedata.normalize("NFKD", key)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def is_non_answer(text: str | None, extra: Collection[str] = ()) -> bool:
    """Say whether the whole answer is a non-answer such as "N/A", "nothing" or "see above"."""
    key = _non_answer_key(text)
    if key in NON_ANSWERS:
        return True
    return bool(extra) and key in {_non_answer_key(e) for e in extra}


def default_tokenizer() -> RegexpTokenizer:
    """NLTK tokenizer that needs no downloaded data: words (with inner apostrophes) and clause punctuation."""
    return EngageTokenizer()


class TextPreparer:
    """Turn answers into stem-and-phrase features, remembering a readable word for every feature.

    ``language`` ("english"/"en" or "french"/"fr") picks the Snowball stemmer, the stopwords
    and how apostrophes are read (English clitics and "n't"; French elisions such as "l'").

    ``fit`` learns surface forms and collocations; ``transform`` returns one feature list per
    text, where a phrase appears as "stem_stem" next to its single stems.
    """

    def __init__(
        self,
        language: str = "english",
        *,
        tokenizer: Tokenizer | None = None,
        stemmer: Stemmer | None = None,
        stopwords: Collection[str] | None = None,
        min_token_length: int = 2,
        phrases: bool = True,
        min_phrase_count: int | None = None,
        max_phrases: int = 2000,
        phrase_min_llr: float = 10.83,  # chi-square critical value for p < 0.001, one degree of freedom
    ) -> None:
        self.language = language
        self.tokenizer = tokenizer
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.min_token_length = min_token_length
        self.phrases = phrases
        self.min_phrase_count = min_phrase_count
        self.max_phrases = max_phrases
        self.phrase_min_llr = phrase_min_llr

    # -- tokens -------------------------------------------------------------------------------
    def _setup(self) -> None:
        language = resources.language_name(self.language)
        self._french = language == "french"
        self._tokenizer = self.tokenizer if self.tokenizer is not None else default_tokenizer()
        self._stemmer = self.stemmer if self.stemmer is not None else SnowballStemmer(language)
        stop = self.stopwords if self.stopwords is not None else resources.stopwords(language)
        self._stop = frozenset(w.lower() for w in stop)
        # Raw token -> (surface, stem); stemming is the slow step, so each distinct token is
        # stemmed once per preparer, which keeps 100k answers fast.
        self._cache: dict[str, tuple[str | None, str | None]] = {}
        # Lower-cased word -> stem: "Staff", "staff" and "STAFF" are stemmed once (15% fewer calls).
        self._stems: dict[str, str] = {}

    def _lookup(self, token: str) -> tuple[str | None, str | None]:
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        if token.isdigit():
            return _DROPPED  # not cached: reference numbers would fill the cache with one-offs
        lower = token.lower()
        if self._french:
            if "'" in lower:
                # French elides the short word before a vowel: "l'école" -> "école", "qu'il" -> "il";
                # "aujourd'hui" is one word and stays whole.
                head, tail = lower.split("'", 1)
                if head in _FRENCH_ELISIONS:
                    lower = tail
        elif lower.endswith("n't") or lower in _NEGATED:
            # "don't", "can't", "isn't" and Treebank's split-off "n't" all mean "not", and the
            # verb before it is a stopword anyway.
            lower = "not"
        elif "'" in lower:
            # "patient's" -> "patient", "i'm" -> "i": the clitic carries no theme.
            lower = lower.split("'", 1)[0]
        if lower in _BREAK_TOKENS or not any(ch.isalpha() for ch in lower) or lower[0] == "'":
            entry: tuple[str | None, str | None] = (None, None)
        elif len(lower) < self.min_token_length or lower in self._stop or lower in _CLITIC_STUBS:
            entry = (None, None)
        else:
            # Acronyms keep their capitals ("GP", "NHS"); every other word is shown lower-case.
            surface = token if token.isupper() and len(token) > 1 else lower
            stem = self._stems.get(lower)
            if stem is None:
                stem = self._stems[lower] = self._stemmer.stem(lower)
            entry = (surface, stem)
        self._cache[token] = entry
        return entry

    def analyse(self, text: str) -> tuple[list[str | None], list[str | None]]:
        """Return the stems and surface words of ``text``; ``None`` marks a dropped token or a break."""
        if not hasattr(self, "_cache"):
            self._setup()
        cache, lookup = self._cache, self._lookup
        pairs = [cache.get(t) or lookup(t) for t in self._tokenizer.tokenize(normalize_text(text))]
        return [p[1] for p in pairs], [p[0] for p in pairs]

    def tokens(self, text: str) -> list[str]:
        """Return the kept (non-stopword) words of ``text``, lower-cased except acronyms."""
        return [s for s in self.analyse(text)[1] if s]

    # -- learning -------------------------------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> TextPreparer:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Iterable[str]) -> list[list[str]]:
        """Learn surface forms and phrases from ``texts`` and return their feature lists."""
        self._setup()
        # Feedback repeats itself ("Very good service."), so each distinct text is analysed once.
        memo: dict[str, int] = {}
        order = [memo.setdefault(t, len(memo)) for t in texts]
        analysed = [self.analyse(t) for t in memo]
        multiplicity = Counter(order)
        # Plain Counters while counting: FreqDist.__setitem__ is Python-level and 3x slower.
        surface_counts: Counter[tuple[str | None, str | None]] = Counter()
        word_counts: Counter[str | None] = Counter()
        bigram_counts: Counter[tuple[str | None, str | None]] = Counter()
        for i in order:
            stems, surfaces = analysed[i]
            surface_counts.update(zip(stems, surfaces))
            if self.phrases:
                bigram_counts.update(zip(stems, stems[1:]))
        for (stem, _), n in surface_counts.items():
            if stem is not None:
                word_counts[stem] += n
        self.surface_forms_ = _most_common_forms(surface_counts)
        self.phrases_ = self._find_phrases(word_counts, bigram_counts, len(order)) if self.phrases else frozenset()
        phrase_surfaces: Counter[tuple[str, str]] = Counter()
        unique_features = [
            self._features(stems, surfaces, phrase_surfaces, multiplicity[i])
            for i, (stems, surfaces) in enumerate(analysed)
        ]
        self.phrase_forms_ = _most_common_forms(phrase_surfaces)
        self.n_texts_ = len(order)
        # Duplicates share one list, so callers must not mutate them in place.
        return [unique_features[i] for i in order]

    def _find_phrases(self, word_counts: Counter[str | None], bigram_counts: Counter[tuple[str | None, str | None]],
                      n_texts: int) -> frozenset[tuple[str, str]]:
        bigram_fd = FreqDist({p: n for p, n in bigram_counts.items() if p[0] is not None and p[1] is not None})
        word_fd = FreqDist(word_counts)
        # A phrase must recur: at least 3 times, and more often in bigger corpora.
        min_count = self.min_phrase_count or max(3, n_texts // 2000)
        finder = BigramCollocationFinder(word_fd, bigram_fd)
        finder.apply_freq_filter(min_count)
        finder.apply_ngram_filter(lambda a, b: a == b)
        measures = BigramAssocMeasures()
        scored = finder.score_ngrams(measures.likelihood_ratio)
        kept = [
            pair for pair, llr in scored
            # Likelihood ratio says the pair is no accident; positive PMI says the words attract
            # rather than merely both being common ("staff" + "good").
            if llr >= self.phrase_min_llr and finder.score_ngram(measures.pmi, *pair) >= 1.0
        ]
        return frozenset(kept[: self.max_phrases])

    def _features(self, stems: list[str | None], surfaces: list[str | None],
                  phrase_surfaces: Counter[tuple[str, str]] | None = None, weight: int = 1) -> list[str]:
        features = [s for s in stems if s]
        if self.phrases_:
            pairs = list(zip(stems, stems[1:]))
            if self.phrases_.isdisjoint(pairs):  # the usual case, checked in C
                return features
            for i, pair in enumerate(pairs):
                if pair in self.phrases_:
                    feature = PHRASE_JOINER.join(pair)  # type: ignore[arg-type]
                    features.append(feature)
                    if phrase_surfaces is not None:
                        phrase_surfaces[(feature, f"{surfaces[i]} {surfaces[i + 1]}")] += weight
        return features

    def transform(self, texts: Iterable[str]) -> list[list[str]]:
        """Return the feature lists of ``texts`` using the forms and phrases learnt in ``fit``."""
        if not hasattr(self, "surface_forms_"):
            raise RuntimeError("TextPreparer is not fitted yet; call fit() first")
        return [self._features(*self.analyse(t)) for t in texts]

    def surface(self, feature: str) -> str:
        """Return the readable words for a stem or a "stem_stem" phrase."""
        if feature in self.phrase_forms_:
            return self.phrase_forms_[feature]
        if feature in self.surface_forms_:
            return self.surface_forms_[feature]
        if PHRASE_JOINER in feature:
            return " ".join(self.surface(part) for part in feature.split(PHRASE_JOINER))
        return feature


def _most_common_forms(counts: Counter[tuple[str, str]]) -> dict[str, str]:
    """Map each key to its most frequent form; ties go to the shorter, then alphabetically first."""
    best: dict[str, tuple[int, int, str]] = {}
    for (key, form), n in counts.items():
        if key is None or form is None:
            continue
        rank = (-n, len(form), form)
        if key not in best or rank < best[key]:
            best[key] = rank
    return {key: rank[2] for key, rank in best.items()}

