"""Reprints at question time: one story is one source, however many outlets ran it.

The groups are found when the corpus is read (`qa.ingest.reprints`) and kept on each article
(``Article.reprints``, canonical first). Retrieval keeps the best-ranked hit of a story and drops
the hits of its other copies (`collapse_reprints`); an answer's quotes name the other outlets
(`cite_reprints`, ``Quote.also_in``); evaluation counts a copy of the gold article as the gold
article (`same_story`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from qa.records import Answer, Article, Hit, Quote


def story(article_id: str | None, articles: Mapping[str, Article]) -> str | None:
    """The story an article belongs to: its reprint group's canonical article (itself when it has no
    reprints, or is unknown)."""
    article = articles.get(article_id) if article_id else None
    return article.canonical if article is not None else article_id


def same_story(a: str, b: str, articles: Mapping[str, Article]) -> bool:
    """Whether the articles ``a`` and ``b`` are one story (the same article, or reprints of each other)."""
    return a == b or story(a, articles) == story(b, articles)


def collapse_reprints(hits: Sequence[Hit], articles: Mapping[str, Article]) -> list[Hit]:
    """``hits`` (best first) without those from a reprint of an article ranked higher: the best-ranked
    copy of each story stays, with all its own hits (several chunks of one article are one source).
    Copies whose best hits score the same (the same text) are cited by the story's first copy."""
    chosen: dict[str, tuple[float, bool, str]] = {}  # story -> (best score, canonical, article id)
    for hit in hits:
        aid = hit.chunk.article_id
        key = story(aid, articles)
        held = chosen.get(key)
        if held is None or (hit.score == held[0] and aid == key and not held[1]):
            chosen[key] = (hit.score, aid == key, aid)
    return [hit for hit in hits if chosen[story(hit.chunk.article_id, articles)][2] == hit.chunk.article_id]


def also_in(article: Article, articles: Mapping[str, Article]) -> tuple[str, ...]:
    """The outlets that ran ``article``'s story besides its own (`outlets_besides`)."""
    def source_of(other_id: str) -> str | None:
        other = articles.get(other_id)
        return other.source if other is not None else None

    return outlets_besides(article.id, article.source, article.reprints, source_of)


def outlets_besides(article_id: str, source: str | None, group: Sequence[str],
                    source_of: Callable[[str], str | None]) -> tuple[str, ...]:
    """The outlets of ``group`` (a reprint group's ids) other than ``source``, the article's own, in
    the group's order, each once. A copy without a named outlet is left out: "also in: (unknown)"
    would tell the reader nothing."""
    out: list[str] = []
    for other_id in group:
        other = source_of(other_id) if other_id != article_id else None
        if other and other != source and other not in out:
            out.append(other)
    return tuple(out)


def cite_reprints(answer: Answer, articles: Mapping[str, Article]) -> Answer:
    """``answer`` with each quote's ``also_in`` set to the other outlets of its article's story."""
    def cited(quotes: tuple[Quote, ...]) -> tuple[Quote, ...]:
        out = []
        for q in quotes:
            article = articles.get(q.article_id)
            outlets = also_in(article, articles) if article is not None and article.reprints else ()
            out.append(replace(q, also_in=outlets) if outlets != q.also_in else q)
        return tuple(out)

    return replace(answer, quotes=cited(answer.quotes), closest=cited(answer.closest))
