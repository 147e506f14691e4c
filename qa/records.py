"""Frozen records that cross module boundaries."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Article:
    """One news article; ``text`` is what quotes slice, after hard-wrap repair (and, for pages, Word
    files and PDFs, radical folding: `qa.ingest.radicals`) only."""

    id: str
    title: str
    text: str
    path: str
    source: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    url: str | None = None
    # A PDF's pages: where each starts in ``text`` (page 1 at 0); empty for other formats.
    pages: tuple[int, ...] = ()
    # Its reprint group (near-duplicate texts of one story, `qa.ingest.reprints`): every member's id,
    # the canonical article first, this one included; empty when the story is in no other article.
    reprints: tuple[str, ...] = ()

    @property
    def canonical(self) -> str:
        """The id of the article that stands for this one's story: the first of its reprints, or itself."""
        return self.reprints[0] if self.reprints else self.id

    def page_at(self, offset: int) -> int | None:
        """The PDF page (1-based) that ``text[offset]`` was printed on; None for other formats."""
        return max(1, bisect_right(self.pages, offset)) if self.pages else None


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
    page: int | None = None  # the PDF page the quote starts on
    # The outlets of the cited article's reprints, besides its own (`qa.retrieve.reprints.cite_reprints`).
    also_in: tuple[str, ...] = ()

    @classmethod
    def of(cls, article: Article, start: int, end: int) -> Quote:
        return cls(article.id, article.title, article.source, article.date, article.path,
                   start, end, article.text[start:end], article.page_at(start))

    def to_dict(self) -> dict:
        """JSON-ready: ``also_in`` as a list, as it comes back from JSON."""
        return {**asdict(self), "also_in": list(self.also_in)}


# The answer of an abstention, and what the terminal and the chat page say for one: the wording is here only.
NOT_FOUND = "在现有文章中没有找到这个问题的答案。"


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
                                       "date": q.date, "path": q.path, "also_in": list(q.also_in)})
    return list(seen.values())


def sources(articles: Iterable[Article]) -> list[str]:
    """The distinct sources (outlets) the articles name, sorted; articles without one are not listed."""
    return sorted({a.source for a in articles if a.source})


def date_range(articles: Iterable[Article]) -> tuple[str, str] | None:
    """The earliest and latest known publication dates (ISO), or None when no article has one."""
    dates = [a.date for a in articles if a.date]
    return (min(dates), max(dates)) if dates else None
