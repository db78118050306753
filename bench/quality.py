"""Quality harness: assisted coding, theme discovery and sentiment against NHS coders, beside simple baselines."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/quality.py`: make `engage` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from scipy.stats import spearmanr
from sklearn.cluster import KMeans
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import f1_score, normalized_mutual_info_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from bench.nhs_data import CodedComment, QualitySplit, data_path, quality_split

Row = tuple[str, str, str, str, float]  # section, method, figure 1, figure 2, seconds
EMBEDDING_CACHE = Path("/tmp/engage-embeddings/all-MiniLM-L6-v2.npz")


def _optional(module: str):
    """The module, or None when a colleague has not landed it yet (the section is then skipped)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _cpu_timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    """Wall and CPU seconds (all threads): on a shared machine the CPU figure is the comparable one."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


# -- assisted coding ---------------------------------------------------------------------------------
def _f1s(split: QualitySplit, predicted: Sequence[Sequence[str]]) -> tuple[float, float]:
    binarizer = MultiLabelBinarizer(classes=split.labels).fit([split.labels])
    truth = binarizer.transform([c.labels for c in split.test])
    guess = binarizer.transform([[p for p in row if p in set(split.labels)] for row in predicted])
    return (f1_score(truth, guess, average="micro", zero_division=0),
            f1_score(truth, guess, average="macro", zero_division=0))


def _baseline_svc(split: QualitySplit) -> list[tuple[str, ...]]:
    """TF-IDF + one-vs-rest LinearSVC, the recipe behind pxtextmining's published SVC."""
    binarizer = MultiLabelBinarizer(classes=split.labels)
    Y = binarizer.fit_transform([c.labels for c in split.train])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    X = vectorizer.fit_transform([c.text for c in split.train])
    model = OneVsRestClassifier(LinearSVC(class_weight="balanced", max_iter=10_000)).fit(X, Y)
    predicted = model.predict(vectorizer.transform([c.text for c in split.test]))
    return [tuple(split.labels[j] for j in np.flatnonzero(row)) for row in predicted]


class CachedEmbedder:
    """Wraps an embedder with a cache on disk (kept in /tmp, never in the repository), so that repeated
    runs of the harness embed each comment once."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], path: Path) -> None:
        self.embed = embed
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path) as stored:
                self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"]))

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            by_key = dict(zip(keys, texts))
            self.vectors.update(zip(missing, self.embed([by_key[k] for k in missing])))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, keys=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))
        return np.stack([self.vectors[k] for k in keys])


def _question(comments: Sequence[CodedComment]) -> list[tuple[str, ...]]:
    return [(f"question:{c.question}",) for c in comments]


def _cached_embedder() -> CachedEmbedder | None:
    """The optional tier's embedder behind the disk cache, or None when requirements-embeddings.txt is not installed."""
    embeddings = _optional("engage.analysis.embeddings")
    if embeddings is None or not embeddings.embeddings_available():
        return None
    return CachedEmbedder(embeddings.SentenceEmbedder(), EMBEDDING_CACHE)


_NO_EMBEDDINGS = "skipped: not installed (pip install -r requirements-embeddings.txt)"


def _fit_and_score(split: QualitySplit, name: str, coder, with_question: bool = False) -> Row:
    """``with_question`` gives the coder the question each comment answers, as Engage's review workspace does."""
    train_contexts = _question(split.train) if with_question else None
    test_contexts = _question(split.test) if with_question else None
    _, fit_seconds, fit_cpu = _cpu_timed(
        lambda: coder.fit([c.text for c in split.train], [c.labels for c in split.train], train_contexts))
    predicted, predict_seconds, predict_cpu = _cpu_timed(
        lambda: coder.predict([c.text for c in split.test], test_contexts))
    micro, macro = _f1s(split, predicted)
    return ("coding", f"{name} (fit {fit_seconds:.1f}s wall/{fit_cpu:.1f}s CPU, "
            f"predict {predict_seconds:.1f}s/{predict_cpu:.1f}s)",
            f"micro-F1 {micro:.3f}", f"macro-F1 {macro:.3f}", fit_seconds + predict_seconds)


def coding_rows(split: QualitySplit, n_jobs: int) -> list[Row]:
    rows: list[Row] = []
    predicted, seconds = _timed(lambda: _baseline_svc(split))
    micro, macro = _f1s(split, predicted)
    rows.append(("coding", "baseline TF-IDF + OvR LinearSVC", f"micro-F1 {micro:.3f}", f"macro-F1 {macro:.3f}", seconds))
    coding = _optional("engage.analysis.coding")
    if coding is None:
        return rows + [("coding", "AssistedCoder", "skipped: engage.analysis.coding not available yet", "", 0.0)]
    rows.append(_fit_and_score(split, "AssistedCoder", coding.AssistedCoder(random_state=0, n_jobs=n_jobs)))
    # The baseline reads text alone; this row is the same model told which question each comment answers.
    rows.append(_fit_and_score(split, "AssistedCoder + question", coding.AssistedCoder(random_state=0, n_jobs=n_jobs),
                               with_question=True))
    embed = _cached_embedder()
    if embed is None:
        return rows + [("coding", "AssistedCoder + embeddings", _NO_EMBEDDINGS, "", 0.0)]
    # Embedding time is counted the first time only: later runs read the vectors from the cache.
    rows.append(_fit_and_score(split, "AssistedCoder + embeddings",
                               coding.AssistedCoder(random_state=0, n_jobs=n_jobs, embeddings=embed)))
    rows.append(_fit_and_score(split, "AssistedCoder + embeddings + question",
                               coding.AssistedCoder(random_state=0, n_jobs=n_jobs, embeddings=embed), with_question=True))
    return rows


def codebook_rows(split: QualitySplit, n_examples: int = 5) -> list[Row]:
    """Codebook following as a reviewer would set it up: the code names plus a few coded examples."""
    codebook = _optional("engage.analysis.codebook")
    if codebook is None:
        return [("codebook", "apply_codebook", "skipped: engage.analysis.codebook not available yet", "", 0.0)]
    examples: dict[str, list[str]] = {label: [] for label in split.labels}
    for comment in split.train:  # first examples in training order: no peeking at the test split
        for label in comment.labels:
            if len(examples[label]) < n_examples:
                examples[label].append(comment.text)
    rows: list[Row] = []
    for name, themes in (
        ("names only", [codebook.CodebookTheme(label) for label in split.labels]),
        (f"names + {n_examples} examples", [codebook.CodebookTheme(label, examples=tuple(examples[label]))
                                           for label in split.labels]),
    ):
        result, seconds = _timed(lambda: codebook.apply_codebook([c.text for c in split.test], themes))
        micro, macro = _f1s(split, [[n for n, _ in match] for match in result])
        rows.append(("codebook", f"apply_codebook, {name}", f"micro-F1 {micro:.3f}", f"macro-F1 {macro:.3f}",
                     seconds))
    return rows


# -- theme discovery ---------------------------------------------------------------------------------
def _nmi_and_purity(clusters: Sequence[object], labels: Sequence[tuple[str, ...]]) -> tuple[float, float]:
    """NMI of each doc's cluster against its first human label, and multi-label purity: the share
    of docs whose cluster's majority label (counting every label of its members) is among their own."""
    nmi = normalized_mutual_info_score([ls[0] for ls in labels], [str(c) for c in clusters])
    per_cluster: dict[object, Counter[str]] = {}
    for cluster, doc_labels in zip(clusters, labels):
        per_cluster.setdefault(cluster, Counter()).update(doc_labels)
    majority = {c: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] for c, counts in per_cluster.items()}
    purity = float(np.mean([majority[c] in doc_labels for c, doc_labels in zip(clusters, labels)]))
    return nmi, purity


def discovery_rows(split: QualitySplit, seed: int = 42) -> list[Row]:
    # Discovery is unsupervised, so it is scored on every kept comment, train and test alike.
    comments = [*split.train, *split.test]
    texts = [c.text for c in comments]
    labels = [c.labels for c in comments]
    k = len(split.labels)
    rows: list[Row] = []

    def kmeans() -> list[int]:
        X = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(texts)
        return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(X).tolist()

    def lda() -> list[int]:
        X = CountVectorizer(stop_words="english", min_df=2).fit_transform(texts)
        model = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=20)
        return model.fit_transform(X).argmax(axis=1).tolist()

    themes = _optional("engage.analysis.themes")
    if themes is None:
        rows.append(("discovery", "discover_themes", "skipped: engage.analysis.themes not available yet", "", 0.0))
    else:
        embed = _cached_embedder()
        for name, embeddings in (("discover_themes", None), ("discover_themes + embeddings", embed)):
            if name.endswith("embeddings") and embed is None:
                rows.append(("discovery", name, _NO_EMBEDDINGS, "", 0.0))
                continue
            result, seconds = _timed(
                lambda: themes.discover_themes(texts, n_themes=k, random_state=seed, embeddings=embeddings))
            clusters = [m[0][0] if m else "other" for m in result.memberships]
            nmi, purity = _nmi_and_purity(clusters, labels)
            other = clusters.count("other") / len(clusters)
            rows.append(("discovery", f"{name} K={k} ({other:.0%} other)", f"NMI {nmi:.3f}",
                         f"purity {purity:.3f}", seconds))
    for name, fn in ((f"TF-IDF + KMeans K={k}", kmeans), (f"sklearn LDA K={k}", lda)):
        clusters, seconds = _timed(fn)
        nmi, purity = _nmi_and_purity(clusters, labels)
        rows.append(("discovery", name, f"NMI {nmi:.3f}", f"purity {purity:.3f}", seconds))
    return rows


# -- sentiment ---------------------------------------------------------------------------------------
def _coder_class(score: int) -> str:
    return "positive" if score <= 2 else "neutral" if score == 3 else "negative"


def sentiment_rows(split: QualitySplit) -> list[Row]:
    sentiment = _optional("engage.analysis.sentiment")
    if sentiment is None:
        return [("sentiment", "VADER compound", "skipped: engage.analysis.sentiment not available yet", "", 0.0)]
    comments = [c for c in (*split.train, *split.test) if c.sentiment is not None]
    scores, seconds = _timed(lambda: sentiment.score_sentiment([c.text for c in comments]))
    coder = np.array([c.sentiment for c in comments])
    # Coders use 1 = very positive ... 5 = very negative, so agreement means -compound rises with it.
    rho = spearmanr(-np.array(scores), coder).statistic
    ours = [sentiment.label_sentiment(s) for s in scores]
    accuracy = float(np.mean([o == _coder_class(c) for o, c in zip(ours, coder)]))
    return [("sentiment", f"VADER compound vs coder 1-5 (n={len(comments)})", f"Spearman {rho:.3f}",
             f"3-class acc {accuracy:.3f}", seconds)]


# -- report ------------------------------------------------------------------------------------------
def print_table(rows: Sequence[Row]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    header = ("section", "method", "figure", "figure")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  seconds"
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row[:4], widths)) + f"  {row[4]:7.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="phase2_multilabel_compact.csv (default: $ENGAGE_NHS_DATA or ../shared/data)")
    parser.add_argument("--skip-coding", action="store_true")
    parser.add_argument("--skip-codebook", action="store_true")
    parser.add_argument("--skip-discovery", action="store_true")
    parser.add_argument("--skip-sentiment", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=2, help="processes for AssistedCoder's per-code fits (the figures do not depend on it)")
    args = parser.parse_args(argv)

    path = data_path(args.data)
    if not path.is_file():
        print(f"quality: data file not found: {path}", file=sys.stderr)
        return 2
    split = quality_split(path)
    print(f"data: {path}\nsplit: {len(split.train)} train / {len(split.test)} test comments, "
          f"{len(split.labels)} labels (>= 10 examples), test_size=0.25, random_state=42\n")
    rows: list[Row] = []
    for skip, section in ((args.skip_coding, lambda: coding_rows(split, args.n_jobs)),
                          (args.skip_codebook, lambda: codebook_rows(split)),
                          (args.skip_discovery, lambda: discovery_rows(split)),
                          (args.skip_sentiment, lambda: sentiment_rows(split))):
        if not skip:
            rows.extend(section())
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
