"""The learned reader: spans are exact article offsets inside the passage read, quotes are exact
slices that hold the span, weights match their model card, and answers come without torch."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import ModelError
from qa.questions import analyse
from qa.read import LearnedReader, Reader
from qa.read.reader import READ_MORE, default_weights, tensors_sha256
from qa.read.reader_answers import trim_unmatched
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


def test_spans_are_exact_offsets_inside_the_passage(reader: Reader, bundled_answerer) -> None:
    index = bundled_answerer.index
    articles = index.articles
    learned = LearnedReader(articles, reader)
    chunks = index.chunks[::7]
    for question in QUESTIONS:
        q = analyse(question)
        hits = [Hit(c, 1.0, "test") for c in chunks[len(question) % 5:][:3]]
        for c in learned.read_passages(q, hits):
            chunk = c.hit.chunk
            article = articles[chunk.article_id]
            assert chunk.start <= c.start <= c.end <= chunk.end
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
        f"             index_dir={str(bundled_settings.index_dir)!r})\n"
        "a = open_answerer(s, quiet=True)\n"
        "print(a.ask('淄川区政协会议应到委员多少名？').answer)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.parametrize("more", [None, "1", "3"])
def test_reads_the_first_passage_then_at_most_read_more_others(weights_with, bundled_answerer, more) -> None:
    reader = weights_with(read_more=more)
    assert reader.read_more == (int(more) if more else READ_MORE)
    index = bundled_answerer.index
    learned = LearnedReader(index.articles, reader)
    read: list[int] = []
    real = reader.read

    def counting(question, passages, headings=None):
        read.append(len(passages))
        return real(question, passages, headings)

    reader.read = counting
    hits = [Hit(c, 1.0, "test") for c in index.chunks[:10]]
    for question in ("淄川区政协会议应到委员多少名？", "上海浦东新区今年新建了多少所学校？"):
        read.clear()
        found = learned.candidates(analyse(question), hits)
        assert read[0] == 1 and sum(read) <= 1 + reader.read_more
        assert {c.hit.chunk.id for c in found} <= {h.chunk.id for h in hits[: 1 + reader.read_more]}
        if len(read) == 1:  # stopped after the first passage: its margin reached settle
            assert max(learned.excess(c) for c in found) >= reader.settle - reader.threshold >= 0
        else:
            assert read[1] == reader.read_more


@pytest.mark.parametrize("settle", ["-1e9", "-7.25", "-2.25", "inf"])
def test_settle_changes_the_span_shown_never_whether_it_answers(weights_with, bundled_answerer, settle) -> None:
    """Trusting the first passage from a higher margin may show another passage's span, but the
    answer/"not found" decision is the best margin over the same passages either way."""
    reader = weights_with(settle=settle)
    assert reader.settle == max(float(settle), reader.threshold)
    index = bundled_answerer.index
    learned = LearnedReader(index.articles, reader)
    for question in ("淄川区政协会议应到委员多少名？", "上海浦东新区今年新建了多少所学校？", "征兵工作什么时候开始？"):
        q = analyse(question)
        hits = bundled_answerer.retriever.search(q.text, 8)
        everything = learned.read_passages(q, list(hits[: 1 + reader.read_more]))
        found = learned.candidates(q, hits)
        answered = learned.read(q, hits, top_k=3)
        assert answered.abstained == (max(learned.excess(c) for c in everything) < 0)
        if len(found) > 1:  # read on: the best of all read is shown
            assert found[0].reading.margin == pytest.approx(max(c.reading.margin for c in everything), abs=1e-3)


@pytest.mark.parametrize("key", ["settle", "threshold", "threshold_undated"])
def test_a_margin_that_is_not_a_number_is_refused(weights_with, key) -> None:
    with pytest.raises(ModelError, match=f"{key} 'soon', which is not a number"):
        weights_with(**{key: "soon"})


def test_articles_without_a_date_are_read_at_their_own_threshold(weights_with, bundled_answerer) -> None:
    """A span whose margin lies between the two thresholds answers in an undated article (reference
    text) and is "not found" in the same article dated (news); settle keeps its distance above."""
    assert weights_with(threshold_undated=None).threshold_for(None) == weights_with().threshold  # files before it
    index = bundled_answerer.index
    q = analyse("淄川区政协会议应到委员多少名？")
    hits = bundled_answerer.retriever.search(q.text, 8)
    margin = max(c.reading.margin for c in LearnedReader(index.articles).read_passages(q, list(hits[:3])))
    reader = weights_with(threshold=str(margin + 1), threshold_undated=str(margin - 1), settle=str(margin + 3))
    assert reader.threshold_for("2025-02-26") == margin + 1 and reader.threshold_for("") == margin - 1
    undated = {k: dataclasses.replace(a, date=None) for k, a in index.articles.items()}
    dated, plain = LearnedReader(index.articles, reader), LearnedReader(undated, reader)
    assert dated.read(q, hits, top_k=3).abstained
    answer = plain.read(q, hits, top_k=3)
    assert not answer.abstained and answer.answer
    for c in plain.candidates(q, hits):
        assert plain.excess(c) == pytest.approx(dated.excess(c) + 2)


@pytest.mark.parametrize("mode, date", [(None, False), ("title", False), ("title_date", True)])
def test_the_heading_read_comes_with_the_weights(weights_with, mode, date) -> None:
    reader = weights_with(heading=mode)
    got = reader.heading_of("聊城召开征兵工作会议", "2025-02-26")
    assert got == ("" if mode is None else "聊城召开征兵工作会议" + ("（2025年2月26日）" if date else ""))


def test_the_heading_changes_what_is_read_but_not_where_spans_are(weights_with) -> None:
    reader = weights_with(heading="title_date")
    passage = "本次会议应到委员248名，实到231名，符合规定人数。"
    (plain,) = reader.read("会议应到委员多少名？", [passage])
    (headed,) = reader.read("会议应到委员多少名？", [passage], ["淄川区政协十二届五次会议开幕（2024年1月5日）"])
    assert plain.score != headed.score  # the heading was read
    assert 0 <= headed.start < headed.end <= len(passage)  # spans index the passage, never the heading


def test_the_confidence_follows_the_stored_curves(weights_with) -> None:
    reader = weights_with(calibration="[[0, 0.5], [4, 0.9]]", calibration_abstain="[[1, 0.6], [3, 0.95]]")
    assert reader.confidence(2.0) == pytest.approx(0.7)  # between two points: on the line joining them
    assert reader.confidence(10.0) == pytest.approx(0.9)  # past the last point: the last
    assert reader.confidence(-2.0) == pytest.approx(0.775)  # "not found" reads the distance below
    assert reader.confidence(-0.5) == pytest.approx(0.6)
    plain = weights_with(calibration=None, calibration_abstain=None)
    assert plain.confidence(0.0) == 0.5 and plain.confidence(-3.0) > 0.9 and plain.confidence(3.0) > 0.9


@pytest.mark.parametrize("curve", ["0.36,-1.35", "[[0, 0.9], [4, 0.5]]", "[[4, 0.5], [0, 0.9]]", "[[0, 1.5]]", "[]"])
def test_a_curve_that_cannot_be_a_confidence_is_refused(weights_with, curve) -> None:
    with pytest.raises(ModelError, match="tune_reader.py --write"):
        weights_with(calibration=curve)


@pytest.mark.parametrize("span, shown", [
    ("“四纵三横", "四纵三横"),  # the reader took in an opening quote: trimmed
    ("（１毫克／升", "１毫克／升"),  # full width: （ is (
    ("我为啥要来北京游泳?」", "我为啥要来北京游泳?"),
    ("《人民日报》", "《人民日报》"),  # matched: kept
    ("红花岗区发布关于“3·20", "红花岗区发布关于“3·20"),  # not at the edge
])
def test_an_unmatched_quote_at_the_edge_of_a_span_is_trimmed(span: str, shown: str) -> None:
    start, end = trim_unmatched(span, 0, len(span))
    assert span[start:end] == shown
