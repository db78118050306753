"""Scratch: word-vector post-processing (all-but-the-top, centering, no normalising)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import km, scorer, setup  # noqa: E402


def abtt(W, d):
    nz = np.abs(W).sum(1) > 0
    mu = W[nz].mean(0)
    X = W - mu
    X[~nz] = 0
    if d:
        _, _, vt = np.linalg.svd(X[nz], full_matrices=False)
        X = X - (X @ vt[:d].T) @ vt[:d]
        X[~nz] = 0
    return normalize(X)


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        W = d.word_vectors_
        print(seed, "base", "%.3f %.3f" % s(km(v, w, k, seed)[0]))
        for dd in (0, 1, 2, 3, 5):
            vv = normalize(np.asarray(t @ abtt(W, dd), dtype=np.float32))
            print(seed, "abtt", dd, "%.3f %.3f" % s(km(vv, w, k, seed)[0]), flush=True)
