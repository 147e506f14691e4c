"""Article -> chunks on sentence boundaries, with overlap; offsets into the article kept."""

from __future__ import annotations

from collections.abc import Iterable

from qa.records import Article, Chunk
from qa.text.sentences import sentence_spans

# Recorded in the index: a change to how chunks are cut or tokenised makes existing indexes stale.
CHUNKER_VERSION = 3


def _windows(spans: list[tuple[int, int]], max_chars: int, overlap: int) -> Iterable[tuple[int, int]]:
    """Group consecutive sentences into windows of at most ``max_chars`` (a longer sentence
    stands alone), each window starting ``overlap`` sentences before the previous one ended."""
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= max_chars:
            j += 1
        yield spans[i][0], spans[j - 1][1]
        if j >= len(spans):
            return
        # Start ``overlap`` sentences back, unless that leaves no room for the next new sentence.
        k = max(j - overlap, i + 1)
        while k < j and spans[j][1] - spans[k][0] > max_chars:
            k += 1
        i = k


def chunk_article(article: Article, max_chars: int, overlap: int, first_id: int = 0) -> list[Chunk]:
    """Chunks of one article; ``article.text[c.start:c.end] == c.text`` for every chunk."""
    spans = sentence_spans(article.text)
    return [
        Chunk(first_id + n, article.id, start, end, article.text[start:end])
        for n, (start, end) in enumerate(_windows(spans, max_chars, overlap))
    ]


def chunk_corpus(articles: Iterable[Article], max_chars: int, overlap: int) -> list[Chunk]:
    """Chunks of all articles, numbered consecutively from 0."""
    chunks: list[Chunk] = []
    for article in articles:
        chunks.extend(chunk_article(article, max_chars, overlap, first_id=len(chunks)))
    return chunks
