"""Scratch: answers as sets of sentences; strongest theme by best sentence or by first sentence."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from bench._themes_eval import load  # noqa: E402
from bench._themes_exp6 import scorer, setup  # noqa: E402
from engage.analysis.text import normalize_text  # noqa: E402

SPLIT = re.compile(r"(?<=[.!?;])\s+")

if __name__ == "__main__":
    texts, labels, k = load()
    for seed in (0, 42):
        d, v, t, w, inv = setup(seed, texts)
        s = scorer(inv, labels)
        uniq = list(dict.fromkeys(normalize_text(x) for x in texts))
        sents, owner = [], []
        for i, u in enumerate(uniq):
            parts = [p for p in SPLIT.split(u) if p.strip()] or [u]
            sents += parts
            owner += [i] * len(parts)
        owner = np.array(owner)
        feats = d.preparer_.transform(sents)
        st = d.tfidf_.transform(d.vectorizer_.transform(feats))
        sv = d._doc_vectors(st)
        print(seed, "multi-sentence share", np.mean(np.bincount(owner) > 1))
        nz = np.flatnonzero(np.abs(v).sum(1) > 0)
        km = KMeans(k, n_init=3, random_state=seed).fit(v[nz], sample_weight=w[nz])
        c = normalize(km.cluster_centers_)
        base = np.argmax(v @ c.T, 1)
        print(seed, "base", "%.3f %.3f" % s(base))
        ss = sv @ c.T
        ss[np.abs(sv).sum(1) == 0] = -1
        best = np.full((len(uniq), k), -1.0)
        np.maximum.at(best, owner, ss)
        print(seed, "max sentence", "%.3f %.3f" % s(best.argmax(1)))
        mix = 0.5 * best + 0.5 * (v @ c.T)
        print(seed, "mean(doc,max sent)", "%.3f %.3f" % s(mix.argmax(1)))
        first = np.zeros(len(uniq), dtype=int)
        seen = set()
        for j, o in enumerate(owner):
            if o not in seen and np.abs(sv[j]).sum() > 0:
                first[o] = ss[j].argmax(); seen.add(o)
        for o in range(len(uniq)):
            if o not in seen:
                first[o] = base[o]
        print(seed, "first sentence", "%.3f %.3f" % s(first))
        # cluster sentences instead
        snz = np.flatnonzero(np.abs(sv).sum(1) > 0)
        sw = w[owner]
        km2 = KMeans(k, n_init=3, random_state=seed).fit(sv[snz], sample_weight=sw[snz])
        c2 = normalize(km2.cluster_centers_)
        ss2 = sv @ c2.T; ss2[np.abs(sv).sum(1) == 0] = -1
        best2 = np.full((len(uniq), k), -1.0); np.maximum.at(best2, owner, ss2)
        print(seed, "sentence clusters, doc nearest", "%.3f %.3f" % s(np.argmax(v @ c2.T, 1)))
        print(seed, "sentence clusters, max sentence", "%.3f %.3f" % s(best2.argmax(1)), flush=True)
