"""Scratch: bisecting k-means (Steinbach, Karypis & Kumar 2000) against k-means on the same answer vectors."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.cluster import BisectingKMeans, KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402


def assign(v, c, thr=0.3):
    sims = v @ c.T
    lab = np.argmax(sims, 1).astype(object)
    lab[np.abs(v).sum(1) == 0] = "o"
    lab[sims.max(1) < thr] = "o"
    return lab


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        nz = np.flatnonzero(np.abs(v).sum(1) > 0)
        for strat in ("biggest_inertia", "largest_cluster"):
            for n_init in (1, 3):
                start = time.perf_counter()
                m = BisectingKMeans(k, n_init=n_init, random_state=seed, bisecting_strategy=strat).fit(
                    v[nz], sample_weight=w[nz])
                secs = time.perf_counter() - start
                lab = np.full(len(v), "o", dtype=object); lab[nz] = m.labels_
                c = normalize(m.cluster_centers_)
                print(seed, strat, n_init, "labels %.3f %.3f" % s(lab), "nearest %.3f %.3f" % s(assign(v, c)),
                      "%.1fs" % secs, flush=True)
                # then refine with k-means from these centres
                km = KMeans(k, init=m.cluster_centers_, n_init=1).fit(v[nz], sample_weight=w[nz])
                print(seed, strat, n_init, "+kmeans %.3f %.3f" % s(assign(v, normalize(km.cluster_centers_))), flush=True)
