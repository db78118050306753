"""Scratch: NMF on plain and embedding-smoothed TF-IDF; argmax topic as the theme."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.decomposition import NMF  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402


def smooth(W, topn, power=1.0):
    S = W @ W.T
    S[S < 0] = 0
    n = S.shape[0]
    idx = np.argpartition(-S, min(topn, n - 1), axis=1)[:, :topn]
    rows = np.repeat(np.arange(n), topn)
    vals = S[rows, idx.ravel()] ** power
    M = sp.csr_matrix((vals, (rows, idx.ravel())), shape=(n, n))
    M = M.maximum(sp.eye(n))
    return M.tocsr()


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        W = d.word_vectors_
        nz = np.flatnonzero(np.asarray(abs(t).sum(1)).ravel() > 0)
        for name, X in [("tfidf", t)] + [(f"smooth{n}", normalize(t @ smooth(W, n))) for n in (5, 20)]:
            X = sp.csr_matrix(X)
            start = time.perf_counter()
            Xw = sp.diags(np.sqrt(w)) @ X
            for init in ("nndsvd",):
                m = NMF(k, init=init, random_state=seed, max_iter=300)
                H = m.fit_transform(Xw[nz])
                lab = np.full(len(v), "o", dtype=object); lab[nz] = H.argmax(1)
                lab[nz[H.max(1) == 0]] = "o"
                print(seed, name, init, "%.3f %.3f" % s(lab), "%.1fs" % (time.perf_counter() - start), flush=True)
