"""Index save/load and the three retrievers, over a small corpus with the fake embedder."""

from __future__ import annotations

import json

import pytest

from qa.config import Settings
from qa.errors import IndexMissingError, IndexStaleError
from qa.index import build, ensure_index, live_dir, load_index
from qa.retrieve import RETRIEVERS, FusionParams, fuse, make_retriever

QUERIES = ["淄川区政协会议应到委员多少名", "济南淄博同城化协议在哪里签订", "臨淄區新建保障性住房多少套", "政府工作报告"]


@pytest.fixture
def built(small_corpus, tmp_path, fake_embedder):
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")
    index, _ = build(settings, quiet=True)
    return settings, index


@pytest.mark.parametrize("name", RETRIEVERS)
def test_save_load_search_gives_what_searching_in_memory_gave(built, fake_embedder, name):
    settings, index = built
    loaded = load_index(settings.index_dir)
    assert loaded.chunks == index.chunks and loaded.articles == index.articles
    for q in QUERIES:
        a = make_retriever(name, index, fake_embedder).search(q, 5)
        b = make_retriever(name, loaded, fake_embedder).search(q, 5)
        assert [(h.chunk.id, round(h.score, 5)) for h in a] == [(h.chunk.id, round(h.score, 5)) for h in b]


@pytest.mark.parametrize("name", RETRIEVERS)
def test_retrievers_rank_best_first_and_respect_k_and_filters(built, fake_embedder, name):
    _, index = built
    retriever = make_retriever(name, index, fake_embedder)
    for q in QUERIES:
        hits = retriever.search(q, 3)
        assert len(hits) <= 3
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len({h.chunk.id for h in hits}) == len(hits)
    some = sorted(index.articles)[:1]
    for q in QUERIES:
        assert all(h.chunk.article_id in some for h in retriever.search(q, 10, allowed=some))
    assert retriever.search(QUERIES[0], 0) == []
    assert retriever.search(QUERIES[0], 10_000)  # k above the corpus size is clamped


def test_bm25_matches_traditional_question_to_simplified_article(built):
    _, index = built
    hits = make_retriever("bm25", index).search("淄川區政協會議應到委員多少名", 1)
    assert hits and "248名" in index.articles[hits[0].chunk.article_id].text


def test_bm25_drops_chunks_without_any_query_word(built):
    _, index = built
    assert make_retriever("bm25", index).search("完全无关的火星探测器着陆", 5) == []


@pytest.mark.parametrize("k", [1, 3, 10, 1000])
def test_bm25_hits_are_the_stable_sort_of_every_matching_chunk(built, k):
    # The invariant behind ranking only the matches: the same hits, in the same order (ties by
    # position), as sorting every positive score; a filter keeps the allowed chunks' order.
    _, index = built
    retriever = make_retriever("bm25", index)
    some = sorted(index.articles)[::2]
    for q in QUERIES + ["的 了 是", "报告"]:
        scores = retriever.scores(q)
        for allowed in (None, some):
            ok = [i for i in range(len(scores)) if scores[i] > 0
                  and (allowed is None or index.chunks[i].article_id in allowed)]
            expected = sorted(ok, key=lambda i: -scores[i])[:k]
            assert [h.chunk.id for h in retriever.search(q, k, allowed=allowed)] == expected


def test_rrf_is_weighted_reciprocal_rank():
    fused = dict(fuse(([1, 2, 3], [0.9, 0.8, 0.7]), ([3, 1], [5.0, 2.0]), FusionParams("rrf", 2 / 3, 60)))
    assert fused[1] == pytest.approx((2 / 3) / 61 + (1 / 3) / 62)
    assert fused[3] == pytest.approx((2 / 3) / 63 + (1 / 3) / 61)
    assert fused[2] == pytest.approx((2 / 3) / 62)


def test_missing_index_names_the_fix(tmp_path):
    with pytest.raises(IndexMissingError, match="run `qa build`"):
        load_index(tmp_path / "nothing")


def test_damaged_index_names_the_fix(built):
    settings, _ = built
    (live_dir(settings.index_dir) / "chunks.sqlite").write_text("{broken\n", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="qa build --full"):
        load_index(settings.index_dir)


def test_index_from_other_format_names_the_fix(built):
    settings, _ = built
    meta = live_dir(settings.index_dir) / "meta.json"
    data = json.loads(meta.read_text())
    data["format_version"] = 999
    meta.write_text(json.dumps(data))
    with pytest.raises(IndexStaleError, match="qa build --full"):
        load_index(settings.index_dir)


def test_stale_index_is_rebuilt_by_ensure_index(built, capsys):
    settings, index = built
    extra = settings.corpus_dir / "new.txt"
    extra.write_text("新文章\n聊城市向彭水捐赠价值50万元物资。", encoding="utf-8")
    fresh = ensure_index(settings)
    assert "new" in fresh.articles and "new" not in index.articles
    assert "other articles" in capsys.readouterr().err
    assert ensure_index(settings).path == fresh.path  # fresh now: loaded, not rebuilt
