"""Retrieval: a question -> ranked chunks (dense, BM25 or hybrid behind one search), filters, follow-ups."""

from qa.retrieve.filters import (
    ArticleFilter,
    FilterError,
    Listed,
    allowed_ids,
    article_filter,
    date_range,
    index_dates,
    index_outlets,
    newest_first,
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

__all__ = ["HYBRID_FUSION", "RETRIEVERS", "ArticleFilter", "Listed", "article_filter", "index_dates",
           "index_outlets", "newest_first", "BM25Retriever", "DenseRetriever", "FilterError", "FusionParams",
           "HybridRetriever", "Retriever", "allowed_ids", "date_range", "fuse", "make_retriever", "parse_day",
           "resolve", "sources"]
