"""Theme discovery: readable themes, soft memberships, an "other" bin and representative quotes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_svd
from threadpoolctl import threadpool_limits

from engage.analysis import resources
from engage.analysis.embeddings import Embedder, embed, resolve_embedder
from engage.analysis.text import PHRASE_JOINER, Stemmer, TextPreparer, Tokenizer, is_non_answer, normalize_text

__all__ = ["Theme", "ThemeDiscoverer", "ThemeResult", "discover_themes"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Theme:
    id: int  # 0..K-1, ordered by size, largest first
    label: str  # short and readable, e.g. "friendly / polite"
    keywords: tuple[str, ...]  # readable words and phrases, most important first
    size: int  # documents whose memberships include this theme
    quotes: tuple[int, ...]  # indexes into the input texts, best first


@dataclass(frozen=True)
class ThemeResult:
    themes: tuple[Theme, ...]
    memberships: tuple[tuple[tuple[int, float], ...], ...]  # per text: ((theme_id, score), ...); () = other
    non_answer: tuple[bool, ...]  # per text


def _identity(features: list[str]) -> list[str]:
    return features


class ThemeDiscoverer:
    """Find themes in short answers, scikit-learn style: settings in ``__init__``, results in ``result_``.

    Words are embedded from their own corpus (PPMI over a +/-2 word window, reduced by SVD), so
    "kind", "friendly" and "polite" land together even when two answers share no word; each
    answer is the weighted mean of its word vectors (sublinear TF times IDF raised to ``idf_power``),
    each vector shortened by how little evidence it rests on (``word_prior``), and themes are
    spherical k-means clusters of those.
    Keywords, labels and quotes come back in the words people used.

    ``embeddings`` opts in to the sentence-embedding tier (see requirements-embeddings.txt): ``"auto"``
    uses the packaged MiniLM model when it is installed, or pass any callable mapping texts to unit-length
    rows. Each answer's sentence embedding, scaled by ``embedding_weight``, is joined to its word-vector
    mean before clustering, so answers that say the same thing in different words meet. Keywords, labels
    and quotes still come from the words.
    """

    def __init__(
        self,
        n_themes: int | None = None,
        *,
        random_state: int = 0,
        max_quotes: int = 3,
        language: str = "english",
        tokenizer: Tokenizer | None = None,
        stemmer: Stemmer | None = None,
        stopwords: Collection[str] | None = None,
        embedding_dim: int = 100,
        window: int = 2,
        word_prior: float = 10.0,
        idf_power: float = 0.5,
        min_df: int = 2,
        max_df: float = 0.5,
        max_features: int = 50000,
        max_auto_themes: int = 30,
        other_threshold: float = 0.3,
        secondary_share: float = 0.4,
        mixture_ridge: float = 0.1,
        max_memberships: int = 3,
        max_keywords: int = 8,
        n_init: int = 3,
        n_threads: int = 1,
        embeddings: str | Embedder | None = None,
        embedding_weight: float = 1.0,
    ) -> None:
        self.n_themes = n_themes
        self.random_state = random_state
        self.max_quotes = max_quotes
        self.language = language
        self.tokenizer = tokenizer
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.embedding_dim = embedding_dim
        self.window = window
        self.word_prior = word_prior
        self.idf_power = idf_power
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.max_auto_themes = max_auto_themes
        self.other_threshold = other_threshold
        self.secondary_share = secondary_share
        self.mixture_ridge = mixture_ridge
        self.max_memberships = max_memberships
        self.max_keywords = max_keywords
        self.n_init = n_init
        self.n_threads = n_threads
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], progress: Progress | None = None) -> ThemeDiscoverer:
        # BLAS and OpenMP threads on small matrices spin against each other and against the web
        # app or worker sharing the machine: one thread measured 4x faster on a busy 2-core host.
        with threadpool_limits(limits=self.n_threads):
            return self._fit(texts, progress)

    def _fit(self, texts: Sequence[str], progress: Progress | None) -> ThemeDiscoverer:
        report = progress or (lambda fraction, message: None)
        texts = list(texts)
        report(0.0, f"preparing {len(texts)} texts")
        normalised = [normalize_text(t) for t in texts]
        # Identical answers are common ("Very good service."): every step below works on distinct
        # answers weighted by how often they occur, which keeps 100k answers fast.
        # They are taken in sorted order, not in the order they came: the same comments then give the same
        # themes however they arrive (database ids are random, and k-means' starts and samples follow row order).
        unique = sorted(set(normalised))
        index = {text: i for i, text in enumerate(unique)}
        inverse = np.array([index[t] for t in normalised], dtype=np.int64)
        weights = np.bincount(inverse, minlength=len(unique)).astype(np.float64)
        unique_non_answer = np.array([is_non_answer(t) for t in unique], dtype=bool)
        non_answer = unique_non_answer[inverse].tolist()

        self.preparer_ = TextPreparer(self.language, tokenizer=self.tokenizer, stemmer=self.stemmer,
                                      stopwords=self.stopwords)
        answers = np.flatnonzero(~unique_non_answer)
        features = [[] for _ in unique]
        for i, feats in zip(answers, self.preparer_.fit_transform([unique[i] for i in answers])):
            features[i] = feats
        report(0.25, "building vocabulary")

        vectors, tfidf = self._embed_corpus(features, weights, answers)
        self.embedder_ = resolve_embedder(self.embeddings) if self.word_vectors_.shape[0] else None
        if self.embedder_ is not None:
            message = f"embedding {len(answers)} distinct answers"
            vectors = self._with_embeddings(vectors, [unique[i] for i in answers], answers,
                                            progress=lambda done: report(0.25 + 0.2 * done, message))
        report(0.45, "clustering")
        usable = answers[np.asarray(np.abs(vectors[answers]).sum(axis=1)).ravel() > 0]
        k = self._choose_k(vectors[usable], weights[usable]) if self.n_themes is None else int(self.n_themes)
        k = max(0, min(k, len(usable)))
        if 0 < k and len(usable) <= 50 * k:
            # k-means cannot make more clusters than there are distinct answer vectors.
            k = min(k, len(np.unique(np.round(vectors[usable], 5), axis=0)))
        centroids = self._cluster(vectors[usable], weights[usable], k) if k else np.zeros((0, vectors.shape[1]))
        report(0.7, "labelling themes")

        unique_members = self._memberships(vectors, centroids, usable)
        sizes = np.zeros(k, dtype=np.int64)
        for members, weight in zip(unique_members, weights):
            for theme, _ in members:
                sizes[theme] += int(weight)
        # Largest first; ties keep cluster order, so ids are stable for a given seed.
        order = sorted(range(k), key=lambda t: (-sizes[t], t))
        rename = {old: new for new, old in enumerate(order)}
        self.centroids_ = centroids[order] if k else centroids
        unique_members = [tuple((rename[t], s) for t, s in m) for m in unique_members]
        first_row = np.full(len(unique), -1, dtype=np.int64)
        first_row[inverse[::-1]] = np.arange(len(texts))[::-1]

        keywords = self._keywords(tfidf, unique_members, weights, k)
        labels = _labels(keywords)
        quotes = self._quotes(unique, unique_members, tfidf, unique_non_answer, first_row, k)
        themes = tuple(
            Theme(id=t, label=labels[t], keywords=keywords[t], size=int(sizes[order[t]]), quotes=quotes[t])
            for t in range(k)
        )
        self.n_themes_ = k
        self.result_ = ThemeResult(
            themes=themes,
            memberships=tuple(unique_members[i] for i in inverse),
            non_answer=tuple(non_answer),
        )
        report(1.0, f"found {k} themes")
        return self

    def _embed_corpus(self, features: list[list[str]], weights: np.ndarray,
                      answers: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        """Learn word vectors and the TF-IDF matrix; return answer vectors (unit length or zero) and TF-IDF."""
        n_docs = len(answers)
        min_df = self.min_df if n_docs >= 4 * self.min_df else 1
        max_df = self.max_df if n_docs >= 20 else 1.0
        self.vectorizer_ = CountVectorizer(analyzer=_identity, lowercase=False, min_df=min_df, max_df=max_df,
                                           max_features=self.max_features)
        answer_features = [features[i] for i in answers]
        try:
            counts = self.vectorizer_.fit_transform(answer_features)
        except ValueError:  # nothing left after pruning: every answer is empty or unique noise
            counts = None
        n_unique = len(features)
        if counts is None or counts.shape[1] == 0:
            self.word_vectors_ = np.zeros((0, 1))
            self.tfidf_ = TfidfTransformer(sublinear_tf=True)
            empty = sp.csr_matrix((n_unique, 0))
            return np.zeros((n_unique, 1)), empty
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        tfidf_answers = self.tfidf_.transform(counts)
        vocabulary = self.vectorizer_.vocabulary_
        self.word_vectors_ = self._word_vectors(answer_features, weights[answers], vocabulary)
        # Non-answers keep an empty row, so row i is always distinct text i.
        scatter = sp.csr_matrix((np.ones(n_docs), (answers, np.arange(n_docs))), shape=(n_unique, n_docs))
        tfidf = (scatter @ tfidf_answers).tocsr()
        return self._doc_vectors(tfidf), tfidf

    def _word_vectors(self, features: list[list[str]], weights: np.ndarray,
                      vocabulary: dict[str, int]) -> np.ndarray:
        """Embed single words from their neighbours: PPMI over a small window, reduced by truncated SVD.

        A narrow window finds words used in the same slot ("very kind staff", "very friendly
        staff"), which is what groups synonyms in short feedback.
        """
        n_words = len(vocabulary)
        ids, owners = [], []
        for doc, feats in enumerate(features):
            seq = [vocabulary[f] for f in feats if PHRASE_JOINER not in f and f in vocabulary]
            ids.extend(seq)
            owners.extend([doc] * len(seq))
        ids_arr, owner_arr = np.asarray(ids, dtype=np.int64), np.asarray(owners, dtype=np.int64)
        rows, cols, vals = [], [], []
        for shift in range(1, self.window + 1):
            same = owner_arr[:-shift] == owner_arr[shift:]
            left, right = ids_arr[:-shift][same], ids_arr[shift:][same]
            w = weights[owner_arr[:-shift][same]]
            rows += [left, right]
            cols += [right, left]
            vals += [w, w]
        if not rows or sum(len(r) for r in rows) == 0:
            return np.zeros((n_words, 1))
        co = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n_words, n_words))
        co.sum_duplicates()
        co.setdiag(0)
        co.eliminate_zeros()
        total = co.sum()
        row_sums = np.asarray(co.sum(axis=1)).ravel()
        # Context counts raised to 0.75 (as in word2vec) stop rare contexts from inflating PMI.
        context = row_sums ** 0.75
        context = context / context.sum() * total
        coo = co.tocoo()
        pmi = np.log(coo.data * total / (row_sums[coo.row] * context[coo.col]))
        positive = pmi > 0
        ppmi = sp.csr_matrix((pmi[positive], (coo.row[positive], coo.col[positive])), shape=(n_words, n_words))
        dim = max(1, min(self.embedding_dim, n_words - 1))
        # Phrases keep a zero vector: their words already count through their parts, and counting
        # them twice tilted answers towards stock phrases (NMI on the NHS codes fell by 0.01).
        if ppmi.nnz == 0 or n_words < 3:
            return np.eye(n_words, dtype=np.float32)
        # Three power iterations are plenty for word vectors and a third of the default cost.
        u, s, _ = randomized_svd(ppmi, dim, n_iter=3, random_state=self.random_state)
        # A word seen in few contexts has a noisy vector, yet IDF gives rare words the most
        # weight in an answer. Trust each vector in proportion to its evidence, n / (n + prior)
        # co-occurrences (a pseudo-count prior, as in additive smoothing), so a handful of
        # sightings cannot pull an answer away from its common words.
        trust = row_sums / np.maximum(row_sums + self.word_prior, 1e-12)  # a word with no context: 0, not 0/0
        vectors = normalize(u * s) * trust[:, None]
        return vectors.astype(np.float32)

    def _doc_vectors(self, tfidf: sp.csr_matrix) -> np.ndarray:
        if tfidf.shape[1] == 0:
            return np.zeros((tfidf.shape[0], 1))
        # Full IDF lets a few rare words steer an answer away from the common words that say what
        # it is about; its square root (idf_power 0.5) clustered closer to human codes on held-out
        # NHS feedback (phase 1) and on Polis conversations. Rows are normalised below, so
        # rescaling the columns of TF-IDF is the same as weighting sublinear TF by IDF ** idf_power.
        vectors = self.word_vectors_ * (self.tfidf_.idf_ ** (self.idf_power - 1.0))[:, None].astype(np.float32)
        return normalize(np.asarray(tfidf @ vectors, dtype=np.float32))

    def _with_embeddings(self, vectors: np.ndarray, texts: list[str], rows: np.ndarray, *,
                         width: int | None = None, progress: Callable[[float], None] | None = None) -> np.ndarray:
        """Join each answer's sentence embedding (rows ``rows`` hold ``texts``; the rest, non-answers,
        stay zero) to its word-vector mean, and make the result unit length again. ``width`` is the
        embedding width the fitted centroids expect (None while fitting).

        Chosen on NHS phase-1 feedback, not the phase-2 evaluation set: NMI against the coders'
        subcategories 0.238 without, 0.264 at weight 1 (0.5: 0.255; 2: 0.261; embeddings alone 0.246),
        mean of seeds 0 to 2.
        """
        # Only non-answers: nothing to embed, but the rows keep the fitted width.
        E = embed(self.embedder_, texts, progress=progress) if texts else np.zeros((0, width or 0), np.float32)
        if width is not None and E.shape[1] != width:
            raise ValueError(f"the embedder returned {E.shape[1]} dimensions, not {width} as in fit")
        joined = np.zeros((len(vectors), vectors.shape[1] + E.shape[1]), dtype=np.float32)
        joined[:, :vectors.shape[1]] = vectors
        joined[rows, vectors.shape[1]:] = self.embedding_weight * E
        return normalize(joined)

    def _cluster(self, vectors: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
        # Full k-means on up to 20k distinct answers; beyond that mini-batches keep 100k near-linear.
        if len(vectors) <= 20000:
            model = KMeans(k, n_init=self.n_init, random_state=self.random_state)
        else:
            model = MiniBatchKMeans(k, n_init=self.n_init, random_state=self.random_state, batch_size=4096)
        model.fit(vectors, sample_weight=weights)
        return normalize(model.cluster_centers_)

    def _choose_k(self, vectors: np.ndarray, weights: np.ndarray) -> int:
        """Pick K from corpus size, then let a silhouette check on a sample move it a little."""
        n = int(weights.sum())
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(vectors), size=min(len(vectors), 2000), replace=False))
        n_distinct = len(np.unique(np.round(vectors[sample], 5), axis=0))
        if n_distinct < 3:
            return n_distinct
        upper = max(2, min(self.max_auto_themes, n_distinct - 1))
        guess = min(upper, int(round(np.sqrt(n / 20))))
        # Around the guess, plus the small counts a tiny corpus may really have.
        spread = max(1, guess // 4)
        candidates = sorted({max(2, min(upper, c)) for c in (guess - 2 * spread, guess - spread, guess,
                                                             guess + spread, 2, 3, 4)})
        best_k, best_score = candidates[0], -np.inf
        for c in candidates:
            labels = KMeans(c, n_init=1, max_iter=50, random_state=self.random_state).fit_predict(
                vectors[sample], sample_weight=weights[sample])
            if len(set(labels)) < 2:
                continue
            # A small premium per theme: silhouette alone favours too few themes on real feedback.
            score = silhouette_score(vectors[sample], labels, metric="cosine", sample_size=min(len(sample), 1000),
                                     random_state=self.random_state) + 0.01 * c
            if score > best_score:
                best_k, best_score = c, score
        self.k_candidates_ = tuple(candidates)
        return best_k

    # -- memberships ------------------------------------------------------------------------
    def _memberships(self, vectors: np.ndarray, centroids: np.ndarray,
                     usable: np.ndarray | None = None) -> list[tuple[tuple[int, float], ...]]:
        n = len(vectors)
        if len(centroids) == 0:
            return [() for _ in range(n)]
        sims = vectors @ centroids.T
        empty = np.abs(vectors).sum(axis=1) == 0
        if usable is not None:
            mask = np.ones(n, dtype=bool)
            mask[usable] = False
            empty |= mask
        m = min(self.max_memberships, len(centroids))
        ranked = np.argsort(-sims, axis=1, kind="stable")[:, :m]
        weights = self._mixture_weights(sims, centroids, ranked)
        out: list[tuple[tuple[int, float], ...]] = []
        for i in range(n):
            if empty[i] or sims[i, ranked[i, 0]] < self.other_threshold:
                out.append(())
                continue
            # The nearest theme always counts; another counts when it explains a good share of the answer.
            top = weights[i, 0]
            members = [(int(ranked[i, 0]), top)] + [
                (int(t), w) for t, w in zip(ranked[i, 1:], weights[i, 1:]) if w >= self.secondary_share * top
            ]
            out.append(tuple((t, round(float(min(max(w, 1e-4), 1.0)), 4)) for t, w in members))
        return out

    def _mixture_weights(self, sims: np.ndarray, centroids: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        """Explain each answer as a mix of its nearest themes: ridge least squares on their centroids.

        An answer about two themes sits between their centroids, so both get a large weight; an
        answer about one theme gets a small or negative weight on the runner-up. Batched, so
        100k answers cost one small solve each in C.
        """
        gram = centroids @ centroids.T
        n, m = ranked.shape
        g = gram[ranked[:, :, None], ranked[:, None, :]] + self.mixture_ridge * np.eye(m)
        b = np.take_along_axis(sims, ranked, axis=1)
        w = np.linalg.solve(g, b[:, :, None])[:, :, 0]
        # The nearest theme's weight is its similarity; only the runners-up are judged by mixing.
        w[:, 0] = b[:, 0]
        return w

    def transform(self, texts: Sequence[str]) -> tuple[tuple[tuple[int, float], ...], ...]:
        """Return memberships of new ``texts`` in the fitted themes (``()`` for other and non-answers)."""
        if not hasattr(self, "result_"):
            raise RuntimeError("ThemeDiscoverer is not fitted yet; call fit() first")
        normalised = [normalize_text(t) for t in texts]
        if not self.n_themes_ or self.word_vectors_.shape[0] == 0:
            return tuple(() for _ in normalised)
        with threadpool_limits(limits=self.n_threads):
            return self._transform(normalised)

    def _transform(self, normalised: list[str]) -> tuple[tuple[tuple[int, float], ...], ...]:
        features = self.preparer_.transform(normalised)
        features = [[] if is_non_answer(t) else f for t, f in zip(normalised, features)]
        tfidf = self.tfidf_.transform(self.vectorizer_.transform(features))
        vectors = self._doc_vectors(tfidf)
        if self.embedder_ is not None:
            answers = np.flatnonzero([not is_non_answer(t) for t in normalised])
            vectors = self._with_embeddings(vectors, [normalised[i] for i in answers], answers,
                                            width=self.centroids_.shape[1] - vectors.shape[1])
        return tuple(self._memberships(vectors, self.centroids_))

    # -- description --------------------------------------------------------------------------
    def _keywords(self, tfidf: sp.csr_matrix, members: list, weights: np.ndarray, k: int) -> list[tuple[str, ...]]:
        """Rank terms by how much more often a theme's answers use them than answers overall."""
        if k == 0 or tfidf.shape[1] == 0:
            return [() for _ in range(k)]
        names = self.vectorizer_.get_feature_names_out()
        present = (tfidf > 0).astype(np.float64)
        top = np.array([m[0][0] if m else -1 for m in members])
        assign = sp.csr_matrix((weights[top >= 0], (top[top >= 0], np.flatnonzero(top >= 0))),
                               shape=(k, tfidf.shape[0]))
        in_theme = np.asarray((assign @ present).todense())
        theme_n = np.asarray(assign.sum(axis=1)).ravel()
        overall = np.asarray(present.T @ weights).ravel()
        p_all = (overall + 0.5) / (weights.sum() + 1)
        out = []
        for t in range(k):
            p_in = (in_theme[t] + 0.5) / (theme_n[t] + 1)
            score = p_in * np.log(p_in / p_all)
            score[in_theme[t] < 2] = -np.inf  # a keyword must recur within the theme
            chosen: list[str] = []
            for j in np.argsort(-score, kind="stable"):
                if not np.isfinite(score[j]) or score[j] <= 0 or len(chosen) >= self.max_keywords:
                    break
                name = names[j]
                parts = name.split(PHRASE_JOINER)
                if PHRASE_JOINER in name and all(p in chosen for p in parts):
                    continue
                if PHRASE_JOINER not in name and any(name in c.split(PHRASE_JOINER) for c in chosen):
                    continue
                chosen.append(name)
            if not chosen:
                # One theme, or one that uses no word more than the rest: fall back to its commonest words.
                chosen = [names[j] for j in np.argsort(-in_theme[t], kind="stable")[: self.max_keywords]
                          if in_theme[t, j] > 0]
            out.append(tuple(dict.fromkeys(self.preparer_.surface(c) for c in chosen)))
        return out

    def _quotes(self, unique: list[str], members: list, tfidf: sp.csr_matrix, non_answer: np.ndarray,
                first_row: np.ndarray, k: int) -> list[tuple[int, ...]]:
        """Pick central, mutually different answers of 1-3 complete sentences (MMR-style)."""
        quotes: list[tuple[int, ...]] = []
        for t in range(k):
            candidates = sorted(
                ((m[0][1], i) for i, m in enumerate(members) if m and m[0][0] == t and not non_answer[i]),
                key=lambda pair: (-pair[0], pair[1]),
            )[:60]
            scored = []
            for score, i in candidates:
                quality = _quote_quality(unique[i], self.language)
                if quality > 0:
                    scored.append((score * quality, i))
            chosen: list[int] = []
            rows = tfidf[[i for _, i in scored]] if scored else None
            sim = (rows @ rows.T).toarray() if rows is not None and rows.shape[1] else None
            while scored and len(chosen) < self.max_quotes:
                best, best_value = None, -np.inf
                for pos, (score, i) in enumerate(scored):
                    if i in chosen:
                        continue
                    redundancy = max((sim[pos, p] for p, (_, j) in enumerate(scored) if j in chosen), default=0.0) \
                        if sim is not None else 0.0
                    value = 0.7 * score - 0.3 * redundancy
                    if value > best_value:
                        best, best_value = i, value
                if best is None:
                    break
                chosen.append(best)
            quotes.append(tuple(int(first_row[i]) for i in chosen))
        return quotes


def _quote_quality(text: str, language: str) -> float:
    """1 for 1-3 complete sentences of readable length, less for fragments, very short or long answers."""
    words = len(text.split())
    sentences = resources.sent_tokenize(text, language)
    if not sentences:
        return 0.0
    quality = 1.0
    if words < 4 or words > 80 or len(sentences) > 3:
        quality *= 0.3  # still quotable when a theme has nothing better
    elif words > 40:
        quality *= 0.85  # long answers sit near the centre of broad themes but read as walls of text
    if not text[0].isupper() and not text[0].isdigit():
        quality *= 0.8
    if text[-1] not in ".!?\"')":
        quality *= 0.8  # a trailing fragment reads worse than a full stop
    return quality


# Kept as features because "not safe" and "safe" differ, but alone in a label they say nothing ("not / time").
# "nothing" and "never" stay: "nothing / perfect" is a real answer to "What could we improve?".
_BARE_NEGATIONS = frozenset({"not", "no", "n't", "nor", "ne", "pas", "non"})


def _labels(keywords: list[tuple[str, ...]]) -> list[str]:
    """Join the top two keywords ("friendly / polite"), adding a third when two labels collide. A bare
    negation is passed over in the label (it stays among the keywords)."""
    labels: list[str] = []
    seen: set[str] = set()
    for all_words in keywords:
        words = tuple(w for w in all_words if w.casefold() not in _BARE_NEGATIONS) or all_words
        label = " / ".join(words[:2]) if words else "unlabelled"
        if label in seen and len(words) > 2:
            label = " / ".join(words[:3])
        seen.add(label)
        labels.append(label)
    return labels


def discover_themes(
    texts: Sequence[str],
    *,
    n_themes: int | None = None,
    random_state: int = 0,
    max_quotes: int = 3,
    language: str = "english",
    progress: Progress | None = None,
    embeddings: str | Embedder | None = None,
) -> ThemeResult:
    """Discover themes in ``texts``; see :class:`ThemeDiscoverer` for the method."""
    discoverer = ThemeDiscoverer(n_themes, random_state=random_state, max_quotes=max_quotes, language=language,
                                 embeddings=embeddings)
    return discoverer.fit(texts, progress=progress).result_
