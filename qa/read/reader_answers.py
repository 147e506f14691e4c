"""Hits -> Answer with the learned reader: the top passage first, the next ones only when needed.

The reader scores the best span of a passage, read after its article's headline, against "no
answer" (a margin in logits). The top passage is read alone; when its margin reaches `settle` (at or
above the threshold) the answer is taken from it (most questions stop here, one forward pass).
Otherwise the next `read_more` passages are read together and the best margin over all of them
decides: above the threshold it answers, below it says "not found" and shows the closest passages as
such. On news a first passage that only just clears the threshold is often a near neighbour of the
passage that holds the answer, hence `settle`. The threshold, `settle`, `read_more`, the heading and
the confidence's calibration are chosen on news and stored with the weights
(`scripts/tune_reader.py --write`); articles without a date (reference text, not news) are read at a
threshold of their own, chosen on Wikipedia, with `settle` as far above it and margins compared by
how far they clear their own threshold. A span over the threshold that fails the answer checks
(`qa.read.checks`: a year, month or place the article or the figure's clause does not speak of, a
quantity in another unit than asked, a count where it asks which, the other side of a pair, another
ordinal or weekday) does not answer; the next best may. A span is shown without edge punctuation or
a quote mark it does not close. A quote is the sentence(s) holding the span, sliced from the article.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.questions import Question
from qa.read.base import NOT_FOUND
from qa.read.checks import span_fits
from qa.read.reader import Reader, Reading
from qa.records import Answer, Article, Hit, Quote
from qa.text import sentence_spans

_TRIM = " \t\r\n\u3000，。、；：,.;:！？!?"
# quotes and brackets, after NFKC (（ is ()
_PAIRS = {"“": "”", "‘": "’", "《": "》", "(": ")", "「": "」", "『": "』", "【": "】", "〈": "〉"}
_OPENERS = {b: a for a, b in _PAIRS.items()}


@dataclass(frozen=True)
class Candidate:
    """A reading placed in its article: the span [start, end) and the sentences that quote it."""

    hit: Hit
    reading: Reading
    start: int
    end: int
    quote: tuple[int, int]


def trim_unmatched(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without a quote or bracket at either edge that the span does not match (“四纵三横,
    （１毫克／升): the reader's span often takes one in, and shown it reads as a cut."""
    while end - start > 1:
        span = unicodedata.normalize("NFKC", text[start:end])
        first, last = (unicodedata.normalize("NFKC", c) for c in (text[start], text[end - 1]))
        if first in _PAIRS and _PAIRS[first] not in span:
            start += 1
        elif last in _OPENERS and _OPENERS[last] not in span:
            end -= 1
        else:
            break
    return start, end


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


def place(article: Article, hit: Hit, reading: Reading) -> Candidate:
    """Article offsets of a reading's span (trimmed of spaces and edge punctuation) and its quote."""
    text = article.text
    base = hit.chunk.start
    start, end = base + reading.start, base + reading.end
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    if start == end:  # only punctuation: keep the raw span so the quote still has a place
        start, end = base + reading.start, base + reading.end
    start, end = trim_unmatched(text, start, end)
    covering = [(s, e) for s, e in _sentences(text) if s < max(end, start + 1) and e > start]
    quote = (covering[0][0], covering[-1][1]) if covering else (hit.chunk.start, hit.chunk.end)
    return Candidate(hit, reading, start, end, quote)


class LearnedReader:
    """An AnswerReader backed by the trained span model (`qa.read.reader.Reader`)."""

    def __init__(self, articles: Mapping[str, Article], reader: Reader | None = None) -> None:
        self.articles = articles
        self.reader = reader or shared_reader()

    def excess(self, c: Candidate) -> float:
        """How far a candidate's margin clears the threshold of its article's kind (< 0: it does not)."""
        return c.reading.margin - self.reader.threshold_for(self.articles[c.hit.chunk.article_id].date)

    def fits(self, q: Question, c: Candidate) -> bool:
        """Whether a candidate's span passes the answer checks (`qa.read.checks`)."""
        article = self.articles[c.hit.chunk.article_id]
        return span_fits(q, article.title, article.text, c.start, c.end, article.date)

    def candidates(self, q: Question, hits: Sequence[Hit]) -> list[Candidate]:
        """Readings of the first passage, and of `read_more` others when its margin does not reach
        `settle` with a span that passes the checks, best first."""
        out = self.read_passages(q, list(hits[:1]))
        settle = self.reader.settle - self.reader.threshold  # how far over its threshold a span settles
        if not any(self.excess(c) >= settle and self.fits(q, c) for c in out):
            out += self.read_passages(q, list(hits[1 : 1 + self.reader.read_more]))
        return sorted(out, key=lambda c: -self.excess(c))

    def read_passages(self, q: Question, hits: list[Hit]) -> list[Candidate]:
        """One candidate per passage read (each after its article's heading), in the order given."""
        if not hits:
            return []
        articles = [self.articles[h.chunk.article_id] for h in hits]
        headings = [self.reader.heading_of(a.title, a.date) for a in articles]
        readings = self.reader.read(q.text, [h.chunk.text for h in hits], headings)
        return [place(articles[r.passage], hits[r.passage], r) for r in readings]

    def read(self, q: Question, hits: Sequence[Hit], top_k: int) -> Answer:
        found = self.candidates(q, hits)
        if not found:
            return Answer(q.text, NOT_FOUND, True, 0.0, (), (), q.kind)
        # a span over the threshold that fails the checks does not answer: the next one may
        kept = [c for c in found if self.excess(c) < 0 or self.fits(q, c)]
        # every span read vetoed: "not found" as sure as the curve goes (scripts/tune_reader.py fits it so)
        excess = self.excess(kept[0]) if kept else -math.inf
        confidence = self.reader.confidence(excess)
        if excess < 0:
            return Answer(q.text, NOT_FOUND, True, confidence, (), self._quotes(found, top_k), q.kind)
        best = kept[0]
        article = self.articles[best.hit.chunk.article_id]
        quote = Quote.of(article, *best.quote)
        return Answer(q.text, article.text[best.start:best.end], False, confidence, (quote,), (), q.kind,
                      span=(best.start, best.end))

    def _quotes(self, found: list[Candidate], top_k: int) -> tuple[Quote, ...]:
        """The sentence around each passage's best span: the closest the articles come."""
        quotes: list[Quote] = []
        for c in found:
            if len(quotes) >= min(3, top_k):
                break
            if any(x.article_id == c.hit.chunk.article_id and x.start < c.quote[1] and c.quote[0] < x.end
                   for x in quotes):
                continue
            quotes.append(Quote.of(self.articles[c.hit.chunk.article_id], *c.quote))
        return tuple(quotes)


@lru_cache(maxsize=1)
def shared_reader() -> Reader:
    """One reader per process: its weights are 40 MB, shared by every index it reads from."""
    return Reader()
