"""The page's HTML: highlights line up with the quoted text, article text is escaped, abstentions
read as such."""

from __future__ import annotations

import html
import re

from qa.page.presentation import (
    CLOSEST_LABEL,
    NOT_FOUND,
    answer_html,
    article_html,
    article_order,
    article_rows,
    context_span,
    passages,
    shown_question,
)
from qa.records import Answer, Article, Quote

TEXT = (
    "齐鲁晚报·齐鲁壹点\n"
    "见习记者 刘悦\n"
    "会场上，委员汇聚一堂。本次会议应到委员248名，实到231名，符合规定人数。会议通过了议程。随后举行了表彰。\n"
    "有人在稿件里写了<script>alert('x')</script>和 A&B <b>粗体</b>。这句也要原样显示。"
)
ARTICLE = Article(id="a1", title="政协<会议>开幕", text=TEXT, path="corpus/a1.md", source="齐鲁晚报",
                  date="2021-02-07")
ARTICLES = {"a1": ARTICLE}
MARK = re.compile(r'<mark class="(qa-quote|qa-near)" data-start="(\d+)" data-end="(\d+)">(.*?)</mark>')


def quote_of(sentence: str) -> Quote:
    start = TEXT.index(sentence)
    return Quote.of(ARTICLE, start, start + len(sentence))


def plain(fragment: str) -> str:
    """What a browser shows for an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment.replace("<br>", "\n")))


def marks(page: str) -> list[tuple[str, int, int, str]]:
    return [(m[1], int(m[2]), int(m[3]), plain(m[4])) for m in MARK.finditer(page)]


def test_highlight_offsets_line_up_with_the_quote_text():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    page = answer_html(Answer("问", "231名", False, 0.7, (q,)), ARTICLES)
    found = marks(page)
    assert found, page
    for _, start, end, shown in found:
        assert shown == TEXT[start:end] == q.text
    # The passage view and the whole-article view both mark it.
    assert len(found) == 2


def test_short_answer_is_emphasised_inside_its_quote():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    page = answer_html(Answer("问", "231名", False, 0.7, (q,)), ARTICLES)
    assert re.findall(r'<strong class="qa-hit">(.*?)</strong>', page) == ["231名", "231名"]


def test_the_readers_span_is_emphasised_where_it_stands_even_when_its_words_repeat():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    second = TEXT.index("实到") + 1  # the second "到" of the quote: text alone cannot tell which
    assert q.text.count("到") == 2 and TEXT[second] == "到"
    without = answer_html(Answer("问", "到", False, 0.7, (q,)), ARTICLES)
    assert '<strong class="qa-hit">' not in without
    page = answer_html(Answer("问", "到", False, 0.7, (q,), span=(second, second + 1)), ARTICLES)
    hits = re.findall(r'(.)<strong class="qa-hit">(.*?)</strong>', page)
    assert hits and all(before == "实" and word == "到" for before, word in hits)


def test_passage_shows_whole_sentences_of_context_from_the_same_paragraph():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    lo, hi = context_span(TEXT, q.start, q.end)
    assert TEXT[lo:hi] == "会场上，委员汇聚一堂。本次会议应到委员248名，实到231名，符合规定人数。会议通过了议程。"
    assert "\n" not in TEXT[lo:hi]


def test_article_text_is_escaped():
    q = quote_of("有人在稿件里写了<script>alert('x')</script>和 A&B <b>粗体</b>。")
    page = answer_html(Answer("问", "x", False, 0.5, (q,)), ARTICLES)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "A&amp;B" in page
    assert "政协&lt;会议&gt;开幕" in page  # the title too
    assert all(shown == TEXT[s:e] for _, s, e, shown in marks(page))


def test_reference_names_title_source_and_date():
    page = answer_html(Answer("问", "231名", False, 0.7, (quote_of("会议通过了议程。"),)), ARTICLES)
    ref = plain(re.search(r'<div class="qa-ref">(.*?)</div>', page)[1])
    assert ref == "《政协<会议>开幕》 · 齐鲁晚报 · 2021-02-07"
    assert "置信度 0.70" in page


def test_whole_article_view_highlights_in_place():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    view = article_html(ARTICLE, [(q.start, q.end)])
    assert view.count("<p>") == 4  # one per line of the article
    assert plain(view).endswith(TEXT.split("\n")[-1])
    [(_, start, end, shown)] = marks(view)
    assert (start, end, shown) == (q.start, q.end, q.text)


def test_quotes_of_one_passage_are_shown_once():
    a = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    b = quote_of("会场上，委员汇聚一堂。")
    shown = passages([a, b], ARTICLES)
    assert len(shown) == 1 and shown[0].marks == ((b.start, b.end), (a.start, a.end))


def test_a_quote_that_no_longer_matches_its_article_is_left_out():
    stale = Quote("a1", "t", None, None, "p", 0, 4, "别的文字")
    assert passages([stale], ARTICLES) == []
    assert passages([quote_of("会议通过了议程。")], {}) == []


def test_abstention_reads_not_found_and_labels_closest_passages():
    near = quote_of("会议通过了议程。")
    page = answer_html(Answer("问", "在现有文章中没有找到这个问题的答案。", True, 0.2, (), (near,)), ARTICLES)
    assert NOT_FOUND in page and CLOSEST_LABEL in page
    assert 'class="qa-label"' not in page and 'mark class="qa-quote"' not in page
    assert [m[0] for m in marks(page)] == ["qa-near", "qa-near"]


def test_follow_up_shows_what_was_searched():
    q = quote_of("本次会议应到委员248名，实到231名，符合规定人数。")
    page = answer_html(Answer("淄川区政协会议委员实到多少名？", "231名", False, 0.7, (q,)), ARTICLES,
                       typed="那实到多少人？")
    assert "按“淄川区政协会议委员实到多少名？”检索" in page
    same = answer_html(Answer("那实到多少人？", "231名", False, 0.7, (q,)), ARTICLES, typed="那实到多少人？ ")
    assert "检索" not in same


def test_html_is_one_block_for_markdown():
    page = answer_html(Answer("问", "231名", False, 0.7, (quote_of("会议通过了议程。"),)), ARTICLES)
    assert "\n" not in page


def test_shown_question_is_escaped_and_cut():
    assert shown_question("  ") == "（空问题 / empty question）"
    assert shown_question("<b>问</b>") == "&lt;b&gt;问&lt;/b&gt;"
    long = shown_question("问" * 10_000)
    assert len(long) < 300 and "10000" in long


def test_article_list_is_newest_first_and_maps_back_to_ids():
    old = Article("old", "旧闻", "x", "p", "甲报", "2020-01-01")
    undated = Article("none", "无日期", "x", "p")
    rows = article_rows([old, ARTICLE, undated])
    assert rows[0] == ["政协<会议>开幕", "齐鲁晚报", "2021-02-07"] and rows[-1] == ["无日期", "", ""]
    assert article_order([old, ARTICLE, undated]) == ["a1", "old", "none"]
