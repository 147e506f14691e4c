"""Build the index from the corpus: incremental (unchanged chunks keep their vectors), locked,
with progress, and swapped in atomically by `qa.index.save_index`."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from qa.chunking import chunk_corpus
from qa.config import Settings
from qa.corpus import load_corpus
from qa.embedders import canonical_model_name, load_embedder
from qa.errors import IndexMissingError, IndexStaleError
from qa.index import (
    FORMAT_VERSION,
    Index,
    build_lock,
    chunk_key,
    corpus_hash,
    key_hash,
    load_index,
    save_index,
    stale_reason,
    vectors_of,
)
from qa.records import Article
from qa.text import tokenize


@dataclass(frozen=True)
class BuildSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    articles: int = 0
    chunks: int = 0
    model: str = ""
    index_dir: str = ""
    rebuilt_because: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _previous(root: Path) -> Index | None:
    try:
        return load_index(root)
    except (IndexMissingError, IndexStaleError):
        return None


def resolve_model(settings: Settings, previous: Index | None) -> str:
    """--model when given, else the model of the existing index, else the bundled default."""
    if settings.model:
        return canonical_model_name(settings.model)
    if previous is not None:
        return str(previous.meta["embedder"])
    return canonical_model_name(None)


def expected_meta(settings: Settings, articles: tuple[Article, ...], model: str) -> dict:
    return {
        "embedder": model,
        "chunk_chars": settings.chunk_chars,
        "overlap_sentences": settings.overlap_sentences,
        "corpus_hash": corpus_hash(articles),
    }


def _progress_bar(total: int, quiet: bool, out: TextIO):
    from tqdm import tqdm

    # disable=None: tqdm hides itself when stderr is not a terminal.
    return tqdm(total=total, desc="Embedding", unit="chunk", file=out, disable=True if quiet else None,
                dynamic_ncols=True)


def build(settings: Settings, *, full: bool = False, quiet: bool = False, out: TextIO | None = None) -> tuple[Index, BuildSummary]:
    """Build (or refresh) the index of ``settings.corpus_dir`` into ``settings.index_dir``."""
    import bm25s
    import faiss

    out = out or sys.stderr
    started = time.perf_counter()
    report = load_corpus(settings.corpus_dir)
    articles = report.articles
    with build_lock(settings.index_dir):
        previous = _previous(settings.index_dir)
        model = resolve_model(settings, previous)
        meta = expected_meta(settings, articles, model)
        rebuilt_because = None
        if previous is not None and not full:
            reason = stale_reason(previous.meta, {k: meta[k] for k in ("embedder", "chunk_chars", "overlap_sentences")})
            if reason:
                rebuilt_because = reason
                if not quiet:
                    print(f"The index was built with {reason}; re-embedding every chunk.", file=out)
        embedder = load_embedder(model)
        chunks = chunk_corpus(articles, settings.chunk_chars, settings.overlap_sentences)
        by_id = {a.id: a for a in articles}
        keys = [chunk_key(by_id[c.article_id], c) for c in chunks]
        hashes = [key_hash(k) for k in keys]

        reusable: dict[str, np.ndarray] = {}
        if previous is not None and not full and previous.meta.get("embedder") == model:
            old_vectors = vectors_of(previous)
            for c, vec in zip(previous.chunks, old_vectors):
                reusable[key_hash(chunk_key(previous.articles[c.article_id], c))] = vec
        todo = [i for i, h in enumerate(hashes) if h not in reusable]
        vectors = np.zeros((len(chunks), embedder.dim), np.float32)
        for i, h in enumerate(hashes):
            if h in reusable:
                vectors[i] = reusable[h]
        if todo:
            if not quiet:
                print(f"Embedding {len(todo)} of {len(chunks)} chunks with {model} ...", file=out)
            with _progress_bar(len(todo), quiet, out) as bar:
                vectors[todo] = embedder.embed_passages([keys[i] for i in todo], progress=bar.update)

        # Cosine similarity as inner product: the embedders return unit vectors.
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
        if len(chunks):
            flat.add_with_ids(vectors, np.arange(len(chunks), dtype=np.int64))
        bm25 = bm25s.BM25()
        bm25.index([tokenize(k) or [""] for k in keys], show_progress=False)

        meta.update({
            "format_version": FORMAT_VERSION,
            "dim": embedder.dim,
            "n_articles": len(articles),
            "n_chunks": len(chunks),
            "corpus_dir": str(Path(settings.corpus_dir).resolve()),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })
        index = Index(meta, by_id, chunks, flat, bm25)
        where = save_index(index, settings.index_dir)

    old = previous.articles if previous is not None else {}
    added = sum(1 for a in articles if a.id not in old)
    unchanged = sum(1 for a in articles if a.id in old and old[a.id] == a)
    summary = BuildSummary(
        added=added,
        changed=len(articles) - added - unchanged,
        removed=sum(1 for aid in old if aid not in by_id),
        unchanged=unchanged,
        chunks_embedded=len(todo),
        chunks_reused=len(chunks) - len(todo),
        warnings=list(report.warnings),
        seconds=round(time.perf_counter() - started, 3),
        articles=len(articles),
        chunks=len(chunks),
        model=model,
        index_dir=str(settings.index_dir),
        rebuilt_because=rebuilt_because,
    )
    return Index(meta, by_id, chunks, flat, bm25, where), summary


def ensure_index(settings: Settings, *, quiet: bool = False, out: TextIO | None = None) -> Index:
    """The index for ``settings``, built first (with progress) when missing or stale."""
    out = out or sys.stderr
    try:
        index = load_index(settings.index_dir)
    except (IndexMissingError, IndexStaleError) as err:
        if not quiet:
            print(f"{err} Building it now ...", file=out)
        return _build_and_report(settings, quiet, out)
    report = load_corpus(settings.corpus_dir)
    model = resolve_model(settings, index)
    reason = stale_reason(index.meta, expected_meta(settings, report.articles, model))
    if reason is None:
        return index
    if not quiet:
        print(f"The index in {settings.index_dir} was built from {reason}; rebuilding it ...", file=out)
    return _build_and_report(settings, quiet, out)


def _build_and_report(settings: Settings, quiet: bool, out: TextIO) -> Index:
    index, summary = build(settings, quiet=quiet, out=out)
    if not quiet:
        for w in summary.warnings:
            print(f"warning: {w}", file=out)
        print(f"Index ready: {summary.articles} articles, {summary.chunks} chunks, {summary.seconds:.1f} s.", file=out)
    return index
