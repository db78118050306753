"""Assisted coding: learn reviewers' multi-label codes, suggest codes with calibrated confidence, pick what to code next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from engage.analysis.embeddings import Embedder, embed, resolve_embedder
from engage.analysis.text import TextPreparer, normalize_text

__all__ = ["AssistedCoder", "Suggestions"]


@dataclass(frozen=True)
class Suggestions:
    """What a fitted AssistedCoder says about some texts, one entry per text."""

    probabilities: tuple[dict[str, float], ...]  # calibrated probability of every code
    codes: tuple[tuple[str, ...], ...]  # suggested codes, strongest first
    least_certain: tuple[int, ...]  # indexes of texts with words, least certain first


def _identity(features: list[str]) -> list[str]:
    return features


def _check_contexts(contexts: Sequence[Sequence[str]] | None, n: int) -> list[tuple[str, ...]] | None:
    if contexts is None:
        return None
    if len(contexts) != n:
        raise ValueError(f"got {n} texts but {len(contexts)} contexts")
    if any(isinstance(row, str) for row in contexts):
        raise ValueError("contexts must be one sequence of tags per text, e.g. [['question:2'], ['question:3']]")
    return [tuple(str(tag) for tag in row) for row in contexts]


def _check_labels(labels: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    checked = []
    for row in labels:
        # A bare string would iterate as characters and silently invent one-letter codes.
        if isinstance(row, str):
            raise ValueError("labels must be one sequence of codes per text, e.g. [['Waiting'], ['Food', 'Staff']]")
        codes = tuple(dict.fromkeys(str(code) for code in row if str(code).strip()))
        checked.append(codes)
    return checked


class _NBSVM:
    """Wang and Manning's NB-SVM for one code: binary word n-grams scaled by their naive-Bayes
    log-count ratio (how much more often each n-gram turns up with the code than without), rows
    L2-normalised (without that liblinear can fail to converge on a few thousand comments), then a
    linear SVM. A different view and model family from the TF-IDF SVM, so their errors differ."""

    def __init__(self, svm: LinearSVC, alpha: float = 1.0) -> None:
        self.svm = svm
        self.alpha = alpha

    def fit(self, B: sparse.csr_matrix, y: np.ndarray) -> _NBSVM:
        with_code = B.T @ y.astype(np.float64)  # a product, not row slicing: much cheaper per code
        p = self.alpha + with_code
        q = self.alpha + np.asarray(B.sum(axis=0)).ravel() - with_code
        self.ratio_ = np.log((p / p.sum()) / (q / q.sum()))
        self.svm.fit(self._scaled(B), y)
        return self

    def _scaled(self, B: sparse.csr_matrix) -> sparse.csr_matrix:
        return normalize(B.multiply(self.ratio_).tocsr())

    def decision_function(self, B: sparse.csr_matrix) -> np.ndarray:
        return self.svm.decision_function(self._scaled(B))


def _fit_scorer(family: str, X: sparse.csr_matrix, y: np.ndarray, *, C: float, max_iter: int,
                random_state: int) -> LinearSVC | _NBSVM | float:
    """One code's scorer: a linear SVM ("svm") or an NB-SVM ("nbsvm"); a constant when only one class is seen."""
    if y.min() == y.max():
        return 1.0 if y[0] else -1.0  # one class only: a constant score says so
    # Balanced class weights keep rare codes from being drowned out; the calibration step maps the
    # resulting scores back to honest probabilities.
    svm = LinearSVC(C=C, class_weight="balanced", max_iter=max_iter, random_state=random_state)
    return (svm if family == "svm" else _NBSVM(svm)).fit(X, y)


class AssistedCoder:
    """Two calibrated one-vs-rest families averaged: linear SVMs on TF-IDF word, stem-and-phrase and
    character n-grams, and NB-SVMs on binary word n-grams (weight ``nbsvm_weight`` beside 1). Each is
    Platt-calibrated on out-of-fold scores. A second stage (``stack_C``; None switches it off) then
    fits, per code, a logistic regression on the averaged probability and every code's probability, so
    that codes which go together lift each other. Per-label thresholds are tuned by cross-validation on
    the training data only.

    Parameters follow scikit-learn: nothing is learnt in ``__init__``, and ``fit`` sets ``classes_``
    (codes, most frequent first), ``thresholds_`` ({code: probability}) and the fitted models.

    ``embeddings`` opts in to the sentence-embedding tier: ``"auto"`` uses the packaged MiniLM model
    when requirements-embeddings.txt is installed (and quietly does without it otherwise), or pass any
    callable mapping texts to unit-length rows. The embeddings, scaled by ``embedding_weight``, join
    the n-grams as one more feature block; ``embedder_`` is the embedder used, or None.

    ``contexts`` (optional, in ``fit`` and every prediction method) gives each text a few tags for what
    it answers, such as ``"question:12"`` or ``"channel:email"``. Each tag becomes a feature of weight
    ``context_weight`` beside the words, so the same words can mean different codes under "What works
    well?" and "What worries you?". Tags never seen in training are ignored.
    """

    def __init__(
        self,
        *,
        random_state: int = 0,
        C: float = 0.1,
        n_folds: int = 5,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int | None = None,
        threshold_prior: float = 5.0,
        always_top: bool = True,
        max_iter: int = 10_000,
        n_jobs: int | None = None,
        preparer: TextPreparer | None = None,
        embeddings: str | Embedder | None = None,
        embedding_weight: float = 1.0,
        nbsvm_weight: float = 0.5,
        nbsvm_C: float = 1.0,
        stack_C: float | None = 1.0,
        context_weight: float = 1.0,
    ) -> None:
        self.random_state = random_state
        self.C = C
        self.n_folds = n_folds
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.threshold_prior = threshold_prior
        self.always_top = always_top
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.preparer = preparer
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.nbsvm_weight = nbsvm_weight
        self.nbsvm_C = nbsvm_C
        self.stack_C = stack_C
        self.context_weight = context_weight

    # -- features ---------------------------------------------------------------------------------
    def _fit_features(self, texts: list[str]) -> sparse.csr_matrix:
        # Rare n-grams are noise on thousands of comments but all there is on a handful.
        min_df = self.min_df if self.min_df is not None else (2 if len(texts) >= 50 else 1)
        self.preparer_ = self.preparer if self.preparer is not None else TextPreparer()
        stems = self.preparer_.fit_transform(texts)
        self.vectorizers_ = (
            # Stems and collocations ("waiting_time") generalise across word forms on little data;
            # raw word n-grams keep the stopwords and negations that stemming drops ("not very");
            # character n-grams survive the misspellings that free text is full of.
            ("stems", TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df)),
            ("words", TfidfVectorizer(ngram_range=self.word_ngrams, sublinear_tf=True, min_df=min_df)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True,
                                      min_df=min_df)),
        )
        blocks = []
        for name, vectorizer in self.vectorizers_:
            try:
                blocks.append(vectorizer.fit_transform(stems if name == "stems" else texts))
            except ValueError:
                # Empty vocabulary for this view (e.g. only stopwords): the other views still work.
                blocks.append(None)
        kept = [(v, b) for v, b in zip(self.vectorizers_, blocks) if b is not None]
        if not kept or sum(b.shape[1] for _, b in kept) == 0:
            raise ValueError("the coded texts contain no words to learn from")
        self.vectorizers_ = tuple(v for v, _ in kept)
        return sparse.hstack([b for _, b in kept]).tocsr()

    def _fit_counts(self, texts: list[str]) -> sparse.csr_matrix | None:
        """Binary word n-grams for the NB-SVMs, or None when they are switched off or find no words."""
        self.counter_ = None
        if self.nbsvm_weight <= 0:
            return None
        min_df = self.min_df if self.min_df is not None else (2 if len(texts) >= 50 else 1)
        counter = CountVectorizer(ngram_range=self.word_ngrams, binary=True, min_df=min_df, dtype=np.float64)
        try:
            B = counter.fit_transform(texts)
        except ValueError:
            return None  # only stopwords or single letters: the TF-IDF SVMs carry on alone
        self.counter_ = counter
        return B

    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        stems = self.preparer_.transform(texts)
        return sparse.hstack(
            [v.transform(stems if name == "stems" else texts) for name, v in self.vectorizers_]
        ).tocsr()

    def _fit_context(self, tags: list[tuple[str, ...]] | None) -> sparse.csr_matrix | None:
        vocabulary = sorted({tag for row in tags or () for tag in row})
        self.context_tags_ = {tag: k for k, tag in enumerate(vocabulary)} if vocabulary else None
        return self._context(tags, len(tags or ()))

    def _context(self, tags: list[tuple[str, ...]] | None, n: int) -> sparse.csr_matrix | None:
        """One-hot rows of the tags seen in training, scaled by ``context_weight``; None without any."""
        if self.context_tags_ is None:
            return None
        cells = [(i, self.context_tags_[tag]) for i, row in enumerate(tags or ()) for tag in set(row)
                 if tag in self.context_tags_]
        rows, cols = zip(*cells) if cells else ((), ())
        return sparse.csr_matrix((np.full(len(cells), self.context_weight), (rows, cols)),
                                 shape=(n, len(self.context_tags_)))

    @staticmethod
    def _with_context(X: sparse.csr_matrix, C: sparse.csr_matrix | None) -> sparse.csr_matrix:
        return X if C is None else sparse.hstack([X, C]).tocsr()

    def _with_embeddings(self, X: sparse.csr_matrix, texts: list[str]) -> sparse.csr_matrix:
        if self.embedder_ is None:
            return X
        E = embed(self.embedder_, texts).astype(np.float64)
        # Measured on the NHS training folds: weight 1 beside the three unit-length n-gram blocks beats 2,
        # and one joint model beats averaging with a separate embedding model's probabilities.
        return sparse.hstack([X, sparse.csr_matrix(self.embedding_weight * E)]).tocsr()

    # -- scores -----------------------------------------------------------------------------------
    @staticmethod
    def _score(model: LinearSVC | _NBSVM | float, X: sparse.csr_matrix) -> np.ndarray:
        if isinstance(model, float):
            return np.full(X.shape[0], model)
        return model.decision_function(X)

    def _out_of_fold_scores(self, views: list[tuple[str, sparse.csr_matrix]], Y: np.ndarray) -> list[np.ndarray]:
        n = Y.shape[0]
        folds = KFold(n_splits=min(self.n_folds, n), shuffle=True, random_state=self.random_state)
        scores = [np.zeros(Y.shape) for _ in views]
        for train, held in folds.split(np.zeros((n, 1))):
            for (family, X), S in zip(views, scores):
                X_train, X_held = X[train], X[held]  # sliced once per fold: slicing costs more than a fit
                for j, model in enumerate(self._fit_scorers(family, X_train, Y[train])):
                    S[held, j] = self._score(model, X_held)
        return scores

    def _fit_scorers(self, family: str, X: sparse.csr_matrix, Y: np.ndarray) -> list[LinearSVC | _NBSVM | float]:
        # Processes, not threads: liblinear draws from one random generator per process, so fits in threads
        # interleave their draws and the result changed from run to run (seen with n_jobs=2 on the NHS data).
        settings = {"C": self.C if family == "svm" else self.nbsvm_C, "max_iter": self.max_iter,
                    "random_state": self.random_state}
        return Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_scorer)(family, X, Y[:, j], **settings) for j in range(Y.shape[1])
        )

    @staticmethod
    def _fit_logistic(F: np.ndarray, y: np.ndarray, C: float = 1.0) -> LogisticRegression | float:
        """A logistic regression on the columns of ``F``: one column of scores is Platt scaling, several are the
        second stage. A code that is always or never there gets Laplace's rule of succession instead:
        certain-looking, but never a flat 0 or 1."""
        if y.min() == y.max():
            return float((y.sum() + 1) / (len(y) + 2))
        return LogisticRegression(C=C, max_iter=1000).fit(F, y)

    @staticmethod
    def _logistic_proba(model: LogisticRegression | float, F: np.ndarray) -> np.ndarray:
        if isinstance(model, float):
            return np.full(len(F), model)
        return model.predict_proba(F)[:, 1]

    # -- thresholds -------------------------------------------------------------------------------
    def _decide(self, P: np.ndarray, thresholds: np.ndarray, has_words: np.ndarray) -> np.ndarray:
        chosen = P >= thresholds
        if self.always_top:
            # Every coded comment has at least one code, so the most likely one is always worth
            # suggesting; a comment with no words at all gets none.
            rows = np.flatnonzero(has_words)
            chosen[rows, P[rows].argmax(axis=1)] = True
        return chosen

    def _tune_thresholds(self, P: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Per-code thresholds maximising out-of-fold F1, shrunk towards one shared threshold that
        maximises micro-F1, so a code with three examples does not get a threshold fitted to noise."""
        grid = np.round(np.arange(0.05, 0.951, 0.025), 3)
        has_words = np.ones(len(P), dtype=bool)
        micro = []
        for t in grid:
            chosen = self._decide(P, np.full(P.shape[1], t), has_words)
            tp = (chosen & (Y == 1)).sum()
            micro.append(2 * tp / max(chosen.sum() + Y.sum(), 1))
        shared = float(grid[int(np.argmax(micro))])
        thresholds = np.empty(P.shape[1])
        for j in range(P.shape[1]):
            pred = P[:, j, None] >= grid[None, :]
            tp = (pred & (Y[:, j, None] == 1)).sum(axis=0)
            f1 = 2 * tp / np.maximum(pred.sum(axis=0) + Y[:, j].sum(), 1)
            own = float(grid[int(np.argmax(f1))])
            n_pos = Y[:, j].sum()
            thresholds[j] = (n_pos * own + self.threshold_prior * shared) / (n_pos + self.threshold_prior)
        return thresholds

    # -- public API -------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[Sequence[str]],
            contexts: Sequence[Sequence[str]] | None = None) -> AssistedCoder:
        """Learn from coded comments: ``labels[i]`` holds the codes reviewers gave ``texts[i]``, and
        ``contexts[i]`` (optional) its tags, such as the question it answers."""
        if len(texts) != len(labels):
            raise ValueError(f"got {len(texts)} texts but {len(labels)} label lists")
        codes = _check_labels(labels)
        tags = _check_contexts(contexts, len(texts))
        # Comments nobody coded yet teach nothing about which codes apply.
        keep = [i for i, row in enumerate(codes) if row]
        if len(keep) < 2:
            raise ValueError("assisted coding needs at least 2 coded comments")
        texts = [normalize_text(texts[i]) for i in keep]
        codes = [codes[i] for i in keep]
        tags = None if tags is None else [tags[i] for i in keep]
        counts: dict[str, int] = {}
        for row in codes:
            for code in row:
                counts[code] = counts.get(code, 0) + 1
        self.classes_ = tuple(sorted(counts, key=lambda c: (-counts[c], c)))
        index = {c: j for j, c in enumerate(self.classes_)}
        Y = np.zeros((len(texts), len(self.classes_)), dtype=int)
        for i, row in enumerate(codes):
            Y[i, [index[c] for c in row]] = 1

        self.embedder_ = resolve_embedder(self.embeddings)
        # Tags join both families' features. 5-fold CV inside the NHS training split, each comment's question as
        # its tag: 0.687 micro / 0.484 macro F1 without, 0.692 / 0.485 at weight 1 (0.5: 0.689 / 0.480; 2: 0.691 /
        # 0.485; as second-stage features instead: 0.689 / 0.484).
        C = self._fit_context(tags)
        views = [("svm", self._with_context(self._with_embeddings(self._fit_features(texts), texts), C))]
        B = self._fit_counts(texts)
        if B is not None:
            views.append(("nbsvm", self._with_context(B, C)))
        # Chosen by 5-fold CV inside the NHS training split (bench/_coding_cv.py): TF-IDF SVMs alone
        # 0.679 micro / 0.474 macro F1; averaged 2:1 with NB-SVMs (nbsvm_C 1) 0.688 / 0.480 (0.3: 0.688 /
        # 0.479; 1:1 weights did worse on macro); with the embedding tier 0.698 / 0.502 alone, 0.707 / 0.506.
        weights = np.array([1.0] + [self.nbsvm_weight] * (len(views) - 1))
        self.weights_ = weights / weights.sum()
        oof = self._out_of_fold_scores(views, Y)
        self.calibrators_ = tuple(
            tuple(self._fit_logistic(S[:, j, None], Y[:, j]) for j in range(Y.shape[1])) for S in oof
        )
        P = self._combine(oof)
        # Second stage, chosen by the same CV (C 1: 0.688 / 0.509 against 0.688 / 0.480 without): per code, a
        # logistic regression on the averaged probability's logit and every code's probability, which
        # recalibrates the average (alone: 0.686 / 0.504) and lets codes that go together lift each other.
        # Thresholds are tuned on its own out-of-fold output.
        self.stackers_ = None
        if self.stack_C is not None:
            P = self._fit_stackers(P, Y)
        thresholds = self._tune_thresholds(P, Y)
        self.thresholds_ = {c: float(t) for c, t in zip(self.classes_, thresholds)}
        self.models_ = tuple(tuple(self._fit_scorers(family, X, Y)) for family, X in views)
        self.n_train_ = len(texts)
        return self

    def _combine(self, scores: list[np.ndarray]) -> np.ndarray:
        """Weighted average of each family's calibrated probabilities."""
        P = np.zeros(scores[0].shape)
        for weight, calibrators, S in zip(self.weights_, self.calibrators_, scores):
            P += weight * np.column_stack([self._logistic_proba(c, S[:, j, None]) for j, c in enumerate(calibrators)])
        return P

    @staticmethod
    def _stack_features(P: np.ndarray, j: int) -> np.ndarray:
        clipped = np.clip(P[:, j], 1e-4, 1 - 1e-4)
        # The own logit is scaled up so the shared L2 penalty barely touches it and falls on the other codes.
        return np.column_stack([10.0 * np.log(clipped / (1 - clipped)), P])

    def _fit_stackers(self, P: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Fit the second stage on out-of-fold probabilities; return its own out-of-fold probabilities."""
        folds = list(KFold(n_splits=min(self.n_folds, len(P)), shuffle=True,
                           random_state=self.random_state + 1).split(P))
        out = np.zeros(P.shape)
        stackers = []
        for j in range(P.shape[1]):
            F, y = self._stack_features(P, j), Y[:, j]
            for train, held in folds:
                out[held, j] = self._logistic_proba(self._fit_logistic(F[train], y[train], self.stack_C), F[held])
            stackers.append(self._fit_logistic(F, y, self.stack_C))
        self.stackers_ = tuple(stackers)
        return out

    def _stacked(self, P: np.ndarray) -> np.ndarray:
        if self.stackers_ is None:
            return P
        return np.column_stack(
            [self._logistic_proba(s, self._stack_features(P, j)) for j, s in enumerate(self.stackers_)]
        )

    def _proba(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None
               ) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "models_"):
            raise RuntimeError("AssistedCoder is not fitted yet; call fit() first")
        # A model fitted with contexts still predicts without them: every tag then reads as absent.
        C = self._context(_check_contexts(contexts, len(texts)), len(texts))
        clean = [normalize_text(t) for t in texts]
        if not clean:
            return np.zeros((0, len(self.classes_))), np.zeros(0, dtype=bool)
        X = self._features(clean)
        has_words = X.getnnz(axis=1) > 0  # judged on the words alone: an embedding is never empty
        views = [self._with_context(self._with_embeddings(X, clean), C)]
        if self.counter_ is not None:
            views.append(self._with_context(self.counter_.transform(clean), C))
        scores = [np.column_stack([self._score(m, V) for m in models]) for models, V in zip(self.models_, views)]
        return self._stacked(self._combine(scores)), has_words

    def suggest(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> Suggestions:
        """Probabilities, suggested codes and the least-certain order from one scoring pass. Use it instead of
        calling the three methods below in turn, which would each featurise (and embed) every text again."""
        P, has_words = self._proba(texts, contexts)
        return Suggestions(
            probabilities=tuple(dict(zip(self.classes_, map(float, row))) for row in P),
            codes=self._codes(P, has_words),
            least_certain=self._least_certain(P, has_words),
        )

    def predict_proba(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None
                      ) -> list[dict[str, float]]:
        """Calibrated probability of every code, per text."""
        return list(self.suggest(texts, contexts).probabilities)

    def predict(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None
                ) -> list[tuple[str, ...]]:
        """Suggested codes per text, strongest first: those above their code's threshold, and at
        least the most likely code for any text with words in it."""
        return list(self._codes(*self._proba(texts, contexts)))

    def least_certain(self, texts: Sequence[str], k: int = 20,
                      contexts: Sequence[Sequence[str]] | None = None) -> list[int]:
        """Indexes of the ``k`` texts whose suggestions are least sure, least certain first.

        Uncertainty is the smallest distance of any code's probability from that code's threshold:
        a comment sitting on a decision boundary is the one whose coding teaches the model most.
        Texts without words are left out, since there is nothing in them to code.
        """
        if k < 0:
            raise ValueError("k must be at least 0")
        return list(self._least_certain(*self._proba(texts, contexts))[:k])

    def _thresholds(self) -> np.ndarray:
        return np.array([self.thresholds_[c] for c in self.classes_])

    def _codes(self, P: np.ndarray, has_words: np.ndarray) -> tuple[tuple[str, ...], ...]:
        chosen = self._decide(P, self._thresholds(), has_words)
        # Stable sort on -probability: ties keep class order, so output is reproducible.
        return tuple(tuple(self.classes_[j] for j in np.argsort(-row, kind="stable") if mask[j])
                     for row, mask in zip(P, chosen))

    def _least_certain(self, P: np.ndarray, has_words: np.ndarray) -> tuple[int, ...]:
        if not len(P):
            return ()
        margin = np.abs(P - self._thresholds()).min(axis=1)
        return tuple(int(i) for i in np.argsort(margin, kind="stable") if has_words[i])
