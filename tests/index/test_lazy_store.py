"""The lazy chunk and article store: it gives back exactly what was written, behaves like the list
and dict it replaces, answers filters from its own index, serves threads at once, and an index in
the older JSON-lines format is reported in one sentence and rebuilt."""

from __future__ import annotations

import io
import json
import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa.config import Settings
from qa.errors import IndexStaleError
from qa.index import FORMAT_VERSION, build, live_dir, load_index
from qa.index.chunk_store import ArticleTable, ChunkTable, chunk_ids_of, open_store, write_store
from qa.records import Article, Chunk


def archive(n_articles: int, seed: int = 0) -> tuple[dict[str, Article], list[Chunk]]:
    """Articles of 1 to 4 chunks, with the optional fields sometimes missing."""
    rng = random.Random(seed)
    articles: dict[str, Article] = {}
    chunks: list[Chunk] = []
    for a in range(n_articles):
        parts = [f"第{a}篇第{p}句，" + "新闻" * rng.randint(1, 30) + "。" for p in range(rng.randint(1, 4))]
        text = "".join(parts)
        aid = f"a-{a:05d}"
        articles[aid] = Article(aid, f"标题{a}", text, f"news/{aid}.md", rng.choice([None, "日报", "晚报"]),
                                rng.choice([None, f"2024-01-{a % 28 + 1:02d}"]), None)
        start = 0
        for p in parts:
            chunks.append(Chunk(len(chunks), aid, start, start + len(p), p))
            start += len(p)
    return articles, chunks


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[dict[str, Article], list[Chunk], ChunkTable, ArticleTable]:
    articles, chunks = archive(1_200)
    path = tmp_path_factory.mktemp("store") / "chunks.sqlite"
    write_store(path, chunks, articles.values())
    lazy_chunks, lazy_articles = open_store(path, "The index in test")
    return articles, chunks, lazy_chunks, lazy_articles


def test_it_gives_back_what_was_written_as_the_list_and_dict_would(stored):
    articles, chunks, lazy_chunks, lazy_articles = stored
    assert len(lazy_chunks) == len(chunks) and lazy_chunks == chunks and list(lazy_chunks) == chunks
    assert lazy_chunks[-1] == chunks[-1] and lazy_chunks[5:9] == chunks[5:9]
    for i in random.Random(1).sample(range(len(chunks)), 50):
        assert lazy_chunks[i] == chunks[i]
    with pytest.raises(IndexError):
        lazy_chunks[len(chunks)]
    assert len(lazy_articles) == len(articles) and lazy_articles == articles
    assert list(lazy_articles) == list(articles) and list(lazy_articles.values()) == list(articles.values())
    assert dict(lazy_articles.items()) == articles and len(lazy_articles.values()) == len(articles)
    assert "a-00007" in lazy_articles and "nope" not in lazy_articles and lazy_articles.get("nope") is None
    with pytest.raises(KeyError):
        lazy_articles["nope"]
    # Offsets survive the round trip: every chunk is still the slice of its article.
    assert all(lazy_articles[c.article_id].text[c.start:c.end] == c.text for c in lazy_chunks)


def test_chunk_ids_of_articles_match_a_scan_of_every_chunk(stored):
    articles, chunks, lazy_chunks, _ = stored
    rng = random.Random(2)
    for size in (0, 1, 7, 499, 501, 1_100):  # across the batches of 500 parameters
        allowed = set(rng.sample(sorted(articles), size)) | {"not-an-article"}
        np.testing.assert_array_equal(chunk_ids_of(lazy_chunks, allowed), chunk_ids_of(chunks, allowed))


def test_threads_read_it_at_the_same_time(stored):
    articles, chunks, lazy_chunks, lazy_articles = stored
    picks = random.Random(3).choices(range(len(chunks)), k=2_000)

    def read(i: int) -> bool:
        c = lazy_chunks[i]
        return c == chunks[i] and lazy_articles[c.article_id] == articles[c.article_id]

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(read, picks))


@pytest.fixture
def settings(small_corpus, tmp_path, fake_embedder) -> Settings:
    return Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")


def test_a_loaded_index_reads_its_store_lazily_and_answers_as_the_built_one(settings):
    built, _ = build(settings, quiet=True)
    loaded = load_index(settings.index_dir)
    assert isinstance(loaded.chunks, ChunkTable) and isinstance(loaded.articles, ArticleTable)
    assert loaded.meta["format_version"] == FORMAT_VERSION
    assert loaded.chunks == built.chunks and loaded.articles == built.articles


def test_an_index_in_the_older_format_is_reported_and_rebuilt(settings):
    build(settings, quiet=True)
    version = live_dir(settings.index_dir)
    meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    (version / "meta.json").write_text(json.dumps({**meta, "format_version": 1}), encoding="utf-8")
    with pytest.raises(IndexStaleError, match=r"has format 1, this version of qa reads format "
                                              rf"{FORMAT_VERSION}; run `qa build --full` to rebuild it\.$"):
        load_index(settings.index_dir)
    out = io.StringIO()
    _, summary = build(settings, out=out)
    assert summary.written and "has format 1" in out.getvalue()
    assert load_index(settings.index_dir).meta["format_version"] == FORMAT_VERSION
