"""Hits -> Answer with the learned reader: the top passage first, the next ones only when needed.

The reader scores the best span of a passage against "no answer" (a margin in logits). The top
passage is read alone; when its margin clears the threshold the answer is taken from it (most
questions stop here, one forward pass). Otherwise the next READ_MORE passages are read together
and the best margin over all of them decides: above the threshold it answers, below it says "not
found" and shows the closest passages as such. The threshold and the number of further passages
are chosen together on held-out training questions and stored with the weights
(`scripts/tune_reader.py --write`): every further passage read is one more chance for a plausible
span where the answer is absent, and the answer is rarely below the third passage. Passages in
traditional script are held to their own threshold, chosen the same way on held-out traditional
questions (`qa.read.reader.Reader.threshold_for`). Weights may also say to read each passage widened
by whole sentences of its article (`context_chars`; the shipped ones read the chunk alone). A quote
is the sentence(s) holding the span, sliced from the article.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from qa.questions import Question
from qa.read.base import NOT_FOUND
from qa.read.reader import Reader, Reading
from qa.records import Answer, Article, Hit, Quote
from qa.text import sentence_spans

_TRIM = " \t\r\n\u3000，。、；：,.;:！？!?"
# Passages read after the first when it does not clear the threshold, for weights whose metadata
# does not say (the shipped file says: `read_more`, chosen with its threshold, models/README.md).
# 2 was chosen for the first shipped weights on the 402 held-out CMRC 2018 train questions: with 2
# instead of 4, abstentions where the answer is absent rose from 88.3% to 90.0% at the same 3.7%
# of false abstentions, and F1 from .718 to .720.
READ_MORE = 2


@dataclass(frozen=True)
class Candidate:
    """A reading placed in its article: the span [start, end) and the sentences that quote it."""

    hit: Hit
    reading: Reading
    start: int
    end: int
    quote: tuple[int, int]


@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


def widened(article: Article, start: int, end: int, limit: int | None) -> tuple[int, int]:
    """[start, end) widened by whole sentences of the article, one before then one after in turn,
    while the whole stays within ``limit`` characters (None: unchanged). The reader learnt from
    paragraphs read in full windows; a short chunk alone gives it less context than it was trained on."""
    if limit is None:
        return start, end
    spans = _sentences(article.text)
    before = [s for s in spans if s[1] <= start][::-1]
    after = [s for s in spans if s[0] >= end]
    grown = True
    while grown:
        grown = False
        if before and end - before[0][0] <= limit:
            start = before.pop(0)[0]
            grown = True
        if after and after[0][1] - start <= limit:
            end = after.pop(0)[1]
            grown = True
    return start, end


def place(article: Article, hit: Hit, reading: Reading, base: int | None = None) -> Candidate:
    """Article offsets of a reading's span (trimmed of spaces and edge punctuation) and its quote.
    ``base``: where the passage read starts in the article (the chunk's start unless widened)."""
    text = article.text
    base = hit.chunk.start if base is None else base
    start, end = base + reading.start, base + reading.end
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    if start == end:  # only punctuation: keep the raw span so the quote still has a place
        start, end = base + reading.start, base + reading.end
    covering = [(s, e) for s, e in _sentences(text) if s < max(end, start + 1) and e > start]
    quote = (covering[0][0], covering[-1][1]) if covering else (hit.chunk.start, hit.chunk.end)
    return Candidate(hit, reading, start, end, quote)


class LearnedReader:
    """An AnswerReader backed by the trained span model (`qa.read.reader.Reader`)."""

    def __init__(self, articles: Mapping[str, Article], reader: Reader | None = None,
                 threshold: float | None = None, first: int = 1, more: int | None = None,
                 context: int | None = None) -> None:
        self.articles = articles
        self.reader = reader or shared_reader()
        # One threshold for every passage when given (tuning); else the weights' own, per script.
        self.fixed = threshold
        self.first = first
        stored = self.reader.read_more
        self.more = more if more is not None else stored if stored is not None else READ_MORE
        self.context = context if context is not None else self.reader.context_chars

    def excess(self, c: Candidate) -> float:
        """How far a candidate's margin clears the threshold of its passage's script (< 0: it does not)."""
        threshold = self.fixed if self.fixed is not None else self.reader.threshold_for(c.hit.chunk.text)
        return c.reading.margin - threshold

    def candidates(self, q: Question, hits: Sequence[Hit], stop_early: bool = True) -> list[Candidate]:
        """Readings of the first passages, best first; reads further only when needed."""
        first = list(hits[: self.first])
        out = self._read(q, first)
        if stop_early and out and max(self.excess(c) for c in out) >= 0:
            return sorted(out, key=lambda c: -self.excess(c))
        out += self._read(q, list(hits[self.first : self.first + self.more]))
        return sorted(out, key=lambda c: -self.excess(c))

    def _read(self, q: Question, hits: list[Hit]) -> list[Candidate]:
        if not hits:
            return []
        articles = [self.articles[h.chunk.article_id] for h in hits]
        spans = [widened(a, h.chunk.start, h.chunk.end, self.context) for a, h in zip(articles, hits)]
        readings = self.reader.read(q.text, [a.text[s:e] for a, (s, e) in zip(articles, spans)])
        return [place(articles[r.passage], hits[r.passage], r, spans[r.passage][0]) for r in readings]

    def read(self, q: Question, hits: Sequence[Hit], top_k: int) -> Answer:
        found = self.candidates(q, hits)
        if not found:
            return Answer(q.text, NOT_FOUND, True, 0.0, (), (), q.kind)
        best = found[0]
        # 0.5 at the threshold; a logistic of the margin over it, so confidences order as the answers do.
        excess = self.excess(best)
        confidence = 0.5 * (1.0 + math.tanh(excess / 2))  # the logistic, without overflow far from 0
        if excess < 0:
            return Answer(q.text, NOT_FOUND, True, confidence, (), self._quotes(found, top_k), q.kind)
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
