"""Scratch: fast harness over fitted internals: vary doc weighting and clustering, score NMI of nearest centroid."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench.quality import _nmi_and_purity  # noqa: E402
from engage.analysis import themes  # noqa: E402
from engage.analysis.text import normalize_text  # noqa: E402


class Capture(themes.ThemeDiscoverer):
    def _embed_corpus(self, features, weights, answers):
        v, t = super()._embed_corpus(features, weights, answers)
        self.cap_ = (v, t, weights, answers)
        return v, t


def setup(seed, texts):
    d = Capture(40, random_state=seed).fit(texts)
    v, t, w, answers = d.cap_
    idx = {}
    inv = np.array([idx.setdefault(normalize_text(x), len(idx)) for x in texts])
    return d, v, t, w, inv


def scorer(inv, labels):
    def s(lab_unique):
        cl = [lab_unique[i] for i in inv]
        return _nmi_and_purity(cl, labels)
    return s


def km(vectors, weights, k, seed, n_init=3):
    usable = np.flatnonzero(np.abs(vectors).sum(1) > 0)
    m = KMeans(k, n_init=n_init, random_state=seed).fit(vectors[usable], sample_weight=weights[usable])
    c = normalize(m.cluster_centers_)
    lab = np.argmax(vectors @ c.T, 1).astype(object)
    sims = (vectors @ c.T).max(1)
    lab[sims < 0.3] = "o"
    return lab, c


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        W = d.word_vectors_
        print(seed, "base", "%.3f %.3f" % s(km(v, w, k, seed)[0]))
        print(seed, "n_init10", "%.3f %.3f" % s(km(v, w, k, seed, 10)[0]))
        print(seed, "unweighted", "%.3f %.3f" % s(km(v, np.ones_like(w), k, seed)[0]))
        print(seed, "sqrtweight", "%.3f %.3f" % s(km(v, np.sqrt(w), k, seed)[0]))
        # binary tf idf
        idf = d.tfidf_.idf_
        b = (t > 0).astype(np.float64)
        for name, M in (("binary", b), ("binary*idf", b @ sp.diags(idf)), ("binary*idf^2", b @ sp.diags(idf ** 2)),
                        ("tfidf^2", t.multiply(t))):
            vv = normalize(np.asarray(M @ W, dtype=np.float32))
            print(seed, name, "%.3f %.3f" % s(km(vv, w, k, seed)[0]), flush=True)
