"""Approximate vector search past a threshold: small indexes stay exact, large ones are HNSW with
recall@10 close to exact search, meta.json records which, filtered search keeps to the filter,
and an archive that grows at the end keeps every chunk id while its graph is extended."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import LIBRARY_ARTICLE as NEW_ARTICLE

import qa.index.vectors
from qa.config import Settings
from qa.errors import QAError
from qa.index import build, load_index, vectors_of
from qa.index.vectors import (
    EF_CONSTRUCTION,
    EF_SEARCH,
    FLAT,
    HNSW,
    HNSW_M,
    add_vectors,
    approx_min,
    choose_kind,
    new_vector_index,
    search_vectors,
    storage_of,
)
from qa.retrieve import make_retriever


def shaped_vectors(n: int, dim: int = 64) -> np.ndarray:
    """Unit vectors with the structure of text embeddings (a shared direction, a few strong
    components, a little noise everywhere), not uniform noise in which no neighbour is near."""
    rng = np.random.default_rng(0)
    shared = rng.standard_normal(dim)
    strong = rng.standard_normal((12, dim)) * np.linspace(1.0, 0.2, 12)[:, None]
    x = shared + rng.standard_normal((n, 12)) @ strong + 0.3 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def index_of(kind, vectors):
    index = new_vector_index(kind, vectors.shape[1])
    add_vectors(index, vectors, 0)
    return index


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a[a >= 0]) & set(b[b >= 0])) / max(len(b[b >= 0]), 1)
                          for a, b in zip(found, truth)]))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    vectors = shaped_vectors(20_200)  # chunks and questions from one distribution
    return vectors[:20_000], vectors[20_000:]


@pytest.fixture(scope="module")
def exact(data):
    return index_of(FLAT, data[0])


@pytest.fixture(scope="module")
def approximate(data):
    return index_of(HNSW, data[0])


def test_recall_at_10_against_exact_search(data, exact, approximate):
    _, queries = data
    _, truth = search_vectors(exact, FLAT, queries, 10)
    scores, found = search_vectors(approximate, HNSW, queries, 10)
    assert recall(found, truth) >= 0.97
    # What it returns is what it says: true cosines of those chunks, best first.
    true = np.einsum("qd,qkd->qk", queries, data[0][found])
    np.testing.assert_allclose(scores, true, atol=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all()


@pytest.mark.parametrize("share", [0.003, 0.5])
def test_filtered_search_returns_only_allowed_chunks_and_finds_the_best_of_them(data, exact, approximate, share,
                                                                              monkeypatch):
    # 0.003: few enough chunks to search exactly; 0.5 with the exact route closed: the graph walk
    # with a selector.
    monkeypatch.setattr(qa.index.vectors, "EXACT_SUBSET_MAX", 1_000)
    vectors, queries = data
    rng = np.random.default_rng(2)
    ids = np.sort(rng.choice(len(vectors), int(len(vectors) * share), replace=False)).astype(np.int64)
    _, truth = search_vectors(exact, FLAT, queries, 10, ids)
    scores, found = search_vectors(approximate, HNSW, queries, 10, ids)
    assert np.isin(found[found >= 0], ids).all()
    assert (found >= 0).all()  # as many as asked for: there are more than 10 allowed chunks
    assert recall(found, truth) >= (1.0 if share < 0.01 else 0.95)


def test_threshold_chooses_exact_below_and_hnsw_from_it(monkeypatch):
    monkeypatch.delenv("QA_APPROX_MIN", raising=False)
    assert approx_min() == qa.index.vectors.APPROX_MIN
    assert choose_kind(approx_min() - 1) == FLAT and choose_kind(approx_min()) == HNSW
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    assert choose_kind(9) == FLAT and choose_kind(10) == HNSW
    monkeypatch.setenv("QA_APPROX_MIN", "many")
    with pytest.raises(QAError, match=r"^QA_APPROX_MIN must be a whole number.*unset it\.$"):
        choose_kind(10)


@pytest.fixture
def settings(small_corpus, tmp_path, fake_embedder) -> Settings:
    return Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")


def kind_of(index) -> str:
    import faiss

    return type(faiss.downcast_index(index.vectors.index)).__name__


def test_a_small_index_stays_exact(settings, monkeypatch):
    monkeypatch.delenv("QA_APPROX_MIN", raising=False)
    index, _ = build(settings, quiet=True)
    loaded = load_index(settings.index_dir)
    assert loaded.meta["vector_index"] == {"type": "flat"} and kind_of(loaded) == "IndexFlatIP"


def test_past_the_threshold_the_build_makes_hnsw_says_so_and_records_it(settings, monkeypatch):
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    out = io.StringIO()
    index, summary = build(settings, out=out)
    assert f"Building the approximate vector index ({HNSW.describe()}) over {summary.chunks} chunks" \
        in out.getvalue()
    loaded = load_index(settings.index_dir)
    assert loaded.meta["vector_index"] == {"type": "hnsw", "M": HNSW_M, "efConstruction": EF_CONSTRUCTION,
                                           "efSearch": EF_SEARCH}
    assert kind_of(loaded) == "IndexHNSWFlat"
    np.testing.assert_array_equal(vectors_of(loaded), vectors_of(index))
    # Every chunk finds itself first through the loaded (memory-mapped) graph: ids are right.
    vectors = vectors_of(loaded)
    _, found = search_vectors(loaded.vectors, HNSW, vectors, 1)
    assert (found[:, 0] == np.arange(len(vectors))).all()


def test_filtered_dense_search_keeps_to_the_filter_on_an_approximate_index(settings, monkeypatch, fake_embedder):
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    build(settings, quiet=True)
    index = load_index(settings.index_dir)
    dense = make_retriever("dense", index, fake_embedder)
    [some] = sorted(index.articles)[:1]
    hits = dense.search("政府工作报告", 10, allowed={some})
    assert hits and {h.chunk.article_id for h in hits} == {some}
    assert len(hits) == min(10, sum(c.article_id == some for c in index.chunks))


def test_an_archive_that_grows_at_the_end_keeps_its_ids_and_extends_the_graph(settings, monkeypatch):
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    before, _ = build(settings, quiet=True)
    (settings.corpus_dir / "zz-library.md").write_text(NEW_ARTICLE, encoding="utf-8")  # sorts last
    out = io.StringIO()
    after, summary = build(settings, out=out)
    added = summary.chunks - len(before.chunks)
    assert added > 0 and summary.chunks_embedded == added
    assert (f"Adding {added} chunks to the approximate vector index ({HNSW.describe()}); "
            f"the other {len(before.chunks)} keep their place in it.") in out.getvalue()
    assert "Building the approximate" not in out.getvalue()
    loaded = load_index(settings.index_dir)
    assert list(loaded.chunks)[: len(before.chunks)] == list(before.chunks)
    vectors = vectors_of(loaded)
    np.testing.assert_array_equal(vectors[: len(before.chunks)], vectors_of(before))
    _, found = search_vectors(loaded.vectors, HNSW, vectors, 1)
    assert (found[:, 0] == np.arange(len(vectors))).all()
    assert storage_of(loaded.vectors).ntotal == len(loaded.chunks)


def test_a_change_before_the_end_rebuilds_the_graph_and_says_why(settings, monkeypatch):
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    build(settings, quiet=True)
    (settings.corpus_dir / "0-library.md").write_text(NEW_ARTICLE, encoding="utf-8")  # sorts first
    out = io.StringIO()
    _, summary = build(settings, out=out)
    assert summary.chunks_reused > 0  # the vectors are reused; only the graph is built again
    assert (f"over {summary.chunks} chunks: chunks before the end were removed or changed, "
            "and a graph cannot drop them.") in out.getvalue()
    loaded = load_index(settings.index_dir)
    vectors = vectors_of(loaded)
    _, found = search_vectors(loaded.vectors, HNSW, vectors, 1)
    assert (found[:, 0] == np.arange(len(vectors))).all()


def test_falling_below_the_threshold_goes_back_to_exact(settings, monkeypatch):
    monkeypatch.setenv("QA_APPROX_MIN", "10")
    build(settings, quiet=True)
    monkeypatch.setenv("QA_APPROX_MIN", "100000")
    build(settings, quiet=True)  # nothing else changed, but the kind of index did: no shortcut
    loaded = load_index(settings.index_dir)
    assert loaded.meta["vector_index"] == {"type": "flat"} and kind_of(loaded) == "IndexFlatIP"
