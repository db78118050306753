"""Scratch: clustering variants (over-cluster then merge), scored on NHS."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.cluster.hierarchy import fcluster, linkage  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load, score  # noqa: E402
from engage.analysis import themes  # noqa: E402

OPTS = dict(over=3, method="ward", refine=0)


class Variant(themes.ThemeDiscoverer):
    opts = OPTS

    def _cluster(self, vectors, weights, k):
        o = self.opts
        m = min(len(vectors), o["over"] * k)
        km = KMeans(m, n_init=self.n_init, random_state=self.random_state).fit(vectors, sample_weight=weights)
        labels = km.labels_
        mass = np.bincount(labels, weights=weights, minlength=m)
        sums = np.zeros((m, vectors.shape[1]))
        np.add.at(sums, labels, vectors * weights[:, None])
        cents = sums / np.maximum(mass, 1e-9)[:, None]
        if o["method"] == "ward":
            # Ward on centroids weighted by mass: approximate by repeating? use exact Ward merge cost
            groups = _ward(cents, mass, k)
        else:
            Z = linkage(normalize(cents), method=o["method"], metric="cosine")
            groups = fcluster(Z, k, criterion="maxclust") - 1
        merged = np.zeros((k, vectors.shape[1]))
        np.add.at(merged, groups, sums)
        cent = normalize(merged)
        for _ in range(o["refine"]):
            lab = np.argmax(vectors @ cent.T, axis=1)
            s = np.zeros_like(cent)
            np.add.at(s, lab, vectors * weights[:, None])
            cent = normalize(s)
        self.sizes_dbg_ = np.sort(np.bincount(np.argmax(vectors @ cent.T, axis=1), weights=weights, minlength=k))[::-1]
        return cent


def _ward(cents, mass, k):
    """Greedy Ward merging of weighted centroids down to k groups."""
    c = [cents[i].copy() for i in range(len(cents))]
    w = list(mass.astype(float))
    members = [[i] for i in range(len(cents))]
    alive = list(range(len(cents)))
    while len(alive) > k:
        A = np.array([c[i] for i in alive]); W = np.array([w[i] for i in alive])
        d = ((A[:, None, :] - A[None, :, :]) ** 2).sum(-1)
        cost = (W[:, None] * W[None, :]) / (W[:, None] + W[None, :] + 1e-12) * d
        np.fill_diagonal(cost, np.inf)
        a, b = np.unravel_index(np.argmin(cost), cost.shape)
        i, j = alive[a], alive[b]
        c[i] = (c[i] * w[i] + c[j] * w[j]) / (w[i] + w[j]); w[i] += w[j]; members[i] += members[j]
        alive.remove(j)
    groups = np.zeros(len(cents), dtype=int)
    for g, i in enumerate(alive):
        groups[members[i]] = g
    return groups


def make(**kw):
    opts = dict(OPTS)
    for k in list(kw):
        if k in OPTS:
            opts[k] = kw.pop(k)
    cls = type("V", (Variant,), {"opts": opts})
    return lambda k, seed: cls(k, random_state=seed, **kw)


if __name__ == "__main__":
    data = load()
    import ast
    for arg in sys.argv[1:]:
        kw = ast.literal_eval(arg)
        print(kw, flush=True)
        score(make(**kw), data=data)
