"""Scratch: structural variants of theme discovery, scored on NHS (seeds 0, 42)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402
from sklearn.utils.extmath import randomized_svd  # noqa: E402

from bench._themes_eval import load, score  # noqa: E402
from engage.analysis import themes  # noqa: E402


class Variant(themes.ThemeDiscoverer):
    eig_p = 1.0
    remove_pc = 0
    lsa_weight = 0.0
    lsa_dim = 100

    def _word_vectors(self, features, weights, vocabulary):
        v = super()._word_vectors(features, weights, vocabulary)
        return v

    def _doc_vectors(self, tfidf):
        if tfidf.shape[1] == 0:
            return np.zeros((tfidf.shape[0], 1))
        docs = normalize(np.asarray(tfidf @ self.word_vectors_, dtype=np.float32))
        if self.remove_pc:
            if not hasattr(self, "pc_"):
                nz = np.abs(docs).sum(axis=1) > 0
                _, _, vt = np.linalg.svd(docs[nz], full_matrices=False)
                self.pc_ = vt[: self.remove_pc]
            docs = normalize(docs - (docs @ self.pc_.T) @ self.pc_)
        if self.lsa_weight:
            if not hasattr(self, "lsa_"):
                _, _, vt = randomized_svd(tfidf, self.lsa_dim, n_iter=3, random_state=self.random_state)
                self.lsa_ = vt.T.astype(np.float32)
            lsa = normalize(np.asarray(tfidf @ self.lsa_))
            docs = normalize(np.hstack([docs * np.sqrt(1 - self.lsa_weight), lsa * np.sqrt(self.lsa_weight)]))
        return docs


def make(**kw):
    attrs = {k: kw.pop(k) for k in list(kw) if hasattr(Variant, k) and k in ("eig_p", "remove_pc", "lsa_weight", "lsa_dim")}
    cls = type("V", (Variant,), attrs)
    return lambda k, seed: cls(k, random_state=seed, **kw)


if __name__ == "__main__":
    data = load()
    import ast
    for arg in sys.argv[1:]:
        kw = ast.literal_eval(arg)
        print(kw)
        score(make(**kw), data=data)
