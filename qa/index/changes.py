"""What a rebuild has to do: which articles were added, changed or removed since the live index,
and which chunk vectors of the live index can be reused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from qa.index.store import Index, chunk_key, key_hash, tokens_of, vectors_of
from qa.records import Article


@dataclass(frozen=True)
class ArticleChanges:
    added: int
    changed: int
    removed: int
    unchanged: int


def diff_articles(old: Mapping[str, Article], new: Iterable[Article]) -> ArticleChanges:
    """Compare articles by id: same id and equal fields is unchanged, same id otherwise is changed."""
    new_ids: set[str] = set()
    added = changed = unchanged = 0
    for a in new:
        new_ids.add(a.id)
        if a.id not in old:
            added += 1
        elif old[a.id] == a:
            unchanged += 1
        else:
            changed += 1
    return ArticleChanges(added, changed, sum(1 for aid in old if aid not in new_ids), unchanged)


def reusable_vectors(previous: Index) -> dict[str, np.ndarray]:
    """The live index's vectors by the hash of the text they embed (title and chunk).

    A vector depends only on that text and the model, so any chunk whose key hashes the same
    (an unchanged article, or an unchanged passage of a changed one) can take it as it is. The
    caller makes sure the model and chunk settings are the ones the live index was built with.
    """
    vectors = vectors_of(previous)
    return {key_hash(chunk_key(previous.articles[c.article_id], c)): vectors[c.id] for c in previous.chunks}


def reusable_tokens(previous: Index, tokenizer: str) -> dict[str, list[str]]:
    """The live index's BM25 tokens by the hash of the text they come from, when the tokenizer
    is still the one that made them."""
    tokens = tokens_of(previous) if previous.meta.get("tokenizer") == tokenizer else None
    if tokens is None:
        return {}
    return {key_hash(chunk_key(previous.articles[c.article_id], c)): tokens[c.id] for c in previous.chunks}
