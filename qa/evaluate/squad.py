"""SQuAD-format benchmarks (CMRC 2018, DRCD) as an open corpus: every paragraph is an article,
every question is asked against the whole collection, and its gold article is its paragraph.

The paragraphs are written once as a JSON Lines corpus into a cache directory keyed by the data
file's hash and the embedder, and indexed there with `qa.index.build`; later runs reuse it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qa.config import Settings, cache_root
from qa.errors import QAError
from qa.evaluate.runs import Item
from qa.index import Index

BUILD_RECORD = "build.json"


@dataclass(frozen=True)
class Paragraph:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class SquadSet:
    paragraphs: tuple[Paragraph, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class CachedIndex:
    index: Index
    settings: Settings  # corpus and index directories inside the cache
    build_seconds: float  # how long the (possibly earlier) build took
    reused: bool


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_squad(path: Path, limit: int | None = None) -> SquadSet:
    """Paragraphs and questions of a SQuAD-format file; ``limit`` keeps the first N questions
    (the corpus stays whole, so retrieval is as hard as in a full run)."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"The SQuAD file {path} does not exist; pass --squad FILE.json "
                      "(e.g. the CMRC 2018 dev set).")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        entries = data["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise QAError(f"{path} is not a SQuAD-format file ({type(err).__name__}: {err}); "
                      'expected {"data": [{"title", "paragraphs": [...]}]}.') from err
    paragraphs: list[Paragraph] = []
    items: list[Item] = []
    seen: set[str] = set()
    for n_entry, entry in enumerate(entries):
        title = str(entry.get("title") or entry.get("id") or f"article {n_entry + 1}")
        for n, para in enumerate(entry.get("paragraphs", []), 1):
            pid = str(para.get("id") or f"{entry.get('id') or n_entry}-{n}")
            if pid in seen:  # ids must be unique to be article ids
                pid = f"{pid}-{len(paragraphs)}"
            seen.add(pid)
            # Article title plus paragraph number: several paragraphs of one article stay apart.
            paragraphs.append(Paragraph(pid, f"{title}（{n}）", str(para["context"])))
            for qa in para.get("qas", []):
                golds = tuple(dict.fromkeys(str(a["text"]) for a in qa.get("answers", []) if str(a["text"]).strip()))
                if qa.get("is_impossible"):
                    golds = ()
                items.append(Item(str(qa["id"]), str(qa["question"]), golds, pid))
    if limit is not None:
        items = items[:limit]
    return SquadSet(tuple(paragraphs), tuple(items))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_")[-60:] or "model"


def cache_dir(data_file: Path, model: str, root: Path | None = None) -> Path:
    """The cache directory for one data file (by content hash) and one embedder."""
    model_key = hashlib.sha256(model.encode()).hexdigest()[:8]
    return (root or cache_root()) / "squad" / f"{file_hash(data_file)[:16]}-{_slug(model)}-{model_key}"


def write_corpus(paragraphs: tuple[Paragraph, ...], corpus_dir: Path) -> None:
    """The paragraphs as one JSON Lines corpus file (rewritten only when it differs)."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False) + "\n"
                   for p in paragraphs)
    target = corpus_dir / "paragraphs.jsonl"
    if target.exists() and target.read_text(encoding="utf-8") == body:
        return  # unchanged: keep its mtime and the index that was built from it
    tmp = target.with_suffix(".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, target)


def cached_index(data_file: Path, squad: SquadSet, settings: Settings, *, root: Path | None = None,
                 quiet: bool = False, out: TextIO | None = None) -> CachedIndex:
    """The index of a SQuAD file's paragraphs, built into the cache on first use and rebuilt by
    `qa.index.ensure_index` whenever the paragraphs or the embedder no longer match it."""
    from qa.index import ensure_index, resolve_model

    model = resolve_model(settings, None)  # the embedder a fresh build would use
    where = cache_dir(Path(data_file), model, root)
    local = settings.with_(corpus_dir=where / "corpus", index_dir=where / "index", model=model)
    write_corpus(squad.paragraphs, local.corpus_dir)
    record = where / BUILD_RECORD
    started = time.perf_counter()
    index = ensure_index(local, quiet=quiet, out=out)
    elapsed = round(time.perf_counter() - started, 2)
    previous = _recorded(record)
    if previous and previous.get("built_at") == index.meta.get("built_at"):
        return CachedIndex(index, local, float(previous.get("seconds", 0.0)), True)
    # Built just now: remember how long it took, for reports of later runs.
    record.write_text(json.dumps({"seconds": elapsed, "built_at": index.meta.get("built_at"),
                                  "data_file": str(Path(data_file).resolve()), "model": model,
                                  "articles": len(index.articles), "chunks": len(index.chunks)}, indent=2),
                      encoding="utf-8")
    return CachedIndex(index, local, elapsed, False)


def _recorded(record: Path) -> dict:
    try:
        return json.loads(record.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
