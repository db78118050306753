"""Follow a reviewer-defined codebook: score every comment against each theme, no training labels needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from engage.analysis.text import TextPreparer

__all__ = ["CodebookTheme", "apply_codebook", "DEFAULT_MIN_SCORE"]

# A single keyword hit scores 0.5 and a comment that merely shares a common word with a theme's
# description scores well under 0.2, so 0.25 keeps keyword hits and clear similarity while
# leaving vague overlaps unassigned ("other" is better than a wrong code).
DEFAULT_MIN_SCORE = 0.25


@dataclass(frozen=True)
class CodebookTheme:
    """One reviewer-defined theme: the name is the code returned, the rest describes it."""

    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


def _identity(features: list[str]) -> list[str]:
    return features


def _validate(codebook: Sequence[CodebookTheme]) -> None:
    names = [theme.name for theme in codebook]
    if any(not isinstance(name, str) or not name.strip() for name in names):
        raise ValueError("every codebook theme needs a non-empty name")
    if len(set(names)) != len(names):
        # Results are keyed by name, so two themes with one name could not be told apart.
        raise ValueError("codebook theme names must be unique")


def _keyword_stems(preparer: TextPreparer, keyword: str) -> tuple[str, ...]:
    return tuple(s for s in preparer.analyse(keyword)[0] if s)


def _contains(stems: Sequence[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(stems[i:i + n]) == needle for i in range(len(stems) - n + 1))


def _keyword_scores(preparer: TextPreparer, texts: Sequence[str],
                    codebook: Sequence[CodebookTheme]) -> np.ndarray:
    """1 - 0.5**hits per theme, where hits counts distinct keywords found as stem sequences."""
    needles = [{_keyword_stems(preparer, k) for k in theme.keywords} - {()} for theme in codebook]
    scores = np.zeros((len(texts), len(codebook)))
    if not any(needles):
        return scores
    for i, text in enumerate(texts):
        stems = [s for s in preparer.analyse(text)[0] if s]
        if not stems:
            continue
        present = set(stems)
        for j, theme_needles in enumerate(needles):
            # Single-stem keywords are a set lookup; only phrases need the sequence scan.
            hits = sum(1 for nd in theme_needles if (nd[0] in present if len(nd) == 1 else _contains(stems, nd)))
            scores[i, j] = 1.0 - 0.5 ** hits
    return scores


def _profiles(vectorizer: TfidfVectorizer, preparer: TextPreparer,
              codebook: Sequence[CodebookTheme]) -> tuple[sparse.csr_matrix, list[sparse.csr_matrix | None]]:
    """Each theme's profile (name, description, keywords and the example centroid, equally weighted)
    and the matrix of its examples, all L2-normalised."""
    rows = []
    examples = []
    for theme in codebook:
        parts = [theme.name, theme.description, " ".join(theme.keywords)]
        part_vectors = normalize(vectorizer.transform(preparer.transform(parts)))
        profile = sparse.csr_matrix(part_vectors.sum(axis=0))
        if theme.examples:
            ex = normalize(vectorizer.transform(preparer.transform(list(theme.examples))))
            examples.append(ex)
            centroid = normalize(sparse.csr_matrix(ex.sum(axis=0)))
            profile = profile + centroid
        else:
            examples.append(None)
        rows.append(normalize(profile))
    return sparse.vstack(rows).tocsr(), examples


def apply_codebook(
    texts: Sequence[str],
    codebook: Sequence[CodebookTheme],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    preparer: TextPreparer | None = None,
) -> tuple[tuple[tuple[str, float], ...], ...]:
    """Assign each text to the codebook themes it matches, as ((theme name, score), ...) strongest first.

    A score in [0, 1] combines, as a noisy-OR, three signals: TF-IDF cosine to the theme's profile,
    cosine to its closest example, and keyword hits on stems (so "waiting" matches the keyword
    "wait"). A text may match several themes; one scoring below ``min_score`` everywhere gets ().
    ``preparer`` injects the tokenizer, stemmer and stopwords (a fresh ``TextPreparer`` otherwise).
    """
    _validate(codebook)
    texts = [t if isinstance(t, str) else "" for t in texts]
    if not texts or not codebook:
        return tuple(() for _ in texts)
    preparer = preparer if preparer is not None else TextPreparer()
    # Phrases and IDF come from the comments themselves plus the codebook's own words, so a
    # word every comment uses weighs little and theme words unseen in the comments still count.
    theme_texts = [" ".join([t.name, t.description, *t.keywords, *t.examples]) for t in codebook]
    corpus_features = preparer.fit_transform([*texts, *theme_texts])
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    vectorizer.fit(corpus_features)
    if not vectorizer.vocabulary_:
        return tuple(() for _ in texts)
    docs = normalize(vectorizer.transform(corpus_features[: len(texts)]))
    profiles, examples = _profiles(vectorizer, preparer, codebook)

    profile_sim = (docs @ profiles.T).toarray()
    example_sim = np.zeros_like(profile_sim)
    for j, ex in enumerate(examples):
        if ex is not None:
            example_sim[:, j] = (docs @ ex.T).max(axis=1).toarray().ravel()
    keyword = _keyword_scores(preparer, texts, codebook)
    scores = 1.0 - (1.0 - np.clip(profile_sim, 0, 1)) * (1.0 - np.clip(example_sim, 0, 1)) * (1.0 - keyword)

    names = [theme.name for theme in codebook]
    result = []
    for row in scores:
        # Stable sort: ties keep codebook order, so output never depends on hashing.
        order = sorted((j for j in range(len(names)) if row[j] >= min_score and row[j] > 0), key=lambda j: -row[j])
        result.append(tuple((names[j], round(float(row[j]), 4)) for j in order))
    return tuple(result)
