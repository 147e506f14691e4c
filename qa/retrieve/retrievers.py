"""Dense, BM25 and hybrid retrievers behind one interface: ``search(query, k) -> list[Hit]``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import numpy as np

from qa.index import Embedder, Index
from qa.index.chunk_store import chunk_ids_of
from qa.index.vectors import VectorIndexKind, search_vectors
from qa.records import Hit
from qa.retrieve.fusion import FUSION_DEPTH, HYBRID_FUSION, FusionParams, fuse
from qa.text.tokens import tokenize

RETRIEVERS = ("hybrid", "dense", "bm25")


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first; ``allowed`` limits them to those article ids."""
        ...


def _allowed_ids(index: Index, allowed: Collection[str] | None) -> np.ndarray | None:
    if allowed is None:
        return None
    return chunk_ids_of(index.chunks, allowed)


class DenseRetriever:
    """Nearest chunks by cosine similarity of e5 (or other) embeddings."""

    name = "dense"

    def __init__(self, index: Index, embedder: Embedder) -> None:
        if embedder.dim != index.vectors.d:
            raise ValueError(f"embedder dimension {embedder.dim} != index dimension {index.vectors.d}")
        self.index = index
        self.embedder = embedder
        self.kind = VectorIndexKind.from_meta(index.meta)  # exact or HNSW, and its search parameters

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        return self.search_chunks(query, k, _allowed_ids(self.index, allowed))

    def search_chunks(self, query: str, k: int, ids: np.ndarray | None) -> list[Hit]:
        """As `search`, limited to the chunk ids ``ids`` (None: all)."""
        n = self.index.vectors.ntotal if ids is None else len(ids)
        k = min(k, n)
        if k <= 0:
            return []
        q = self.embedder.embed_queries([query])
        scores, found = search_vectors(self.index.vectors, self.kind, q, k, ids)
        return [Hit(self.index.chunks[int(i)], float(s), self.name)
                for s, i in zip(scores[0], found[0]) if i >= 0]


class BM25Retriever:
    """Okapi BM25 (bm25s) over jieba search-mode tokens of the normalised chunk keys."""

    name = "bm25"

    def __init__(self, index: Index) -> None:
        self.index = index

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(len(self.index.chunks), np.float32)
        return np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        return self.search_chunks(query, k, _allowed_ids(self.index, allowed))

    def search_chunks(self, query: str, k: int, ids: np.ndarray | None) -> list[Hit]:
        """As `search`, limited to the chunk ids ``ids`` (None: all)."""
        scores = self.scores(query)
        if ids is not None:
            mask = np.full(len(scores), -np.inf, np.float32)
            mask[ids] = 0
            scores = scores + mask
        # A zero score means no query token occurs in the chunk: not a match at all. Only the
        # matches are ranked: NumPy's partition slows tenfold on an array of mostly equal zeros
        # (BM25 p50 at 10^6 chunks: 106 ms a query ranking every chunk, 4.5 ms ranking the matches).
        matched = np.flatnonzero(scores > 0)
        order = matched[_top(scores[matched], k)]
        return [Hit(self.index.chunks[int(i)], float(scores[i]), self.name) for i in order]


class HybridRetriever:
    """Dense and BM25 fused over a deeper candidate list (`qa.retrieve.fusion`, parameters chosen on
    training data by scripts/tune_fusion.py)."""

    name = "hybrid"

    def __init__(self, dense: DenseRetriever, bm25: BM25Retriever, params: FusionParams = HYBRID_FUSION,
                 depth: int = FUSION_DEPTH) -> None:
        self.dense, self.bm25 = dense, bm25
        self.params, self.depth = params, depth

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        depth = max(self.depth, k)
        # The chunks of the allowed articles, looked up once for both retrievers.
        ids = _allowed_ids(self.dense.index, allowed)
        dense = self.dense.search_chunks(query, depth, ids)
        sparse = self.bm25.search_chunks(query, depth, ids)
        fused = fuse(([h.chunk.id for h in dense], [h.score for h in dense]),
                     ([h.chunk.id for h in sparse], [h.score for h in sparse]), self.params)
        chunks = {h.chunk.id: h.chunk for h in dense + sparse}
        return [Hit(chunks[cid], score, self.name) for cid, score in fused[:k]]


def make_retriever(name: str, index: Index, embedder: Embedder | None = None) -> Retriever:
    """The retriever called ``name`` ("hybrid", "dense" or "bm25") over ``index``."""
    if name not in RETRIEVERS:
        raise ValueError(f"unknown retriever {name!r}; choose one of {', '.join(RETRIEVERS)}")
    if name == "bm25":
        return BM25Retriever(index)
    if embedder is None:
        from qa.index.embedders import load_embedder  # looked up when called: tests swap in a fake

        embedder = load_embedder(index.meta["embedder"])
    dense = DenseRetriever(index, embedder)
    return dense if name == "dense" else HybridRetriever(dense, BM25Retriever(index))


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` highest scores, best first, ties by position: what a stable sort
    of every score gives, without sorting a million of them (the k-th best bounds the candidates)."""
    if k <= 0 or len(scores) == 0:
        return np.zeros(0, np.int64)
    if k < len(scores):
        bound = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= bound)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]
