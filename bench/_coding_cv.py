"""Scratch: choose AssistedCoder's design by 5-fold CV inside the quality split's TRAINING 75% only.

The held-out 25% is never read here. For each outer fold, every base model is fitted on the other four
folds with its own inner 5-fold out-of-fold scores (for Platt calibration, ensembling and thresholds),
then scores the outer fold. Scores are cached in /tmp/coding_cv so combinations are cheap to compare.

    .venv/bin/python bench/_coding_cv.py BASE [BASE ...]     # compute base models
    .venv/bin/python bench/_coding_cv.py --combine 'a+b' ... # evaluate ensembles of cached bases
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from bench.nhs_data import quality_split
from engage.analysis.text import TextPreparer, normalize_text

CACHE = Path("/tmp/coding_cv")
OUTER, INNER = 5, 5


def _identity(x):
    return x


def load():
    split = quality_split()
    texts = [normalize_text(c.text) for c in split.train]
    Y = MultiLabelBinarizer(classes=split.labels).fit_transform([c.labels for c in split.train])
    return texts, Y.astype(int), split


# -- feature views ----------------------------------------------------------------------------------
def views(fit_texts, texts_list, kinds):
    """Fit vectorizers on fit_texts, transform each list in texts_list; returns list of matrices."""
    prep = TextPreparer()
    stems_fit = prep.fit_transform(fit_texts)
    out_blocks = [[] for _ in texts_list]
    for kind in kinds:
        if kind == "stems":
            v = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2)
            v.fit(stems_fit)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(v.transform(prep.transform(t)))
        elif kind == "words":
            v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit(fit_texts)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(v.transform(t))
        elif kind == "words13":
            v = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=2).fit(fit_texts)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(v.transform(t))
        elif kind == "chars":
            v = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(fit_texts)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(v.transform(t))
        elif kind == "binwords":
            v = CountVectorizer(ngram_range=(1, 2), binary=True, min_df=2).fit(fit_texts)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(v.transform(t))
        elif kind == "emb":
            from bench.quality import EMBEDDING_CACHE, CachedEmbedder
            from engage.analysis.embeddings import SentenceEmbedder
            embed = CachedEmbedder(SentenceEmbedder(), EMBEDDING_CACHE)
            for i, t in enumerate(texts_list):
                out_blocks[i].append(sparse.csr_matrix(embed(t).astype(np.float64)))
    return [sparse.hstack(b).tocsr() for b in out_blocks]


# -- base models: (feature kinds, per-label fit -> scorer) -------------------------------------------
def _svm(C, balanced=True):
    def fit(X, y):
        return LinearSVC(C=C, class_weight="balanced" if balanced else None, max_iter=10_000).fit(X, y).decision_function
    return fit


def _lr(C, balanced=True):
    def fit(X, y):
        m = LogisticRegression(C=C, class_weight="balanced" if balanced else None, solver="liblinear",
                               max_iter=1000).fit(X, y)
        return m.decision_function
    return fit


def _nbsvm(C, alpha=1.0):
    """Wang & Manning NB-SVM: binary counts scaled by the log-count ratio, then a linear SVM."""
    def fit(X, y):
        p = alpha + X[y == 1].sum(axis=0).A1
        q = alpha + X[y == 0].sum(axis=0).A1
        r = np.log((p / p.sum()) / (q / q.sum()))
        Xr = X.multiply(r).tocsr()
        m = LinearSVC(C=C, class_weight="balanced", max_iter=10_000).fit(Xr, y)
        return lambda Z: m.decision_function(Z.multiply(r).tocsr())
    return fit


def _nbsvm_norm(C, alpha=1.0):
    """The library's NB-SVM (scaled rows L2-normalised, so liblinear converges; the raw version may not)."""
    from engage.analysis.coding import _NBSVM

    def fit(X, y):
        return _NBSVM(LinearSVC(C=C, class_weight="balanced", max_iter=10_000), alpha).fit(X, y).decision_function
    return fit


def _cnb(alpha=0.3):
    def fit(X, y):
        m = ComplementNB(alpha=alpha).fit(X, y)
        return lambda Z: m.predict_log_proba(Z)[:, 1] - m.predict_log_proba(Z)[:, 0]
    return fit


def _ridge(alpha):
    def fit(X, y):
        w = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1)))
        m = Ridge(alpha=alpha).fit(X, 2.0 * y - 1, sample_weight=w)
        return m.predict
    return fit


def _knn(k):
    def scores(X_tr, Y, X_te):
        S = (X_te @ X_tr.T).toarray() if sparse.issparse(X_te) else X_te @ X_tr.T
        idx = np.argpartition(-S, min(k, S.shape[1] - 1), axis=1)[:, :k]
        W = np.zeros_like(S)
        rows = np.arange(len(S))[:, None]
        W[rows, idx] = np.maximum(S[rows, idx], 0)
        return (W @ Y) / np.maximum(W.sum(axis=1, keepdims=True), 1e-9)
    return scores


_k10 = _knn(10); _k10.joint = True
_k25 = _knn(25); _k25.joint = True
BASES = {
    "knn_words": (("words",), _k10),
    "knn_all25": (("stems", "words", "chars"), _k25),
    "knn_emb25": (("emb",), _k25),
    "svm_all": (("stems", "words", "chars"), _svm(0.1)),
    "svm_all_C03": (("stems", "words", "chars"), _svm(0.3)),
    "svm_all_C003": (("stems", "words", "chars"), _svm(0.03)),
    "lr_all": (("stems", "words", "chars"), _lr(3.0)),
    "lr_all_C10": (("stems", "words", "chars"), _lr(10.0)),
    "lr_all_C1": (("stems", "words", "chars"), _lr(1.0)),
    "lr_words": (("words",), _lr(10.0)),
    "svm_chars": (("chars",), _svm(0.1)),
    "svm_words": (("words",), _svm(0.3)),
    "nbsvm": (("binwords",), _nbsvm(1.0)),
    "nbsvm_C01": (("binwords",), _nbsvm(0.1)),
    "nbsvm_svc": (("binwords",), _nbsvm(0.1)),
    "nbsvm_svc03": (("binwords",), _nbsvm(0.03)),
    "nbsvm_norm03": (("binwords",), _nbsvm_norm(0.3)),
    "nbsvm_norm1": (("binwords",), _nbsvm_norm(1.0)),
    "cnb": (("binwords",), _cnb(0.3)),
    "ridge_all": (("stems", "words", "chars"), _ridge(1.0)),
    "lr_emb": (("emb",), _lr(3.0)),
    "lr_emb_C10": (("emb",), _lr(10.0)),
    "svm_all_emb": (("stems", "words", "chars", "emb"), _svm(0.1)),
}


def fit_scores(fit, X_tr, Y, X_te, n_jobs=2):
    if getattr(fit, "joint", False):
        return fit(X_tr, Y, X_te)
    def one(j):
        y = Y[:, j]
        if y.min() == y.max():
            return np.full(X_te.shape[0], 1.0 if y[0] else -1.0)
        return fit(X_tr, y)(X_te)
    return np.column_stack(Parallel(n_jobs=n_jobs, prefer="threads")(delayed(one)(j) for j in range(Y.shape[1])))


def compute_base(name, texts, Y, transductive=False):
    """Per outer fold: inner OOF scores on outer-train, full-fit scores on outer-test."""
    kinds, fit = BASES[name]
    suffix = "_td" if transductive else ""
    path = CACHE / f"{name}{suffix}.npz"
    if path.exists():
        return
    outer = KFold(OUTER, shuffle=True, random_state=0)
    inner_all, test_all = {}, np.zeros(Y.shape)
    t0 = time.perf_counter()
    for k, (tr, te) in enumerate(outer.split(texts)):
        tr_texts = [texts[i] for i in tr]
        te_texts = [texts[i] for i in te]
        fit_texts = tr_texts + te_texts if transductive else tr_texts
        X_tr, X_te = views(fit_texts, [tr_texts, te_texts], kinds)
        Y_tr = Y[tr]
        oof = np.zeros(Y_tr.shape)
        inner = KFold(INNER, shuffle=True, random_state=0)
        for itr, ite in inner.split(X_tr):
            oof[ite] = fit_scores(fit, X_tr[itr], Y_tr[itr], X_tr[ite])
        inner_all[k] = oof
        test_all[te] = fit_scores(fit, X_tr, Y_tr, X_te)
    np.savez(path, test=test_all, **{f"inner{k}": v for k, v in inner_all.items()})
    print(f"{name}{suffix}: {time.perf_counter() - t0:.0f}s", flush=True)


# -- combining --------------------------------------------------------------------------------------
def platt(s_fit, y, s_apply):
    if y.min() == y.max():
        return np.full(len(s_apply), (y.sum() + 1) / (len(y) + 2))
    m = LogisticRegression().fit(s_fit.reshape(-1, 1), y)
    return m.predict_proba(s_apply.reshape(-1, 1))[:, 1]


def decide(P, thr, always_top=True):
    chosen = P >= thr
    if always_top:
        chosen[np.arange(len(P)), P.argmax(axis=1)] = True
    return chosen


def tune_thresholds(P, Y, prior=5.0, always_top=True, mode="shrunk"):
    grid = np.round(np.arange(0.05, 0.951, 0.025), 3)
    micro = []
    for t in grid:
        ch = decide(P, np.full(P.shape[1], t), always_top)
        tp = (ch & (Y == 1)).sum()
        micro.append(2 * tp / max(ch.sum() + Y.sum(), 1))
    shared = float(grid[int(np.argmax(micro))])
    if mode == "shared":
        return np.full(P.shape[1], shared)
    th = np.empty(P.shape[1])
    for j in range(P.shape[1]):
        pred = P[:, j, None] >= grid[None, :]
        tp = (pred & (Y[:, j, None] == 1)).sum(axis=0)
        f1 = 2 * tp / np.maximum(pred.sum(axis=0) + Y[:, j].sum(), 1)
        own = float(grid[int(np.argmax(f1))])
        n = Y[:, j].sum()
        th[j] = (n * own + prior * shared) / (n + prior)
    return th


def load_base(name):
    d = np.load(CACHE / f"{name}.npz")
    return d["test"], [d[f"inner{k}"] for k in range(OUTER)]


def evaluate(spec, texts, Y, prior=5.0, always_top=True, mode="shrunk", stack=False, weights=None, quiet=False):
    """spec 'a+b+c': average Platt-calibrated probabilities of the bases, thresholds tuned on inner OOF."""
    names = spec.split("+")
    bases = [load_base(n) for n in names]
    w = np.ones(len(names)) / len(names) if weights is None else np.asarray(weights) / np.sum(weights)
    outer = KFold(OUTER, shuffle=True, random_state=0)
    pred = np.zeros(Y.shape, dtype=bool)
    for k, (tr, te) in enumerate(outer.split(texts)):
        Y_tr = Y[tr]
        P_in = np.zeros(Y_tr.shape)
        P_te = np.zeros((len(te), Y.shape[1]))
        for wi, (test, inner) in zip(w, bases):
            for j in range(Y.shape[1]):
                P_in[:, j] += wi * platt(inner[k][:, j], Y_tr[:, j], inner[k][:, j])
                P_te[:, j] += wi * platt(inner[k][:, j], Y_tr[:, j], test[te, j])
        if stack:
            P_in, P_te = stack_stage(P_in, Y_tr, P_te)
        th = tune_thresholds(P_in, Y_tr, prior, always_top, mode)
        pred[te] = decide(P_te, th, always_top)
    micro = f1_score(Y, pred, average="micro", zero_division=0)
    macro = f1_score(Y, pred, average="macro", zero_division=0)
    if not quiet:
        print(f"{spec:50s} prior={prior:<4} top={always_top} {mode:6s} stack={stack}  micro {micro:.4f}  macro {macro:.4f}")
    return micro, macro


def stack_stage(P_in, Y_tr, P_te, C=1.0):
    """Second stage: per label, LR on [logit of own prob, probs of all labels]; OOF via inner CV."""
    def feats(P):
        L = np.log(np.clip(P, 1e-4, 1 - 1e-4) / (1 - np.clip(P, 1e-4, 1 - 1e-4)))
        return L
    F_in, F_te = feats(P_in), feats(P_te)
    S_in = np.zeros(P_in.shape)
    S_te = np.zeros(P_te.shape)
    inner = KFold(INNER, shuffle=True, random_state=1)
    for j in range(Y_tr.shape[1]):
        y = Y_tr[:, j]
        for a, b in inner.split(F_in):
            if y[a].min() == y[a].max():
                S_in[b, j] = y[a].mean()
                continue
            m = LogisticRegression(C=C, max_iter=1000).fit(F_in[a], y[a])
            S_in[b, j] = m.predict_proba(F_in[b])[:, 1]
        m = LogisticRegression(C=C, max_iter=1000).fit(F_in, y)
        S_te[:, j] = m.predict_proba(F_te)[:, 1]
    return S_in, S_te


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bases", nargs="*")
    ap.add_argument("--td", action="store_true", help="transductive: vectorizers fitted on train + outer-test texts")
    ap.add_argument("--combine", nargs="*", default=[])
    ap.add_argument("--prior", type=float, default=5.0)
    ap.add_argument("--mode", default="shrunk")
    ap.add_argument("--no-top", action="store_true")
    ap.add_argument("--stack", action="store_true")
    ap.add_argument("--weights", type=lambda v: [float(x) for x in v.split(",")])
    args = ap.parse_args()
    CACHE.mkdir(exist_ok=True)
    texts, Y, _ = load()
    for b in args.bases:
        compute_base(b, texts, Y, args.td)
    for spec in args.combine:
        evaluate(spec, texts, Y, args.prior, not args.no_top, args.mode, args.stack, args.weights)


if __name__ == "__main__":
    main()
