"""Scratch: k-means then a mixture-of-unigrams (DMM-style EM) refinement on word counts."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench.quality import _nmi_and_purity  # noqa: E402
from engage.analysis import themes  # noqa: E402
from engage.analysis.text import PHRASE_JOINER  # noqa: E402


class Capture(themes.ThemeDiscoverer):
    def _cluster(self, vectors, weights, k):
        c = super()._cluster(vectors, weights, k)
        self.cap_ = (vectors, weights, c)
        return c

    def _embed_corpus(self, features, weights, answers):
        v, t = super()._embed_corpus(features, weights, answers)
        self.cap_tfidf_ = t
        self.cap_features_ = features
        return v, t


def em(X, w, labels, k, beta, iters, alpha=1.0):
    n, V = X.shape
    R = np.zeros((n, k)); R[np.arange(n), labels] = 1
    for _ in range(iters):
        Rw = R * w[:, None]
        pi = (Rw.sum(0) + alpha) / (Rw.sum() + k * alpha)
        counts = np.asarray((X.T @ Rw)).T  # k x V
        phi = (counts + beta) / (counts.sum(1, keepdims=True) + V * beta)
        ll = np.asarray(X @ np.log(phi).T) + np.log(pi)
        ll -= ll.max(1, keepdims=True)
        R = np.exp(ll); R /= R.sum(1, keepdims=True)
    return R


if __name__ == "__main__":
    texts, labels, k = load()
    first = [l[0] for l in labels]
    for seed in (0, 42):
        d = Capture(k, random_state=seed).fit(texts)
        vectors, weights, cent = d.cap_
        tfidf = d.cap_tfidf_
        usable = np.flatnonzero(np.abs(tfidf).sum(1).A.ravel() > 0)
        # map back: vectors correspond to usable unique rows, in order
        names = d.vectorizer_.get_feature_names_out()
        single = np.array([PHRASE_JOINER not in n for n in names])
        X = (tfidf[usable] > 0).astype(np.float64).tocsr()
        base_lab = np.argmax(vectors @ cent.T, axis=1)
        # doc rows for original texts
        from engage.analysis.text import normalize_text
        idx = {}
        inv = np.array([idx.setdefault(normalize_text(t), len(idx)) for t in texts])
        pos = np.full(len(idx), -1); pos[usable] = np.arange(len(usable))
        def score(lab):
            cl = [lab[pos[i]] if pos[i] >= 0 else "o" for i in inv]
            return _nmi_and_purity(cl, labels)
        print(seed, "kmeans", "%.3f %.3f" % score(base_lab))
        for beta in (0.01, 0.1):
            for iters in (1, 3, 10):
                R = em(X, weights, base_lab, k, beta, iters)
                print(seed, "em", beta, iters, "%.3f %.3f" % score(R.argmax(1)), flush=True)
