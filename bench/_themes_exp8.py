"""Scratch: centre answer vectors (long answers drift to the corpus mean), with and without the other bin."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402


def km(vectors, weights, k, seed, thr=None, n_init=3):
    usable = np.flatnonzero(np.abs(vectors).sum(1) > 0)
    m = KMeans(k, n_init=n_init, random_state=seed).fit(vectors[usable], sample_weight=weights[usable])
    c = normalize(m.cluster_centers_)
    sims = vectors @ c.T
    lab = np.argmax(sims, 1).astype(object)
    empty = np.abs(vectors).sum(1) == 0
    lab[empty] = "o"
    if thr is not None:
        lab[sims.max(1) < thr] = "o"
    return lab, c, sims


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        nz = np.abs(v).sum(1) > 0
        print(seed, "base thr.3", "%.3f %.3f" % s(km(v, w, k, seed, 0.3)[0]))
        print(seed, "base nothr", "%.3f %.3f" % s(km(v, w, k, seed)[0]))
        for frac in (0.5, 1.0):
            mu = (v[nz] * w[nz, None]).sum(0) / w[nz].sum()
            vc = v - frac * mu
            vc[~nz] = 0
            vc = normalize(vc)
            lab, c, sims = km(vc, w, k, seed)
            print(seed, "centre", frac, "%.3f %.3f" % s(lab), flush=True)
