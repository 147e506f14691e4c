"""The index on disk: FAISS vectors, chunk and article store, BM25, and meta.json.

Layout of the index directory (``embeddings/`` by default):

    CURRENT            name of the live version directory, replaced atomically
    v-<stamp>/         one complete index: meta.json, vectors.faiss, chunks.jsonl,
                       articles.jsonl, bm25/
    .build.lock        held while a build runs

A version directory is written completely before CURRENT points to it, so a reader never sees a
half-written index, and a crashed build leaves the previous one live.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexMissingError, IndexStaleError, QAError
from qa.records import Article, Chunk

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".build.lock"


@dataclass(frozen=True)
class Index:
    """An index in memory: everything retrieval and answering need."""

    meta: dict[str, Any]
    articles: dict[str, Article]
    chunks: list[Chunk]
    vectors: Any  # faiss.IndexIDMap2 over IndexFlatIP: inner product of unit vectors = cosine
    bm25: Any  # bm25s.BM25 over jieba tokens of the normalised chunk keys
    path: Path | None = None


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
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return Path(root) / name if name else None


def save_index(index: Index, root: Path) -> Path:
    """Write ``index`` as a new version under ``root`` and make it live atomically."""
    import faiss

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    try:
        faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in index.chunks:
                f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        with open(tmp / "articles.jsonl", "w", encoding="utf-8") as f:
            for a in index.articles.values():
                f.write(json.dumps(asdict(a), ensure_ascii=False) + "\n")
        index.bm25.save(str(tmp / "bm25"), show_progress=False)
        # meta.json last: a version directory without it is incomplete by definition.
        (tmp / "meta.json").write_text(json.dumps(index.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_tree(tmp)
        os.rename(tmp, root / name)
        pointer_tmp = root / f".{CURRENT}.{os.getpid()}"
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        _fsync(pointer_tmp)
        os.replace(pointer_tmp, root / CURRENT)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_versions(root, keep={name})
    return root / name


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file():
            _fsync(p)


def _remove_old_versions(root: Path, keep: set[str]) -> None:
    """Drop superseded versions and leftovers of crashed builds, keeping the newest old one
    for readers that loaded it a moment ago."""
    versions = sorted(p for p in root.glob("v-*") if p.is_dir() and p.name not in keep)
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob(".tmp-*"):
        if not _pid_alive(tmp.name):
            shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(tmp_name: str) -> bool:
    try:
        pid = int(tmp_name.split("-")[4])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def load_index(root: Path) -> Index:
    """Load the live index under ``root``; a missing or damaged one raises a QAError naming the fix."""
    import bm25s
    import faiss

    root = Path(root)
    where = live_dir(root)
    if where is None or not (where / "meta.json").exists():
        raise IndexMissingError(f"There is no index in {root}; run `qa build` to build it.")
    try:
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise IndexStaleError(f"The index in {root} has format {meta.get('format_version')}, this version of "
                                  f"qa reads format {FORMAT_VERSION}; run `qa build --full` to rebuild it.")
        with open(where / "articles.jsonl", encoding="utf-8") as f:
            articles = {a.id: a for a in (Article(**json.loads(line)) for line in f)}
        with open(where / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [Chunk(**json.loads(line)) for line in f]
        vectors = faiss.read_index(str(where / "vectors.faiss"))
        bm25 = bm25s.BM25.load(str(where / "bm25"), show_progress=False)
    except QAError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexStaleError(f"The index in {root} is damaged ({type(err).__name__}); "
                              "run `qa build --full` to rebuild it.") from err
    if vectors.ntotal != len(chunks) or meta.get("n_chunks") != len(chunks):
        raise IndexStaleError(f"The index in {root} is incomplete ({vectors.ntotal} vectors for {len(chunks)} "
                              "chunks); run `qa build --full` to rebuild it.")
    return Index(meta, articles, chunks, vectors, bm25, where)


def stale_reason(meta: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Why an index with ``meta`` does not fit ``expected`` settings and corpus, or None."""
    labels = {
        "embedder": "another embedding model",
        "chunk_chars": "other chunk settings",
        "overlap_sentences": "other chunk settings",
        "corpus_hash": "other articles",
    }
    for key, label in labels.items():
        if key in expected and meta.get(key) != expected[key]:
            return label
    return None


def vectors_of(index: Index) -> np.ndarray:
    """All chunk vectors, in chunk-id order (to reuse them in an incremental build)."""
    n = index.vectors.ntotal
    if n == 0:
        return np.zeros((0, int(index.meta.get("dim", 0))), np.float32)
    return np.vstack([index.vectors.reconstruct(i) for i in range(n)]).astype(np.float32)


@contextmanager
def build_lock(root: Path):
    """Hold the build lock of ``root``; a second build at the same time gets a clear error."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise QAError(f"Another build of {root} is running; wait for it to finish and try again.") from err
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
