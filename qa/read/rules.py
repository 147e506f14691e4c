"""Hits -> Answer by rules: the sentence that answers, a short span of it, quotes and references,
or an abstention when the articles do not support an answer.

Sentences of the retrieved chunks are scored by how much of the question's topic they contain
(IDF-weighted keyword coverage, with the article title and neighbouring sentences as context);
a span of the kind the question asks for (a number with its unit, a date, a name...) is taken
from the best sentences. Every quote is ``article.text[start:end]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from qa.questions import Question
from qa.read.base import NOT_FOUND
from qa.read.spans import SLOT_KINDS, TYPED, candidates
from qa.records import Answer, Article, Hit, Quote
from qa.text import normalize_key, sentence_spans

ENTITY_PENALTY = {"ordinal": 0.6, "name": 0.7, "place": 0.8}
# Why and how answers take in a neighbouring sentence that states the cause or the purpose.
_CAUSE_BEFORE = ("随着", "由于", "因为", "鉴于")
_CAUSE_OPENERS = ("对此", "因此", "为此", "所以")
_PURPOSE_AFTER = ("为了", "以便", "从而", "确保")


@dataclass(frozen=True)
class Scored:
    article: Article
    start: int
    end: int
    coverage: float  # share of the question's topic found in the sentence itself
    context: float  # share found in the sentence, its neighbours or the article title
    rank: int  # rank of the chunk it came from
    span: tuple[int, int] | None = None  # short answer, offsets into the article
    # Like coverage, but the words of the article's title count as present: every sentence of
    # an article is about its title, and often says "it" rather than repeat the name. Ranks
    # sentences; confidence still asks what the sentence itself says.
    topic: float = 0.0
    # Share of the words right around the question word ("作发言的有哪些单位") in the sentence:
    # they say what is asked, where the rest of the question says what it is about.
    focus: float = 0.0

    @property
    def score(self) -> float:
        return 0.7 * self.topic + 0.3 * self.context + 0.1 * self.focus + 0.04 / (1 + self.rank)


class RuleReader:
    """Answers from ranked hits by scoring their sentences; ``min_confidence`` sets when to abstain.

    It is handed the articles and the BM25 document frequencies (to weigh question words by how
    rare they are), never the index or a retriever.
    """

    def __init__(self, articles: Mapping[str, Article], doc_freq: Mapping[str, int], n_docs: int,
                 min_confidence: float = 0.3) -> None:
        self.articles = articles
        self.min_confidence = min_confidence
        self._doc_freq = doc_freq
        self._n_docs = n_docs

    def idf(self, word: str) -> float:
        n = self._n_docs
        df = self._doc_freq.get(word, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def read(self, q: Question, hits: Sequence[Hit], top_k: int) -> Answer:
        """The answer to ``q`` drawn from ``hits`` (best first), quoting at most ``top_k`` passages."""
        scored = self._sentences(q, hits)
        if not scored:
            return Answer(q.text, NOT_FOUND, True, 0.0, (), (), q.kind)
        best = self._extend(q, self._choose(q, scored))
        confidence = self._confidence(q, best)
        quotes = self._quotes(best, scored, top_k)
        if confidence < self.min_confidence:
            return Answer(q.text, NOT_FOUND, True, confidence, (), quotes, q.kind)
        return Answer(q.text, self._short(q, best), False, confidence, quotes, (), q.kind)

    # -- scoring ---------------------------------------------------------------------------

    def _sentences(self, q: Question, hits: Sequence[Hit]) -> list[Scored]:
        weights = {w: self.idf(w) for w in q.keywords}
        total = sum(weights.values()) or 1.0
        near_wh = {w: weights[w] for w in _focus_words(q)}
        focus_total = sum(near_wh.values()) or 1.0
        seen: set[tuple[str, int]] = set()
        out: list[Scored] = []
        for rank, hit in enumerate(hits):
            article = self.articles[hit.chunk.article_id]
            title = normalize_key(article.title)
            in_title = {word: _found(word, title) for word in weights}
            spans = sentence_spans(article.text, hit.chunk.start, hit.chunk.end)
            for s, e in spans:
                if (article.id, s) in seen:
                    continue
                seen.add((article.id, s))
                key = normalize_key(article.text[s:e])
                near = normalize_key(article.title + " " + _around(article.text, s, e))
                found = {word: _found(word, key) for word in weights}
                # A word of the article's title is what every sentence of it is about (a
                # sentence says "it" rather than repeat the name): it counts as present.
                here = sum(w * found[word] for word, w in weights.items())
                topic = sum(w * max(found[word], in_title[word]) for word, w in weights.items())
                ctx = sum(w * max(found[word], _found(word, near)) for word, w in weights.items())
                focus = sum(w * found[word] for word, w in near_wh.items())
                out.append(Scored(article, s, e, here / total, ctx / total, rank, topic=topic / total,
                                  focus=focus / focus_total))
        out.sort(key=lambda x: -x.score)
        return out

    def _choose(self, q: Question, scored: list[Scored]) -> Scored:
        """The best sentence, preferring one that holds a span of the asked kind."""
        best, best_value = scored[0], scored[0].score
        for cand in scored[:10]:
            if cand.score < scored[0].score - 0.35:
                break
            span = self._span(q, cand)
            value = cand.score + (0.25 if span else 0.0)
            if value > best_value:
                best, best_value = (_with_span(cand, span) if span else cand), value
            elif span and cand is best:
                best = _with_span(cand, span)
        return best

    def _span(self, q: Question, cand: Scored) -> tuple[int, int] | None:
        key = normalize_key(cand.article.text[cand.start:cand.end])
        spans = candidates(q, key)
        if not spans:
            return None
        # Every occurrence of every question word, weighted by how rare the word is.
        # Single characters ("名", "到") are too common to place a span by.
        anchors = [(m.start(), m.end(), self.idf(w)) for w in q.keywords if len(w) > 1
                   for m in re.finditer(re.escape(w), key)]
        if anchors and q.kind not in SLOT_KINDS:  # slot candidates come ranked already
            # The span nearest the question's rarer words wins ("实到231名" over "应到委员248名" when
            # the question says 实到); words just before the span count more than words after it.
            def pull(span: tuple[int, int]) -> float:
                total = 0.0
                for a, b, weight in anchors:
                    gap = span[0] - b if span[0] >= b else (a - span[1]) * 1.5 if a >= span[1] else 0
                    total += weight / (1 + max(gap, 0))
                return total

            def clause(span: tuple[int, int]) -> float:
                """Share of the character pairs between the clause start (or the previous
                candidate) and the span that the question repeats: "实到|231名" fits 实到委员多少名,
                "本次会议应到委员|248名" fits 应到委员多少名 better than "实到" does."""
                begin = max(key.rfind(c, 0, span[0]) for c in _CLAUSE_MARKS) + 1
                begin = max([begin] + [e for _, e in spans if e <= span[0]])
                score = _pair_share(key[begin:span[0]], q.key)
                if q.kind == "when":
                    if key.startswith("讯", span[1]):
                        return 0.0  # a dateline ("淄博2月27日讯") dates the report, not the event
                    # A date leads the clause it dates: "2月26日，…第四十四次会议…举行".
                    start = span[1]
                    while start < len(key) and key[start] in _CLAUSE_MARKS + " ":
                        start += 1
                    ends = [key.find(c, start) for c in _CLAUSE_MARKS] + [s for s, _ in spans if s >= start]
                    end = min([x for x in ends if x >= start] or [len(key)])
                    score = max(score, _pair_share(key[start:end], q.key))
                return score

            spans = sorted(spans, key=lambda sp: (clause(sp), pull(sp)), reverse=True)
        s, e = spans[0]
        return cand.start + s, cand.start + e

    def _confidence(self, q: Question, best: Scored) -> float:
        base = 0.6 * best.coverage + 0.4 * best.context
        if q.kind in TYPED and best.span is None:
            # Asked for a number, a date or a name, and none is there. Numbers and dates are
            # written in more ways than the patterns know; a who-question whose sentence has
            # neither a name nor the question's wording around a slot has nothing to offer.
            base *= 0.25 if q.kind == "who" else 0.4
        # The question names a meeting number, a person or a place the cited article never
        # mentions: probably the wrong article. A city paper says "我市" for its own city, so a
        # missing place weighs least.
        article_key = normalize_key(best.article.title + "\n" + best.article.text)
        for word, kind in q.entities:
            if word not in article_key:
                base *= ENTITY_PENALTY[kind]
        return float(max(0.0, min(1.0, base)))

    # -- output ----------------------------------------------------------------------------

    def _short(self, q: Question, best: Scored) -> str:
        text = best.article.text
        if best.span:
            return text[best.span[0]:best.span[1]]
        return text[best.start:best.end]

    def _extend(self, q: Question, best: Scored) -> Scored:
        """For why/how questions, add the sentence before or after that gives the cause or purpose."""
        if q.kind not in ("why", "how") or best.span:
            return best
        text = best.article.text
        spans = sentence_spans(text)
        at = next((i for i, (s, _) in enumerate(spans) if s == best.start), None)
        if at is None:
            return best
        start, end = best.start, best.end
        if at > 0 and (any(m in text[spans[at - 1][0]:spans[at - 1][1]] for m in _CAUSE_BEFORE)
                       or text[best.start:best.end].startswith(_CAUSE_OPENERS)):
            start = spans[at - 1][0]
        if at + 1 < len(spans) and text[spans[at + 1][0]:spans[at + 1][1]].startswith(_PURPOSE_AFTER):
            end = spans[at + 1][1]
        return replace(best, start=start, end=end)

    def _quotes(self, best: Scored, scored: list[Scored], top_k: int) -> tuple[Quote, ...]:
        quotes = [Quote.of(best.article, best.start, best.end)]
        for cand in scored:
            if len(quotes) >= min(3, top_k):
                break
            # Further quotes must support the answer nearly as well, not just share a word.
            if cand.score < 0.7 * best.score:
                break
            if cand.coverage < 0.6 * best.coverage:
                continue
            if any(q.article_id == cand.article.id and q.start < cand.end and cand.start < q.end for q in quotes):
                continue
            quotes.append(Quote.of(cand.article, cand.start, cand.end))
        return tuple(quotes)


_CLAUSE_MARKS = "，,；;。、：:"


def _focus_words(q: Question, reach: int = 6) -> list[str]:
    """Question words within ``reach`` characters of the question word."""
    wh_start, wh_end = len(q.left), len(q.key) - len(q.right)
    if wh_start >= wh_end:
        return []
    out = []
    for w in q.keywords:
        at = q.key.find(w)
        if at >= 0 and wh_start - reach <= at + len(w) and at <= wh_end + reach:
            out.append(w)
    return out


def _pair_share(text: str, question_key: str) -> float:
    """Share of the character pairs of ``text`` that also occur in the question."""
    pairs = [text[i:i + 2] for i in range(len(text) - 1)]
    return round(sum(p in question_key for p in pairs) / len(pairs), 2) if pairs else 0.0


def _found(word: str, key: str) -> float:
    """1 when ``word`` occurs in ``key``; for a longer word, the share of its character pairs that
    do (segmentation differs between question and article), discounted."""
    if word in key:
        return 1.0
    if len(word) < 3:
        return 0.0
    pairs = [word[i:i + 2] for i in range(len(word) - 1)]
    return 0.6 * sum(p in key for p in pairs) / len(pairs)


def _with_span(cand: Scored, span: tuple[int, int]) -> Scored:
    return replace(cand, span=span)


def _around(text: str, start: int, end: int, reach: int = 80) -> str:
    """The text just before and after a sentence (its neighbours), for context matches."""
    return text[max(0, start - reach):start] + " " + text[end:end + reach]

