"""Scratch: consensus over several k-means runs (one-hot concatenation, then k-means)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402

if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        nz = np.flatnonzero(np.abs(v).sum(1) > 0)
        runs = []
        for r in range(10):
            m = KMeans(k, n_init=1, random_state=seed * 100 + r).fit(v[nz], sample_weight=w[nz])
            runs.append(m.labels_)
            lab = np.full(len(v), "o", dtype=object); lab[nz] = m.labels_
            print(seed, "run", r, "%.3f %.3f" % s(lab), "inertia %.1f" % m.inertia_, flush=True)
        print("pairwise NMI", np.mean([normalized_mutual_info_score(runs[i], runs[j]) for i in range(10) for j in range(i)]))
        for R in (5, 10):
            H = np.zeros((len(nz), R * k), dtype=np.float32)
            for r in range(R):
                H[np.arange(len(nz)), r * k + runs[r]] = 1
            H /= np.sqrt(R)
            for kind, X in (("H", H), ("v+H", np.hstack([v[nz], H]))):
                m = KMeans(k, n_init=3, random_state=seed).fit(X, sample_weight=w[nz])
                lab = np.full(len(v), "o", dtype=object); lab[nz] = m.labels_
                print(seed, "consensus", R, kind, "%.3f %.3f" % s(lab), flush=True)
