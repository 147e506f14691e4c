"""Filters and the article list answered from an index's store (SQL over its outlet and date indexes)
give what filtering the articles in memory gives, for any filter; the build records the outlets and
the date range so that the page and the API need not read the articles for them."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from qa.index.chunk_store import open_store, write_store
from qa.records import Article, Chunk
from qa.retrieve import (
    ArticleFilter,
    FilterError,
    allowed_ids,
    article_filter,
    date_range,
    index_dates,
    index_outlets,
    newest_first,
    sources,
)

OUTLETS = ["大众日报", "聊城日报", "淄博日报", "齐鲁晚报"]


def archive(n: int, seed: int = 7) -> list[Article]:
    """Articles with repeated dates and titles (ties), and some without outlet or date; every
    tenth starts a reprint group of three (its first member canonical)."""
    rng = random.Random(seed)
    out = [Article(f"a{i:04d}", f"标题{rng.randint(0, 40)}", f"正文{i}。", f"news/{i}.md",
                   rng.choice([None, *OUTLETS]), rng.choice([None, f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]))
           for i in range(n)]
    for i in range(0, n - 2, 10):
        group = tuple(a.id for a in out[i:i + 3])
        out[i:i + 3] = [replace(a, reprints=group) for a in out[i:i + 3]]
    return out


def listed_stories(articles, f) -> int:
    """What the list counts: with no outlet chosen, one row per story."""
    return sum(f.admits(a) and (bool(f.sources) or a.canonical == a.id) for a in articles)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    articles = archive(600)
    path = tmp_path_factory.mktemp("store") / "chunks.sqlite"
    write_store(path, [Chunk(i, a.id, 0, len(a.text), a.text) for i, a in enumerate(articles)], articles)
    _, table = open_store(path, "The index in test")
    return articles, table


def random_filters(n: int, seed: int = 3):
    rng = random.Random(seed)
    for _ in range(n):
        chosen = rng.sample(OUTLETS, rng.randint(0, 2))
        low = rng.choice([None, "", f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"])
        high = rng.choice([None, f"2024/{rng.randint(1, 9)}/1{rng.randint(0, 9)}"])
        yield chosen, low, high


def test_allowed_ids_from_the_store_equal_those_from_the_articles(stored):
    articles, table = stored
    for chosen, low, high in random_filters(200):
        try:
            expected = allowed_ids(articles, chosen, low, high)
        except FilterError as err:
            with pytest.raises(FilterError, match=str(err)[:20]):
                allowed_ids(table, chosen, low, high)
            continue
        assert allowed_ids(table, chosen, low, high) == expected


@pytest.mark.parametrize("limit", [1, 7, 200, 1000])
def test_the_newest_listed_from_the_store_equal_those_sorted_in_memory(stored, limit):
    articles, table = stored
    for chosen, low, high in random_filters(60):
        try:
            f = article_filter(chosen, low, high)
        except FilterError:
            continue
        got, total = newest_first(table, f, limit)
        want, want_total = newest_first(articles, f, limit)
        assert total == want_total == listed_stories(articles, f)
        assert len(got) == min(limit, total)
        wanted = {x.id: x.also_in for x in want}  # ties may pick other rows: compare those in both
        assert all(x.also_in == wanted[x.id] for x in got if x.id in wanted)
        # Order: date descending (undated last), then title descending; ties may come in either order.
        assert [(x.date, x.title) for x in got] == [(x.date, x.title) for x in want]
        assert all(f.admits(articles[int(x.id[1:])]) for x in got)


def test_an_open_filter_lists_everything_newest_first(stored):
    articles, table = stored
    got, total = newest_first(table, ArticleFilter(), 10**6)
    stories = [a for a in articles if a.canonical == a.id]
    assert total == len(stories) and {x.id for x in got} == {a.id for a in stories}
    keys = [(x.date or "", x.title) for x in got]
    assert keys == sorted(keys, reverse=True)


def test_a_story_is_listed_once_with_the_outlets_of_its_reprints(stored):
    articles, table = stored
    got, _ = newest_first(table, ArticleFilter(), 10**6)
    by_id = {a.id: a for a in articles}
    for x in got:
        others = {by_id[m].source for m in by_id[x.id].reprints if m != x.id} - {None, x.source}
        assert set(x.also_in) == others
    # Choosing an outlet lists its own copies too, each naming the others.
    copy = next(a for a in articles if a.reprints and a.canonical != a.id and a.source)
    chosen, _ = newest_first(table, ArticleFilter(frozenset({copy.source})), 10**6)
    assert copy.id in {x.id for x in chosen}


def test_the_build_records_outlets_and_dates_and_they_are_used(small_corpus, tmp_path, fake_embedder, monkeypatch):
    from qa.config import Settings
    from qa.index import build, load_index

    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")
    build(settings, quiet=True)
    index = load_index(settings.index_dir)
    in_memory = list(index.articles.values())
    assert index.meta["outlets"] == sources(in_memory)
    assert tuple(index.meta["dates"]) == date_range(in_memory)

    # Recorded: answered without reading a single article.
    monkeypatch.setattr(type(index.articles), "values", lambda self: pytest.fail("articles were read"))
    assert index_outlets(index) == sources(in_memory)
    assert index_dates(index) == date_range(in_memory)


def test_an_index_built_before_the_record_reads_its_articles(small_corpus, tmp_path, fake_embedder):
    from dataclasses import replace

    from qa.config import Settings
    from qa.index import build

    index, _ = build(Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx"), quiet=True)
    old = replace(index, meta={k: v for k, v in index.meta.items() if k not in ("outlets", "dates")})
    assert index_outlets(old) == index.meta["outlets"]
    assert list(index_dates(old)) == index.meta["dates"]
