"""Is the live index still the one of its corpus? Answered from a listing, not by reading the articles.

Whether an index is stale is decided by reading every article and hashing it (`corpus_hash`): at
10^6 articles that takes minutes, and the page would wait for it at every start. Like `make`, we
remember what the corpus looked like (each article file's name, size and modification time, from
stat alone) when it was last found to match the live version, and skip the reading while it still
looks the same. Any write to a file changes its size or mtime, so an edit is still found; a file
replaced by one of the same size with its mtime set back is not (`qa build` always reads everything).

The record sits beside the versions (``corpus-seen.json``), not in a version directory, because
versions are never changed once written: touching a file without changing it would otherwise
re-read the corpus at every start.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from qa.ingest.corpus import article_entries

SEEN = "corpus-seen.json"


def corpus_fingerprint(corpus_dir: Path) -> str | None:
    """A digest of every article file's path, size and mtime (no file is read); None when a
    file cannot be stat'ed (then nothing is remembered and the corpus is read as before)."""
    root = os.fsencode(Path(corpus_dir))
    h = hashlib.sha256()
    try:
        for entry in article_entries(Path(corpus_dir), []):
            st = entry.stat(follow_symlinks=False)
            # Bytes: names that are not UTF-8 hash as they are (they are read that way too).
            h.update(os.fsencode(entry.path)[len(root):] + b"\0")
            h.update(f"{st.st_size}:{st.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return h.hexdigest()


def _record(version: Path, corpus_dir: Path, fingerprint: str) -> dict[str, str]:
    return {"version": version.name, "corpus_dir": str(Path(corpus_dir).resolve()), "files": fingerprint}


def seen_fresh(index_dir: Path, version: Path | None, corpus_dir: Path, fingerprint: str | None) -> bool:
    """The corpus looks as it did when it was last found to match ``version``."""
    if version is None or fingerprint is None:
        return False
    try:
        seen = json.loads((Path(index_dir) / SEEN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return seen == _record(version, corpus_dir, fingerprint)


def remember_fresh(index_dir: Path, version: Path | None, corpus_dir: Path, fingerprint: str | None) -> None:
    """Record that ``version`` matches the corpus as it looks now (best effort: an index directory
    we may not write to only means the corpus is read again next time)."""
    if version is None or fingerprint is None or seen_fresh(index_dir, version, corpus_dir, fingerprint):
        return  # nothing new to record: a build that changed nothing writes nothing
    path = Path(index_dir) / SEEN
    tmp = path.with_name(f".{SEEN}.tmp")
    try:
        tmp.write_text(json.dumps(_record(version, corpus_dir, fingerprint)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
