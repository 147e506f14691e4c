"""Invariants of text cleanup, sentence spans, search keys and chunking over the bundled corpus."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from qa.ingest import chunk_article, chunk_corpus, load_corpus
from qa.text.keys import normalize_key
from qa.text.lines import join_hard_breaks
from qa.text.sentences import sentence_spans
from qa.text.tokens import tokenize

ARTICLES = load_corpus(CORPUS).articles


def test_hard_wraps_are_joined_inside_sentences():
    raw = "2月7日上午，中国人民政治\n协商会议第十二届淄川区委员会\n第五次会议隆重开幕。\n\n下一段。"
    joined = "2月7日上午，中国人民政治协商会议第十二届淄川区委员会第五次会议隆重开幕。"
    assert join_hard_breaks(raw) == joined + "\n下一段。"


def test_page_break_inside_a_sentence_is_joined_but_headings_stay():
    raw = "田兵兵强调，今年是开局之年。新定位就是\n\n新机遇。\n\n强化基础设施联通\n\n双方将谋划轨道交通。"
    assert join_hard_breaks(raw).split("\n") == [
        "田兵兵强调，今年是开局之年。新定位就是新机遇。", "强化基础设施联通", "双方将谋划轨道交通。"]


def test_bylines_keep_their_lines():
    credits = "齐鲁晚报·齐鲁壹点\n见习记者 刘悦\n通讯员 孙吉志 贺如春"
    assert join_hard_breaks(credits) == credits


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.id)
def test_cleanup_is_idempotent_on_the_corpus(article):
    # The corpus files keep paragraphs apart by blank lines; reading them again changes nothing.
    assert join_hard_breaks(article.text.replace("\n", "\n\n")) == article.text


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.id)
def test_sentence_spans_cover_the_text_in_order(article):
    spans = sentence_spans(article.text)
    assert spans and all(a < b for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    # Nothing but whitespace is left between sentences: every word is in some sentence.
    gaps = [article.text[b:a] for (_, b), (a, _) in zip(spans, spans[1:])]
    assert all(not g.strip() for g in gaps)
    assert not article.text[: spans[0][0]].strip() and not article.text[spans[-1][1]:].strip()


def test_search_key_is_aligned_and_simplified():
    text = "淄川區政協會議應到委員多少名？ＡＢＣ"
    key = normalize_key(text)
    assert len(key) == len(text)
    assert key.startswith("淄川区政协会议应到委员多少名") and key.endswith("abc")


def test_traditional_and_simplified_questions_tokenise_alike():
    assert tokenize("淄川區政協會議應到委員多少名") == tokenize("淄川区政协会议应到委员多少名")


@pytest.mark.parametrize("max_chars,overlap", [(120, 0), (240, 1), (400, 2)])
def test_chunk_offsets_reproduce_their_text(max_chars, overlap):
    chunks = chunk_corpus(ARTICLES, max_chars, overlap)
    by_id = {a.id: a for a in ARTICLES}
    assert [c.id for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert by_id[c.article_id].text[c.start:c.end] == c.text
        assert c.text.strip() == c.text and c.text


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.id)
def test_chunks_cover_every_sentence_and_overlap(article):
    chunks = chunk_article(article, 240, 1)
    spans = sentence_spans(article.text)
    for s, e in spans:
        assert any(c.start <= s and e <= c.end for c in chunks), article.text[s:e]
    for a, b in zip(chunks, chunks[1:]):
        assert a.start < b.start and a.end < b.end
        last_of_a = max(s for s, _ in spans if s < a.end)
        first_new = min(e for _, e in spans if e > a.end)
        # One sentence of overlap, whenever it fits beside the next new sentence.
        assert b.start == last_of_a or first_new - last_of_a > 240
