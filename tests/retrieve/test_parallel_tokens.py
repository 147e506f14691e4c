"""BM25 tokenising over several processes (jieba is single-threaded) gives the tokens, and so the
BM25 index, that one process gives."""

from __future__ import annotations

import numpy as np

import qa.text.tokens as tokens
from qa.config import Settings
from qa.index import build, load_index
from qa.text.tokens import tokenize, tokenize_many


def test_tokens_from_a_pool_equal_those_of_one_process(monkeypatch, small_corpus):
    texts = [p.read_text(encoding="utf-8") for p in sorted(small_corpus.glob("*.md"))]
    texts = [line for t in texts for line in t.splitlines() if line.strip()] * 3
    monkeypatch.setattr(tokens, "PARALLEL_MIN", 10)
    monkeypatch.setattr(tokens, "_SHARE", 7)  # many small tasks: their order must not matter
    assert tokenize_many(texts, processes=2) == [tokenize(t) for t in texts]
    assert tokenize_many([], processes=2) == []


def test_a_build_tokenised_in_parallel_is_the_same_index(monkeypatch, small_corpus, tmp_path, fake_embedder):
    serial = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "serial")
    build(serial, quiet=True)
    monkeypatch.setattr(tokens, "PARALLEL_MIN", 1)
    monkeypatch.setattr("qa.index.builder.usable_cores", lambda: 2)
    parallel = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "parallel")
    build(parallel, quiet=True)
    a, b = load_index(serial.index_dir), load_index(parallel.index_dir)
    query = [tokenize("淄川区政协会议应到委员多少名")]
    assert len(a.chunks) == len(b.chunks)
    assert np.array_equal(a.bm25.get_scores(query[0]), b.bm25.get_scores(query[0]))
