"""Reprints: two outlets' copies of one story are one group, a different story is not; the group
survives the index, retrieval keeps one copy of a story, and an answer names the other outlets."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.index import build, load_index
from qa.index.chunk_store import open_store
from qa.ingest import load_corpus
from qa.ingest.reprints import ReprintFinder, mark_reprints, reprint_groups, shingle_hashes
from qa.page.presentation import answer_html
from qa.records import Answer, Article, Chunk, Hit, Quote
from qa.retrieve.reprints import also_in, cite_reprints, collapse_reprints, same_story

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from sample_files import html_page, write_docx, write_pdf  # noqa: E402


def bundled(n: int) -> Article:
    return sorted(load_corpus(ROOT / "corpus").articles, key=lambda a: a.id)[n]


def another_outlets_copy(text: str, outlet: str) -> str:
    """How a second paper runs a story: its credit line, half-width commas, a sentence left out."""
    sentences = text.split("。")
    del sentences[len(sentences) // 2]
    return f"（来源：{outlet}）" + "。".join(sentences).replace("，", ",") + "（责任编辑：王明）"


def write_md(path: Path, title: str, source: str, date: str, text: str) -> Path:
    path.write_text(f"---\ntitle: {title}\nsource: {source}\ndate: {date}\n---\n{text}", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A story as a news page (淄博日报, a day later), as a Word file (大众日报, first), and as a .md from
    a third outlet; two other stories, one of them from the same outlet."""
    story, other = bundled(1), bundled(2)
    root = tmp_path / "corpus"
    root.mkdir()
    page = html_page(story.title, another_outlets_copy(story.text, "淄博日报").split("\n"), site="淄博日报",
                     date="2021-02-08")
    (root / "zibo-daily.html").write_text(page, encoding="utf-8")
    write_docx(root / "dazhong.docx", story.title, [f"来源：大众日报。2021年2月7日，{story.text}"])
    write_md(root / "qilu.md", story.title, "齐鲁晚报", "2021-02-09", another_outlets_copy(story.text, "齐鲁晚报"))
    write_md(root / "other.md", other.title, "淄博日报", other.date or "2021-02-07", other.text)
    write_md(root / "third.md", bundled(3).title, "大众日报", "2021-02-27", bundled(3).text)
    return root


def test_copies_of_one_story_are_one_group_and_other_stories_are_not(corpus):
    articles = {a.id: a for a in load_corpus(corpus).articles}
    group = ("dazhong", "zibo-daily", "qilu")  # the earliest dated first
    assert articles["dazhong"].date == "2021-02-07" and articles["dazhong"].source == "大众日报"
    for aid in group:
        assert articles[aid].reprints == group and articles[aid].canonical == "dazhong"
    assert articles["other"].reprints == () and articles["third"].reprints == ()
    assert articles["other"].canonical == "other"
    assert also_in(articles["zibo-daily"], articles) == ("大众日报", "齐鲁晚报")
    assert same_story("qilu", "zibo-daily", articles) and not same_story("qilu", "other", articles)


def test_identical_text_from_another_outlet_is_a_reprint_and_the_same_file_twice_a_duplicate(tmp_path):
    story = bundled(1)
    root = tmp_path / "corpus"
    root.mkdir()
    write_md(root / "a.md", story.title, "新华社", "2021-02-07", story.text)
    write_md(root / "b.md", story.title, "大众日报", "2021-02-07", story.text)
    (root / "c.md").write_text(f"---\ntitle: {story.title}\n---\n{story.text}", encoding="utf-8")
    report = load_corpus(root)
    assert [(a.id, a.reprints) for a in report.articles] == [("a", ("a", "b")), ("b", ("a", "b"))]
    [warning] = report.warnings
    assert warning.startswith("c.md: same text as article 'a'") and warning.endswith("a duplicate; skipped")


def test_signatures_are_datasketchs_own():
    from datasketch import MinHash

    text = bundled(0).text
    expected = MinHash(num_perm=128, seed=1, hashfunc=int)
    expected.update_batch(shingle_hashes(text).tolist())
    assert np.array_equal(ReprintFinder().signature(text), expected.hashvalues)


def test_grouping_is_deterministic_and_ignores_short_texts():
    texts = [a.text for a in load_corpus(ROOT / "corpus").articles]
    texts += [another_outlets_copy(texts[4], "人民网"), "会议通知。", "会议通知。"]
    assert reprint_groups(texts) == reprint_groups(texts) == [[4, len(texts) - 3]]
    assert mark_reprints(()) == () and mark_reprints([bundled(0)]) == (bundled(0),)


def hit(article_id: str, n: int, score: float) -> Hit:
    return Hit(Chunk(n, article_id, 0, 4, "text"), score, "bm25")


def test_retrieval_keeps_the_best_ranked_copy_of_a_story(corpus):
    articles = {a.id: a for a in load_corpus(corpus).articles}
    hits = [hit("qilu", 0, 9.0), hit("other", 1, 8.0), hit("dazhong", 2, 7.5), hit("qilu", 3, 7.0),
            hit("zibo-daily", 4, 6.0), hit("third", 5, 5.0)]
    kept = collapse_reprints(hits, articles)
    assert [(h.chunk.article_id, h.chunk.id) for h in kept] == [("qilu", 0), ("other", 1), ("qilu", 3), ("third", 5)]
    assert collapse_reprints([], articles) == []
    # The same text scores the same in every copy: the story's first copy is the one cited.
    first = articles["qilu"].canonical
    copy = next(m for m in articles["qilu"].reprints if m != first)
    tied = collapse_reprints([hit(copy, 0, 9.0), hit("other", 1, 8.0), hit(first, 2, 9.0)], articles)
    assert [h.chunk.article_id for h in tied] == ["other", first]


def test_answer_names_the_other_outlets_and_the_page_shows_them(corpus):
    articles = {a.id: a for a in load_corpus(corpus).articles}
    cited = articles["zibo-daily"]
    start = cited.text.index("济南市、淄博市")
    quote = Quote.of(cited, start, start + 20)
    answer = cite_reprints(Answer("问题", quote.text[:6], False, 0.9, quotes=(quote,)), articles)
    [q] = answer.quotes
    assert q.also_in == ("大众日报", "齐鲁晚报") and q.text == cited.text[q.start:q.end]
    data = answer.to_dict()
    assert data["references"][0]["also_in"] == ["大众日报", "齐鲁晚报"] and len(data["references"]) == 1
    assert "另见 / also in: 大众日报、齐鲁晚报" in answer_html(answer, articles)
    alone = Quote.of(articles["other"], 0, 10)
    assert cite_reprints(replace(answer, quotes=(alone,)), articles).quotes[0].also_in == ()


def test_pdf_page_is_shown_in_the_reference():
    article = Article("r", "报告", "第一页的文字。\n第二页的文字。", "corpus/r.pdf", "淄博日报", "2021-03-01",
                      pages=(0, 8))
    quote = Quote.of(article, 8, 15)
    assert quote.page == 2 and quote.text == "第二页的文字。"
    assert "第2页 / p. 2" in answer_html(Answer("问", "文字", False, 0.9, quotes=(quote,)), {"r": article})


def test_groups_and_pages_survive_the_index(corpus, tmp_path, fake_embedder):
    story = bundled(0)
    write_pdf(corpus / "report.pdf", story.title, story.text.split("\n"), meta_title=story.title)
    read = {a.id: a for a in load_corpus(corpus).articles}
    assert len(read["report"].pages) >= 3 and read["qilu"].reprints
    build(Settings(corpus_dir=corpus, index_dir=tmp_path / "idx"), quiet=True)
    index = load_index(tmp_path / "idx")
    assert {aid: index.articles[aid] for aid in read} == read
    assert dict(index.articles.items()) == read
    for chunk in index.chunks:  # every quote the index can give is a slice of its article, with its page
        article = index.articles[chunk.article_id]
        quote = Quote.of(article, chunk.start, chunk.end)
        assert quote.text == chunk.text and (quote.page is not None) == (chunk.article_id == "report")


def test_a_store_written_before_pages_and_reprints_still_reads(tmp_path):
    path = tmp_path / "chunks.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE chunks (n INTEGER PRIMARY KEY, id INTEGER NOT NULL, article_id TEXT NOT NULL,
                             start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE TABLE articles (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
                               text TEXT NOT NULL, path TEXT NOT NULL, source TEXT, date TEXT, url TEXT);
        INSERT INTO articles (id, title, text, path, source, date, url)
            VALUES ('a', '标题', '正文。', 'corpus/a.md', '淄博日报', '2021-02-07', NULL);
    """)
    con.close()
    _, articles = open_store(path, "The index in idx")
    assert articles["a"] == Article("a", "标题", "正文。", "corpus/a.md", "淄博日报", "2021-02-07")
    assert list(articles.values()) == [articles["a"]] and articles["a"].pages == () == articles["a"].reprints
