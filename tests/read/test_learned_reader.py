"""The learned reader: spans are exact article offsets inside the passage read, quotes are exact
slices that hold the span, weights match their model card, and answers come without torch."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.questions import analyse
from qa.read import LearnedReader, Reader
from qa.read.reader import default_weights, tensors_sha256
from qa.read.reader_answers import READ_MORE, widened
from qa.records import Hit

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["淄川区政协会议应到委员多少名？", "征兵工作什么时候开始？", "谁主持了会议？", "会议在哪里举行？",
             "上海浦东新区今年新建了多少所学校？", "这篇文章讲了什么？", "為什麼要召開這次會議？", "有多少人参加？"]


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def test_weights_match_the_model_card() -> None:
    card = (ROOT / "models" / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"sha256[^0-9a-f]*([0-9a-f]{64})", card)
    assert recorded, "models/README.md must state the weights' sha256"
    digest = hashlib.sha256(default_weights().read_bytes()).hexdigest()
    assert digest == recorded.group(1)
    tensors = re.search(r"tensors' sha256[^0-9a-f]*([0-9a-f]{64})", card)
    assert tensors, "models/README.md must state the tensors' sha256 (what a rebuild reproduces)"
    assert tensors_sha256(default_weights()) == tensors.group(1)


@pytest.mark.parametrize("context", [None, 320])
def test_spans_are_exact_offsets_inside_the_passage(reader: Reader, bundled_answerer, context) -> None:
    index = bundled_answerer.index
    articles = index.articles
    learned = LearnedReader(articles, reader, context=context)
    chunks = index.chunks[::7]
    for question in QUESTIONS:
        q = analyse(question)
        hits = [Hit(c, 1.0, "test") for c in chunks[len(question) % 5:][:3]]
        for c in learned.candidates(q, hits, stop_early=False):
            chunk = c.hit.chunk
            article = articles[chunk.article_id]
            a, b = widened(article, chunk.start, chunk.end, learned.context)
            assert a <= c.start <= c.end <= b
            assert c.quote[0] <= c.start and c.end <= c.quote[1]
            assert article.text[chunk.start:chunk.end] == chunk.text
        answer = learned.read(q, hits, top_k=3)
        for quote in answer.quotes + answer.closest:
            assert articles[quote.article_id].text[quote.start:quote.end] == quote.text
        if not answer.abstained:
            first = answer.quotes[0]
            assert answer.span is not None and first.start <= answer.span[0] < answer.span[1] <= first.end
            assert articles[first.article_id].text[answer.span[0]:answer.span[1]] == answer.answer


def test_a_passage_longer_than_one_window_is_read_whole(reader: Reader) -> None:
    filler = "这是一段与问题无关的文字，用来把答案推到第一个窗口之外。" * 30
    passage = filler + "本次会议应到委员248名，实到231名。"
    (reading,) = reader.read("会议应到委员多少名？", [passage])
    assert 0 <= reading.start < reading.end <= len(passage)
    assert passage[reading.start:reading.end].strip()


def test_answering_never_imports_torch(bundled_settings) -> None:
    code = (
        "import sys\n"
        "from qa.pipeline import open_answerer\n"
        "from qa.config import Settings\n"
        f"s = Settings(corpus_dir={str(bundled_settings.corpus_dir)!r},\n"
        f"             index_dir={str(bundled_settings.index_dir)!r}, answerer='reader')\n"
        "a = open_answerer(s, quiet=True)\n"
        "print(a.ask('淄川区政协会议应到委员多少名？').answer)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.parametrize("more", [None, 1, 3])
def test_reads_the_first_passage_then_at_most_read_more_others(reader: Reader, bundled_answerer, more) -> None:
    index = bundled_answerer.index
    learned = LearnedReader(index.articles, reader, more=more)
    stored = reader.read_more
    assert learned.more == (more if more is not None else stored if stored is not None else READ_MORE)
    read: list[int] = []
    real = reader.read

    def counting(question, passages):
        read.append(len(passages))
        return real(question, passages)

    reader.read = counting  # this module's reader only
    try:
        hits = [Hit(c, 1.0, "test") for c in index.chunks[:10]]
        for question in ("淄川区政协会议应到委员多少名？", "上海浦东新区今年新建了多少所学校？"):
            read.clear()
            found = learned.candidates(analyse(question), hits)
            assert read[0] == 1 and sum(read) <= 1 + learned.more
            assert {c.hit.chunk.id for c in found} <= {h.chunk.id for h in hits[: 1 + learned.more]}
            if len(read) == 1:  # stopped after the first passage: it cleared the threshold
                assert max(learned.excess(c) for c in found) >= 0
            else:
                assert read[1] == learned.more
    finally:
        del reader.read


@pytest.mark.parametrize("stored", [None, "0", "1", "3", "x"])
def test_the_passages_read_more_come_with_the_weights(weights_with, stored: str | None) -> None:
    copy = weights_with(read_more=stored)
    want = int(stored) if stored and stored.isdigit() else None
    assert copy.read_more == want
    assert LearnedReader({}, copy).more == (READ_MORE if want is None else want)


@pytest.mark.parametrize("limit", [None, 0, 120, 320, 10_000])
def test_a_widened_passage_holds_its_chunk_within_the_limit_on_sentence_bounds(bundled_answerer, limit) -> None:
    from qa.text import sentence_spans

    index = bundled_answerer.index
    for chunk in index.chunks:
        article = index.articles[chunk.article_id]
        a, b = widened(article, chunk.start, chunk.end, limit)
        assert a <= chunk.start and chunk.end <= b
        if limit is None or b - a > limit:  # never grown past the limit: only the chunk itself may exceed it
            assert (a, b) == (chunk.start, chunk.end)
        bounds = {s for s, _ in sentence_spans(article.text)} | {chunk.start}
        assert a in bounds and b in {e for _, e in sentence_spans(article.text)} | {chunk.end}
        if limit == 10_000:  # room for everything: the whole article's sentences
            spans = sentence_spans(article.text)
            assert (a, b) == (min(spans[0][0], chunk.start), max(spans[-1][1], chunk.end))


@pytest.mark.parametrize("stored", [None, "320", "x"])
def test_the_context_read_comes_with_the_weights(weights_with, stored: str | None) -> None:
    copy = weights_with(context_chars=stored)
    want = int(stored) if stored and stored.isdigit() else None
    assert copy.context_chars == want
    assert LearnedReader({}, copy).context == want
    assert LearnedReader({}, copy, context=100).context == 100
