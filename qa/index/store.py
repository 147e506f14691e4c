"""The index on disk: FAISS vectors, chunk and article store, BM25, and meta.json.

Layout of the index directory (``embeddings/`` by default):

    CURRENT            name of the live version directory, replaced atomically
    v-<stamp>/         one complete index: meta.json, vectors.faiss, chunks.sqlite (chunks
                       and articles, see `qa.index.chunk_store`), bm25/
    .build.lock        held while a build runs

    .tmp-v-<stamp>/    a version being written; a leftover if its build died

A version directory is written completely and flushed before CURRENT points to it, so a reader
never sees a half-written index, and a build that crashes or is killed leaves the previous one
live and unchanged; the next build removes its leftovers.

Loading reads no chunk, article or vector up front: the store is opened as an SQLite table, and
the vectors and BM25 matrices are memory-mapped, so a page over 10^6 chunks is ready in seconds
and its memory grows with what queries touch, not with the archive.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexMissingError, IndexStaleError, QAError
from qa.index.chunk_store import STORE, open_store, write_store
from qa.index.vectors import read_vectors, storage_of
from qa.records import Article, Chunk

# 2: chunks and articles in one SQLite file instead of JSON lines (read lazily).
FORMAT_VERSION = 2
# Loading checks every chunk against its article up to this many chunks, a spread of
# SPOT_CHECKS beyond (about 0.1 s either way).
FULL_CHECK_MAX = 50_000
SPOT_CHECKS = 2_000
CURRENT = "CURRENT"
LOCK = ".build.lock"
TOKENS = "tokens.jsonl"


@dataclass(frozen=True)
class Index:
    """An index in memory: everything retrieval and answering need."""

    meta: dict[str, Any]
    # A dict and a list when built in memory; lazy tables over the store when loaded.
    articles: Mapping[str, Article]
    chunks: Sequence[Chunk]
    # faiss.IndexIDMap2 over IndexFlatIP or IndexHNSWFlat (`qa.index.vectors`; meta.json's
    # "vector_index" says which): inner product of unit vectors = cosine
    vectors: Any
    bm25: Any  # bm25s.BM25 over jieba tokens of the normalised chunk keys
    path: Path | None = None
    # The BM25 tokens of each chunk, kept with a version so that a rebuild need not tokenise
    # unchanged chunks again (the slowest part of a rebuild); serving never loads them.
    tokens: list[list[str]] | None = None


def corpus_hash(articles: list[Article] | tuple[Article, ...]) -> str:
    """A hash of everything an index depends on in the articles."""
    h = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.id):
        h.update(json.dumps(asdict(a), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def chunk_key(article: Article, chunk: Chunk) -> str:
    """The text a chunk is searched by: its article's title gives it context."""
    return f"{article.title}\n{chunk.text}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def live_dir(root: Path) -> Path | None:
    """The version directory CURRENT points to, if any."""
    pointer = Path(root) / CURRENT
    try:
        # errors="replace": a garbled pointer names a version that does not exist (reported as damage
        # by `load_index`, repaired by a build), instead of crashing every reader with a decode error.
        name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    return Path(root) / name if name else None


def new_version_name() -> str:
    """A version directory name that sorts by creation time (see `remove_leftovers`)."""
    ns = time.time_ns()
    return f"v-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(ns // 10**9))}-{ns % 10**9:09d}"


def save_index(index: Index, root: Path) -> Path:
    """Write ``index`` as a new version under ``root`` and make it live atomically.

    Call it while holding `build_lock`: one writer at a time is what makes the fixed temporary
    names and the clean-up safe.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = new_version_name()
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    try:
        write_version(index, tmp)
        os.rename(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    previous = live_dir(root)
    point_to(root, name)
    # Keep the version that was live until now: a reader may be loading it at this moment.
    keep = {name} | ({previous.name} if previous is not None else set())
    for old in _versions(root):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return root / name


def write_version(index: Index, where: Path) -> None:
    """Write every file of ``index`` into the empty directory ``where`` and flush it to disk."""
    import faiss

    faiss.write_index(index.vectors, str(where / "vectors.faiss"))
    write_store(where / STORE, index.chunks, index.articles.values())
    index.bm25.save(str(where / "bm25"), show_progress=False)
    if index.tokens is not None:
        with open(where / TOKENS, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(t, ensure_ascii=False) + "\n" for t in index.tokens)
    # meta.json last: a version directory without it is incomplete by definition.
    (where / "meta.json").write_text(json.dumps(index.meta, ensure_ascii=False, indent=2), encoding="utf-8")
    for p in where.rglob("*"):
        _fsync(p)
    _fsync(where)


def point_to(root: Path, name: str) -> None:
    """Make version ``name`` live: write the pointer aside, flush it, then rename it over CURRENT
    (a rename is atomic, so readers see the old name or the new one, never a mix)."""
    tmp = root / f".{CURRENT}.tmp"
    tmp.write_text(name + "\n", encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, root / CURRENT)
    _fsync(root)


def remove_leftovers(root: Path) -> list[str]:
    """Remove what crashed or killed builds left under ``root``; call it holding `build_lock`.

    Leftovers are temporary directories and pointers, and version directories newer than the
    live one (written completely but never made live). The live version and the one before it
    are kept. Returns the names removed.
    """
    root = Path(root)
    live = live_dir(root)
    removed = []
    for p in sorted(root.glob(".tmp-*")) + sorted(root.glob(f".{CURRENT}.*")):
        removed.append(p.name)
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    for v in _versions(root):
        if live is None or v.name > live.name:
            removed.append(v.name)
            shutil.rmtree(v, ignore_errors=True)
    return removed


def _versions(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("v-*") if p.is_dir())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_index(root: Path) -> Index:
    """Load the live index under ``root``; a missing or damaged one raises a QAError naming the fix."""
    import bm25s

    root = Path(root)
    where = live_dir(root)
    if where is not None and (where.parent != root or not where.name.startswith("v-") or not where.is_dir()):
        raise IndexStaleError(f"The index in {root} is damaged ({CURRENT} names a version that does not exist); "
                              "run `qa build --full` to rebuild it.")
    if where is None or not (where / "meta.json").exists():
        raise IndexMissingError(f"There is no index in {root}; run `qa build` to build it.")
    try:
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("meta.json does not hold an object")
        if meta.get("format_version") != FORMAT_VERSION:
            raise IndexStaleError(f"The index in {root} has format {meta.get('format_version')}, this version of "
                                  f"qa reads format {FORMAT_VERSION}; run `qa build --full` to rebuild it.")
        chunks, articles = open_store(where / STORE, f"The index in {root}")
        vectors = read_vectors(where / "vectors.faiss")
        # mmap: the score matrix stays on disk until a query reads its columns.
        bm25 = bm25s.BM25.load(str(where / "bm25"), show_progress=False, mmap=True)
        bad = _first_inconsistent_chunk(chunks, articles)
    except QAError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.Error) as err:
        raise IndexStaleError(f"The index in {root} is damaged ({type(err).__name__}); "
                              "run `qa build --full` to rebuild it.") from err
    if vectors.ntotal != len(chunks) or meta.get("n_chunks") != len(chunks):
        raise IndexStaleError(f"The index in {root} is incomplete ({vectors.ntotal} vectors for {len(chunks)} "
                              "chunks); run `qa build --full` to rebuild it.")
    if bad is not None:
        raise IndexStaleError(f"The index in {root} is damaged (chunk {bad} does not match its article); "
                              "run `qa build --full` to rebuild it.")
    return Index(meta, articles, chunks, vectors, bm25, where)


def _first_inconsistent_chunk(chunks: Sequence[Chunk], articles: Mapping[str, Article]) -> int | None:
    """The position of the first chunk out of place (its id is its row in FAISS and its position
    here) or whose offsets no longer give its text: an edited chunk store would otherwise quote
    words the article does not hold. A few milliseconds for 100k chunks.

    Past `FULL_CHECK_MAX` chunks only an even spread of them is checked: reading every chunk
    would make loading as slow as the archive is large, which the lazy store exists to avoid."""
    n = len(chunks)
    if n <= FULL_CHECK_MAX:
        pairs = enumerate(chunks)
    else:
        pairs = ((int(i), chunks[int(i)]) for i in np.unique(np.linspace(0, n - 1, SPOT_CHECKS).astype(int)))
    for i, c in pairs:
        article = articles.get(c.article_id)
        if c.id != i or article is None or article.text[c.start:c.end] != c.text:
            return i
    return None


def stale_reason(meta: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Why an index with ``meta`` does not fit ``expected`` settings and corpus, or None."""
    labels = {
        "embedder": "another embedding model",
        "chunk_chars": "other chunk settings",
        "overlap_sentences": "other chunk settings",
        "chunker": "other chunk settings",
        "ingest": "another version of the file reader",
        "corpus_hash": "other articles",
        "tokenizer": "another version of the search tokenizer",
    }
    for key, label in labels.items():
        if key in expected and meta.get(key) != expected[key]:
            return label
    return None


def vectors_of(index: Index) -> np.ndarray:
    """All chunk vectors, in chunk-id order (to reuse them in an incremental build)."""
    import faiss

    n = index.vectors.ntotal
    if n == 0:
        return np.zeros((0, int(index.meta.get("dim", 0))), np.float32)
    # One bulk copy out of the flat storage, then put the rows in id order (one call per row
    # through the id map is 100x slower on a large corpus).
    rows = storage_of(index.vectors).reconstruct_n(0, n)
    ids = faiss.vector_to_array(index.vectors.id_map)
    out = np.empty_like(rows)
    out[ids] = rows
    return out.astype(np.float32, copy=False)


def tokens_of(index: Index) -> list[list[str]] | None:
    """The BM25 tokens of each chunk saved with ``index``, or None if that version has none."""
    if index.path is None or not (index.path / TOKENS).exists():
        return None
    try:
        with open(index.path / TOKENS, encoding="utf-8") as f:
            tokens = [json.loads(line) for line in f]
    except (OSError, ValueError):
        return None  # only an optimisation: tokenise again
    return tokens if len(tokens) == len(index.chunks) else None


@contextmanager
def build_lock(root: Path):
    """Hold the build lock of ``root``; a second build at the same time gets a clear error.

    flock, not a lock file that exists: the kernel releases it when the holder dies, even by
    kill -9, so a crashed build never blocks the next one.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise QAError(f"Another build of {root} is running{who}; "
                          "wait for it to finish and try again.") from err
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
