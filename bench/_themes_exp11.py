"""Scratch: von Mises-Fisher mixture (EM) initialised from k-means: priors and concentrations per theme."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.special import ive  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402


def log_c(kappa, d):
    # log normaliser of vMF: (d/2-1) log k - (d/2) log 2pi - log I_{d/2-1}(k)
    nu = d / 2 - 1
    return nu * np.log(kappa) - (d / 2) * np.log(2 * np.pi) - (np.log(ive(nu, kappa)) + kappa)


def movmf(X, w, labels, k, iters, shared, hard):
    n, d = X.shape
    R = np.zeros((n, k)); R[np.arange(n), labels] = 1
    for _ in range(iters + 1):
        Rw = R * w[:, None]
        mass = Rw.sum(0) + 1e-9
        S = Rw.T @ X
        rbar = np.linalg.norm(S, axis=1) / mass
        mu = normalize(S)
        pi = mass / mass.sum()
        if shared:
            rb = np.linalg.norm(S, axis=1).sum() / mass.sum()
            rbar = np.full(k, rb)
        rbar = np.clip(rbar, 1e-3, 0.999)
        kappa = rbar * (d - rbar ** 2) / (1 - rbar ** 2)
        ll = np.log(pi) + log_c(kappa, d) + (X @ mu.T) * kappa
        if hard:
            R = np.zeros_like(ll); R[np.arange(n), ll.argmax(1)] = 1
        else:
            ll -= ll.max(1, keepdims=True)
            R = np.exp(ll); R /= R.sum(1, keepdims=True)
    return ll.argmax(1), kappa, pi


if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        nz = np.flatnonzero(np.abs(v).sum(1) > 0)
        m = KMeans(k, n_init=3, random_state=seed).fit(v[nz], sample_weight=w[nz])
        lab = np.full(len(v), "o", dtype=object); lab[nz] = m.labels_
        print(seed, "kmeans", "%.3f %.3f" % s(lab))
        for shared in (True, False):
            for hard in (True, False):
                for iters in (1, 5, 20):
                    a, kappa, pi = movmf(v[nz].astype(np.float64), w[nz], m.labels_, k, iters, shared, hard)
                    lab = np.full(len(v), "o", dtype=object); lab[nz] = a
                    print(seed, "movmf shared" if shared else "movmf own", "hard" if hard else "soft", iters,
                          "%.3f %.3f" % s(lab), "kappa %.0f-%.0f" % (kappa.min(), kappa.max()), flush=True)
