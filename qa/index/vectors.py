"""The vector index: exact inner-product search for small indexes, HNSW past `APPROX_MIN` chunks.

Cosine similarity is the inner product of unit vectors (the embedders return unit vectors), so
both kinds use FAISS's inner-product metric. Chunk ids are FAISS ids (``IndexIDMap2``) and are
added as 0..n-1 in order, so an index that grows by appending keeps every id it had.

Why HNSW and why these numbers (2 cores, 384-d vectors): exact search costs about 6 ms a query at
10^5 chunks and 56 ms at 10^6, growing linearly; IVF-Flat with nlist=4*sqrt(n) reached only
recall@10 .92 at nprobe=64 at 10^5, needs training, and its centroids go stale as an archive grows,
whereas HNSW needs no training and takes ``add()``. The parameters were chosen on real e5 vectors
(10^5 chunks of real text, 200 real questions, one thread) by a rule written before measuring:
recall@10 against exact search ≥ .98, then the fastest search, then the fastest build. M=32 with
efConstruction=40 reached only .943 / .968 at efSearch 512 / 1024 (5.1 / 8.5 ms); M=48 with
efConstruction=40 .973 / .985 (4.6 / 9.6 ms); M=48 with efConstruction=200 .986 / .995 (4.5 /
7.9 ms), for a graph build 4.5× longer (172 s against 38 s there). Below 50,000 chunks exact search
costs under 4 ms, so small indexes stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.config import approx_min_override

# Chunks from which the build makes an approximate index; QA_APPROX_MIN overrides it (tests
# build small approximate indexes with it).
APPROX_MIN = 50_000
HNSW_M = 48
EF_CONSTRUCTION = 200
EF_SEARCH = 512
# A filtered search whose allowed chunks are fewer than this is done exactly over just those
# vectors: cheap at that size, and a graph walk that may only collect a few allowed chunks
# would miss many of them.
EXACT_SUBSET_MAX = 20_000
# At most this much wider a graph walk for a filtered search (efSearch grows with how much the
# filter leaves out, so that enough allowed chunks are met on the way).
FILTER_EF_MAX = 4096


@dataclass(frozen=True)
class VectorIndexKind:
    """Which FAISS structure holds the vectors, as recorded in meta.json's ``vector_index``."""

    type: str = "flat"  # "flat" (exact) or "hnsw"
    M: int | None = None
    efConstruction: int | None = None
    efSearch: int | None = None

    def to_meta(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> VectorIndexKind:
        """The kind an index's meta.json records; indexes that record none are exact."""
        return cls(**meta.get("vector_index", {"type": "flat"}))

    def describe(self) -> str:
        return "exact" if self.type == "flat" else f"HNSW, M={self.M}, efSearch={self.efSearch}"


FLAT = VectorIndexKind()
HNSW = VectorIndexKind("hnsw", HNSW_M, EF_CONSTRUCTION, EF_SEARCH)


def approx_min() -> int:
    """The number of chunks from which indexes are approximate: `APPROX_MIN` or QA_APPROX_MIN."""
    override = approx_min_override()
    return APPROX_MIN if override is None else override


def choose_kind(n_chunks: int) -> VectorIndexKind:
    """Exact search below `approx_min` chunks, HNSW from there on."""
    return HNSW if n_chunks >= approx_min() else FLAT


def new_vector_index(kind: VectorIndexKind, dim: int) -> Any:
    """An empty ``IndexIDMap2`` of the given kind."""
    import faiss

    if kind.type == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if kind.type == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, kind.M, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = kind.efConstruction
        return faiss.IndexIDMap2(inner)
    raise ValueError(f"unknown vector index type {kind.type!r}")


def add_vectors(index: Any, vectors: np.ndarray, first_id: int, progress=None, batch: int = 20_000) -> None:
    """Append ``vectors`` with the ids first_id, first_id+1, ...; ``progress(n)`` after each batch
    (an HNSW graph takes minutes at 10^6 chunks)."""
    for a in range(0, len(vectors), batch):
        part = np.ascontiguousarray(vectors[a:a + batch], dtype=np.float32)
        index.add_with_ids(part, np.arange(first_id + a, first_id + a + len(part), dtype=np.int64))
        if progress is not None:
            progress(len(part))


def search_vectors(index: Any, kind: VectorIndexKind, queries: np.ndarray, k: int,
                   ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest chunk ids (and scores) of each query; ``ids`` limits them to those chunks.

    Each call passes its own search parameters, so concurrent searches never share a setting.
    """
    import faiss

    # One OpenMP thread (for this calling thread only, restored after): a team of two for one
    # question waits for a core that the encoder or another request holds. Measured on a busy
    # 2-core machine, 10^4 chunks exact: 36 ms with two threads, 0.25 ms with one.
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return _search(index, kind, np.ascontiguousarray(queries, dtype=np.float32), k, ids)
    finally:
        faiss.omp_set_num_threads(threads)


def _search(index: Any, kind: VectorIndexKind, queries: np.ndarray, k: int,
            ids: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    if ids is None:
        params = faiss.SearchParametersHNSW(efSearch=max(kind.efSearch, k)) if kind.type == "hnsw" else None
        return index.search(queries, k, params=params)
    if kind.type == "flat":
        return index.search(queries, k, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids)))
    if len(ids) <= EXACT_SUBSET_MAX:
        return _exact_over(index, queries, k, ids)
    widen = min(index.ntotal / max(len(ids), 1), FILTER_EF_MAX / kind.efSearch)
    ef = max(int(kind.efSearch * widen), k)
    params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBatch(ids), efSearch=ef)
    return index.search(queries, k, params=params)


def _exact_over(index: Any, queries: np.ndarray, k: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact search over the vectors of ``ids`` only, in FAISS's result layout (-1 pads)."""
    vectors = index.reconstruct_batch(ids)
    scores = queries @ vectors.T
    k_found = min(k, len(ids))
    top = np.argpartition(-scores, k_found - 1, axis=1)[:, :k_found] if k_found else np.zeros((len(queries), 0), int)
    out_s = np.full((len(queries), k), -np.inf, np.float32)
    out_i = np.full((len(queries), k), -1, np.int64)
    for row, cand in enumerate(top):
        order = cand[np.argsort(-scores[row, cand], kind="stable")]
        out_s[row, :k_found] = scores[row, order]
        out_i[row, :k_found] = ids[order]
    return out_s, out_i


def read_vectors(path) -> Any:
    """The vector index at ``path``, memory-mapped (faiss 1.15 maps flat and HNSW storage in place
    with IO_FLAG_MMAP_IFC): ready at once, and only the rows a search touches are read."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)


def storage_of(index: Any) -> Any:
    """The flat index that holds the vectors of ``index`` (for a bulk copy of them)."""
    import faiss

    inner = faiss.downcast_index(index.index)
    return faiss.downcast_index(inner.storage) if hasattr(inner, "storage") else inner


def read_vectors_for_update(path) -> Any:
    """The vector index at ``path`` read into memory, to add to it (a mapped one is read-only)."""
    import faiss

    return faiss.read_index(str(path))
