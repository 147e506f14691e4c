"""Frozen records that cross module boundaries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Article:
    """One news article; ``text`` is what quotes slice, after hard-wrap repair only."""

    id: str
    title: str
    text: str
    path: str
    source: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    url: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: ``article.text[start:end] == text``."""

    id: int
    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the retriever's score (higher is better)."""

    chunk: Chunk
    score: float
    retriever: str


@dataclass(frozen=True)
class Quote:
    """An exact span of an article shown to the user, with its reference."""

    article_id: str
    title: str
    source: str | None
    date: str | None
    path: str
    start: int
    end: int
    text: str

    @classmethod
    def of(cls, article: Article, start: int, end: int) -> Quote:
        return cls(article.id, article.title, article.source, article.date, article.path,
                   start, end, article.text[start:end])

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What a question gets: a short answer grounded in quotes, or an abstention."""

    question: str
    answer: str
    abstained: bool
    confidence: float
    quotes: tuple[Quote, ...] = ()
    # When abstaining: the closest passages, shown as such and never as the answer.
    closest: tuple[Quote, ...] = ()
    kind: str = "what"
    retriever: str = "hybrid"
    # Where the short answer stands in the first quote's article (``text[start:end] == answer``),
    # when the reader knows it; None for abstentions and answers placed by text alone.
    span: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "answer_span": list(self.span) if self.span else None,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "quotes": [q.to_dict() for q in self.quotes],
            "closest": [q.to_dict() for q in self.closest],
            "kind": self.kind,
            "retriever": self.retriever,
            "references": references(self.quotes or self.closest),
        }


@dataclass(frozen=True)
class Traced:
    """An answer with the ranked hits it was drawn from (evaluation ranks the gold article in them)."""

    answer: Answer
    hits: tuple[Hit, ...]  # best first, possibly deeper than the answer read
    read: int  # how many of ``hits`` the answer was drawn from


def references(quotes: tuple[Quote, ...]) -> list[dict]:
    """Distinct articles cited, in the order of their first quote."""
    seen: dict[str, dict] = {}
    for q in quotes:
        seen.setdefault(q.article_id, {"article_id": q.article_id, "title": q.title, "source": q.source,
                                       "date": q.date, "path": q.path})
    return list(seen.values())


def sources(articles: Iterable[Article]) -> list[str]:
    """The distinct sources (outlets) the articles name, sorted; articles without one are not listed."""
    return sorted({a.source for a in articles if a.source})


def date_range(articles: Iterable[Article]) -> tuple[str, str] | None:
    """The earliest and latest known publication dates (ISO), or None when no article has one."""
    dates = [a.date for a in articles if a.date]
    return (min(dates), max(dates)) if dates else None
