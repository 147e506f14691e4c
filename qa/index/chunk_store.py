"""The chunk and article store of an index version: one SQLite file, opened lazily.

Loading an index must not read every chunk and article: at 10^6 chunks that took longer and
held more memory than everything else together. `ChunkTable` and `ArticleTable` give the access
the code uses (``chunks[i]``, ``len(chunks)``, iteration, ``articles[id]``, ``id in articles``)
and read rows only when asked. A version directory is never changed once written, so the file is
opened read-only and immutable (no locking, no journal), shared by every thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote

import numpy as np

from qa.errors import IndexStaleError
from qa.records import Article, Chunk

# Named "chunks...": it holds the articles too, but chunks are what most of it is.
STORE = "chunks.sqlite"
CHUNK_FIELDS = ("id", "article_id", "start", "end", "text")
ARTICLE_FIELDS = ("id", "title", "text", "path", "source", "date", "url", "pages", "reprints")
# Rows read per query while iterating: few round trips, bounded memory.
BATCH = 2_000

SCHEMA = """
CREATE TABLE chunks (n INTEGER PRIMARY KEY, id INTEGER NOT NULL, article_id TEXT NOT NULL,
                     start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE articles (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, text TEXT NOT NULL,
                       path TEXT NOT NULL, source TEXT, date TEXT, url TEXT, pages TEXT, reprints TEXT,
                       copy_of TEXT);
"""


def write_store(path: Path, chunks: Iterable[Chunk], articles: Iterable[Article]) -> None:
    """Write a new store file at ``path`` (the caller flushes it to disk with the rest of the version)."""
    con = sqlite3.connect(path)
    try:
        # No journal: a store is written once, into a directory that only becomes live when complete.
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        with con:
            # Rows by position (n), each with the id it claims: loading checks that they agree.
            con.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                            ((n, c.id, c.article_id, c.start, c.end, c.text) for n, c in enumerate(chunks)))
            con.executemany("INSERT INTO articles (id, title, text, path, source, date, url, pages, reprints, "
                            "copy_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            ((a.id, a.title, a.text, a.path, a.source, a.date, a.url, _json_list(a.pages),
                              _json_list(a.reprints), a.canonical if a.canonical != a.id else None)
                             for a in articles))
            # Built after the rows are in: one sort instead of an update per insert.
            con.execute("CREATE INDEX chunks_by_article ON chunks (article_id)")
            # The page lists and filters articles by outlet and date: these answer it from the index
            # alone (no article text read), newest first, at any size of archive; copy_of (the
            # canonical id of a reprint, NULL for the first copy of a story) lets it list one row per story.
            con.execute("CREATE INDEX articles_by_date ON articles (date, title, source, id, copy_of)")
            con.execute("CREATE INDEX articles_by_source ON articles (source, date, title, id, copy_of)")
    finally:
        con.close()


def _json_list(values: tuple) -> str | None:
    return json.dumps(list(values), ensure_ascii=False) if values else None


def _article(row: Sequence) -> Article:
    """An Article from a row of ARTICLE_FIELDS; a store written before PDF pages and reprints has NULLs
    there (see `ArticleTable`)."""
    *fields, pages, reprints = row
    return Article(*fields, pages=tuple(json.loads(pages)) if pages else (),
                   reprints=tuple(json.loads(reprints)) if reprints else ())


class Store:
    """One read-only connection to a store file, shared by threads under a lock (queries take
    microseconds, so waiting for one is cheaper than a connection per thread).

    ``owner`` names the index in messages ("The index in embeddings"): rows are read long after
    loading, so damage found then is reported as loading reports it, in one sentence.
    """

    def __init__(self, path: Path, owner: str) -> None:
        if not Path(path).is_file():
            raise FileNotFoundError(path)  # connect() would create it
        uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro&immutable=1"
        self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.owner = owner

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        try:
            with self._lock:
                return self._con.execute(sql, args).fetchall()
        except sqlite3.Error as err:
            raise IndexStaleError(f"{self.owner} is damaged ({type(err).__name__}); "
                                  "run `qa build --full` to rebuild it.") from err


class ChunkTable(Sequence[Chunk]):
    """The chunks of an index by position, read from the store when asked (a chunk's id is its
    position; loading checks it)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # Positions are 0..n-1: MAX reads one b-tree path where COUNT reads every page.
        last = store.query("SELECT MAX(n) FROM chunks")[0][0]
        self._n = 0 if last is None else last + 1

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"chunk {i} out of range")
        rows = self._store.query('SELECT id, article_id, start, "end", text FROM chunks WHERE n = ?', (i,))
        if not rows:
            raise IndexError(f"chunk {i} is missing from the store")
        return Chunk(*rows[0])

    def __iter__(self) -> Iterator[Chunk]:
        last = -1
        while True:
            rows = self._store.query('SELECT n, id, article_id, start, "end", text FROM chunks WHERE n > ? '
                                     "ORDER BY n LIMIT ?", (last, BATCH))
            if not rows:
                return
            yield from (Chunk(*r[1:]) for r in rows)
            last = rows[-1][0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one

    def ids_of_articles(self, article_ids: Collection[str]) -> np.ndarray:
        """The positions (= ids) of the chunks of those articles, in order (from the store's article index)."""
        rows = _by_ids(self._store, "SELECT n FROM chunks WHERE article_id", article_ids)
        return np.sort(np.array([r[0] for r in rows], dtype=np.int64))


class ArticleTable(Mapping[str, Article]):
    """The articles of an index by id, read from the store when asked; ``values()`` and ``items()``
    stream rows instead of looking each id up."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # Rows are numbered 1..n as they were written: MAX(n) is the count without reading every page.
        self._n = store.query("SELECT COALESCE(MAX(n), 0) FROM articles")[0][0]
        # Neighbouring chunks belong to the same article: a rebuild that walks every chunk asks for
        # the same few articles over and over.
        self._get = lru_cache(maxsize=256)(self._read)
        # A store written before articles had PDF pages and reprint groups lacks their columns.
        have = {row[1] for row in store.query("PRAGMA table_info(articles)")}
        self.columns = ", ".join(f if f in have else f"NULL AS {f}" for f in ARTICLE_FIELDS)
        # Without copy_of (an older store) every article is listed as its own story.
        self.groups_reprints = "copy_of" in have
        self._stories: int | None = None

    def _read(self, article_id: str) -> Article | None:
        rows = self._store.query(f"SELECT {self.columns} FROM articles WHERE id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    def __getitem__(self, article_id: str) -> Article:
        article = self._get(article_id) if isinstance(article_id, str) else None
        if article is None:
            raise KeyError(article_id)
        return article

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and bool(
            self._store.query("SELECT 1 FROM articles WHERE id = ?", (article_id,)))

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self._rows("id"))

    def values(self) -> _Values:  # type: ignore[override]
        return _Values(self)

    def items(self) -> _Items:  # type: ignore[override]
        return _Items(self)

    def matching(self, sources: Collection[str], low: str | None, high: str | None,
                 limit: int | None = None, stories: bool = False) -> list[tuple[str, str, str | None, str | None]]:
        """(id, title, source, date) of the articles from ``sources`` (any when empty) dated within
        [low, high] (ISO; None: open), newest first then by title, as `filters.newest_first` orders
        them; at most ``limit``. An undated article passes no date limit. ``stories``: the first copy
        of each story only (reprints left out)."""
        where, args = _conditions(sources, low, high, stories and self.groups_reprints)
        sql = f"SELECT id, title, source, date FROM articles{where} ORDER BY date DESC, title DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self._store.query(sql, args)

    def count(self, sources: Collection[str], low: str | None, high: str | None, stories: bool = False) -> int:
        stories = stories and self.groups_reprints
        if stories and not sources and low is None and high is None:
            if self._stories is None:  # the store never changes: one scan of the date index, once
                self._stories = self._count((), None, None, True)
            return self._stories
        return self._count(sources, low, high, stories)

    def _count(self, sources: Collection[str], low: str | None, high: str | None, stories: bool) -> int:
        where, args = _conditions(sources, low, high, stories)
        return int(self._store.query(f"SELECT COUNT(*) FROM articles{where}", args)[0][0])

    def reprints_of(self, article_ids: Collection[str]) -> dict[str, tuple[str, ...]]:
        """For each of ``article_ids`` in a reprint group: the group's ids."""
        if not self.groups_reprints:
            return {}
        rows = _by_ids(self._store, "SELECT id, reprints FROM articles WHERE reprints IS NOT NULL AND id", article_ids)
        return {i: tuple(json.loads(group)) for i, group in rows}

    def sources_of(self, article_ids: Collection[str]) -> dict[str, str | None]:
        """The outlet of each of ``article_ids`` that is in the store."""
        return dict(_by_ids(self._store, "SELECT id, source FROM articles WHERE id", article_ids))

    def _rows(self, columns: str) -> Iterator[tuple]:
        last = 0
        while True:
            rows = self._store.query(f"SELECT n, {columns} FROM articles WHERE n > ? ORDER BY n LIMIT ?",
                                     (last, BATCH))
            if not rows:
                return
            yield from (r[1:] for r in rows)
            last = rows[-1][0]


def _by_ids(store: Store, select: str, ids: Collection[str]) -> list[tuple]:
    """The rows of ``select`` (a query ending in the column to match) `` IN (...)`` the distinct ``ids``."""
    wanted = list(dict.fromkeys(ids))
    rows: list[tuple] = []
    # SQLite caps the number of parameters of one statement; 500 stays far below every build's cap.
    for a in range(0, len(wanted), 500):
        part = wanted[a:a + 500]
        rows.extend(store.query(f"{select} IN ({','.join('?' * len(part))})", part))
    return rows


def _conditions(sources: Collection[str], low: str | None, high: str | None,
                stories: bool = False) -> tuple[str, list]:
    """The WHERE clause of a filter; comparing ISO dates as text orders them as dates."""
    parts: list[str] = ["copy_of IS NULL"] if stories else []
    args: list = []
    if sources:
        parts.append(f"source IN ({','.join('?' * len(sources))})")
        args.extend(sources)
    if low is not None:
        parts.append("date >= ?")  # NULL (undated) compares as unknown: excluded, as intended
        args.append(low)
    if high is not None:
        parts.append("date <= ?")
        args.append(high)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args


class _Values:
    def __init__(self, table: ArticleTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[Article]:
        return (_article(r) for r in self._table._rows(self._table.columns))


class _Items(_Values):
    def __iter__(self) -> Iterator[tuple[str, Article]]:  # type: ignore[override]
        return ((a.id, a) for a in super().__iter__())


def open_store(path: Path, owner: str) -> tuple[ChunkTable, ArticleTable]:
    """The chunk and article tables of the store file at ``path`` (``owner``: see `Store`)."""
    store = Store(path, owner)
    return ChunkTable(store), ArticleTable(store)


def chunk_ids_of(chunks: Sequence[Chunk], article_ids: Collection[str]) -> np.ndarray:
    """The ids of the chunks of those articles, from the store when it has an index for it."""
    if isinstance(chunks, ChunkTable):
        return chunks.ids_of_articles(article_ids)
    allowed = set(article_ids)
    return np.array([c.id for c in chunks if c.article_id in allowed], dtype=np.int64)
