"""Scratch: word-vector variants (eigenvalue weighting, context), scored on NHS."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402
from sklearn.utils.extmath import randomized_svd  # noqa: E402

from bench._themes_eval import load, score  # noqa: E402
from engage.analysis import themes  # noqa: E402
from engage.analysis.text import PHRASE_JOINER  # noqa: E402

OPTS = dict(diffuse=0.0, topn=10, norm="unit", shrink=0.0, eig_p=1.0, doc_cooc=0.0, cds=0.75, shift=0.0, n_iter=3, keep_phrases=False)


class Variant(themes.ThemeDiscoverer):
    opts = OPTS

    def _word_vectors(self, features, weights, vocabulary):
        o = self.opts
        n_words = len(vocabulary)
        ids, owners = [], []
        for doc, feats in enumerate(features):
            seq = [vocabulary[f] for f in feats if (o["keep_phrases"] or PHRASE_JOINER not in f) and f in vocabulary]
            ids.extend(seq)
            owners.extend([doc] * len(seq))
        ids_arr, owner_arr = np.asarray(ids, dtype=np.int64), np.asarray(owners, dtype=np.int64)
        rows, cols, vals = [], [], []
        for shift in range(1, self.window + 1):
            same = owner_arr[:-shift] == owner_arr[shift:]
            left, right = ids_arr[:-shift][same], ids_arr[shift:][same]
            w = weights[owner_arr[:-shift][same]]
            rows += [left, right]
            cols += [right, left]
            vals += [w, w]
        co = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n_words, n_words))
        co.sum_duplicates()
        if o["doc_cooc"]:
            X = sp.csr_matrix((np.ones(len(ids_arr)), (owner_arr, ids_arr)), shape=(len(features), n_words))
            X.data[:] = 1
            X.sum_duplicates(); X.data[:] = 1
            D = (X.T @ sp.diags(weights) @ X).tocsr()
            D.setdiag(0); D.eliminate_zeros()
            co = co + o["doc_cooc"] * D * (co.sum() / max(D.sum(), 1))
        co = co.tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        total = co.sum()
        row_sums = np.asarray(co.sum(axis=1)).ravel()
        context = row_sums ** o["cds"]
        context = context / context.sum() * total
        coo = co.tocoo()
        pmi = np.log(coo.data * total / (row_sums[coo.row] * context[coo.col])) - o["shift"]
        positive = pmi > 0
        ppmi = sp.csr_matrix((pmi[positive], (coo.row[positive], coo.col[positive])), shape=(n_words, n_words))
        dim = max(1, min(self.embedding_dim, n_words - 1))
        u, s, _ = randomized_svd(ppmi, dim, n_iter=o["n_iter"], random_state=self.random_state)
        vectors = u * s ** o["eig_p"]
        if o["norm"] == "raw":
            vectors = vectors / np.median(np.linalg.norm(vectors, axis=1))
        else:
            vectors = normalize(vectors)
        if o["diffuse"]:
            S = vectors @ vectors.T
            np.fill_diagonal(S, -np.inf)
            idx = np.argpartition(-S, o["topn"], axis=1)[:, :o["topn"]]
            vectors = normalize(vectors + o["diffuse"] * vectors[idx].mean(axis=1))
        if o["shrink"]:
            n = row_sums
            vectors = vectors * (n / (n + o["shrink"]))[:, None]
        return vectors.astype(np.float32)


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
