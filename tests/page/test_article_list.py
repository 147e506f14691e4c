"""The page's article list at archive scale: opening the page reads no article and no corpus file;
the list shows the newest LIST_ROWS under the filters and says how many match; a row opens its
article."""

from __future__ import annotations

import json

import pytest

import qa.index.builder
from qa.config import Settings
from qa.index import build
from qa.index.chunk_store import ArticleTable

OUTLETS = ["青石日报", "青石晚报"]


@pytest.fixture
def archive_settings(tmp_path, fake_embedder):
    import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    n = app.LIST_ROWS + 40
    with (corpus / "archive.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n):
            record = {"id": f"n{i:04d}", "title": f"青石镇新闻第{i}号", "source": OUTLETS[i % 2],
                      "date": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "text": f"青石镇第{i}号新闻的正文。"}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build(settings, quiet=True)
    return settings, n


def test_opening_the_page_reads_no_article(archive_settings, monkeypatch):
    import app
    from qa.page import LiveAnswerer

    settings, n = archive_settings

    def refuse(*_args, **_kwargs):
        pytest.fail("the page read every article (or the corpus) to open")

    monkeypatch.setattr(ArticleTable, "__iter__", refuse)
    monkeypatch.setattr(ArticleTable, "values", refuse)
    monkeypatch.setattr(ArticleTable, "items", refuse)
    monkeypatch.setattr(qa.index.builder, "load_corpus", refuse)
    demo = app.build_demo(LiveAnswerer(settings, quiet=True))
    config = demo.get_config_file()
    tables = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-articles"]
    assert len(tables[0]["props"]["value"]["data"]) == app.LIST_ROWS
    notes = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-list-note"]
    assert f"共 {n} 篇" in notes[0]["props"]["value"]


def test_the_list_follows_the_filters_and_opens_its_rows(archive_settings):
    import app
    from qa.page import LiveAnswerer

    settings, n = archive_settings
    page = app.Page(LiveAnswerer(settings, quiet=True))
    rows, order, note, _ = page.table([], "", "")
    assert len(rows) == len(order) == app.LIST_ROWS and f"共 {n} 篇" in note
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)  # newest first

    rows, order, note, _ = page.table([OUTLETS[0]], "2024-03-01", "2024-06-30")
    articles = page.articles()
    assert note == "" and rows  # all of them fit: no note
    assert all(articles[i].source == OUTLETS[0] and "2024-03-01" <= articles[i].date <= "2024-06-30" for i in order)

    rows, order, note, _ = page.table([], "2024-06-30", "2024-03-01")
    assert rows == [] and "2024-06-30 is after 2024-03-01" in note

    rows, order, note, _ = page.table([], "2030-01-01", "")
    assert rows == [] and "No article matches these filters" in note  # an empty list says why

    class Select:  # what gradio passes for a click on the first row
        index = [0, 0]

    rows, order, _, _ = page.table([OUTLETS[1]], "", "")
    shown, opened = page.open_article(order, Select())
    assert articles[order[0]].title in shown and opened == order[0]  # the id that "remove" deletes
