"""Retrieval: a question -> ranked chunks (dense, BM25 or hybrid behind one search), filters, follow-ups."""

from qa.errors import FilterError
from qa.retrieve.filters import (
    ArticleFilter,
    Listed,
    allowed_ids,
    article_filter,
    date_range,
    index_dates,
    index_outlets,
    newest_first,
    newest_key,
    parse_day,
    sources,
)
from qa.retrieve.followup import resolve
from qa.retrieve.fusion import HYBRID_FUSION, FusionParams, fuse
from qa.retrieve.retrievers import (
    RETRIEVERS,
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    Retriever,
    make_retriever,
)

__all__ = ["HYBRID_FUSION", "RETRIEVERS", "ArticleFilter", "BM25Retriever", "DenseRetriever", "FilterError",
           "FusionParams", "HybridRetriever", "Listed", "Retriever", "allowed_ids", "article_filter", "date_range",
           "fuse", "index_dates", "index_outlets", "make_retriever", "newest_first", "newest_key", "parse_day",
           "resolve", "sources"]
