"""An index stays bound to the corpus it was built from.

`meta.json` records the corpus directory (absolute). Commands given an index use that directory for
their staleness check and any rebuild, so an index built from `my-news/` is never silently rebuilt
from the default `corpus/`. Only `qa build --corpus NEW --index DIR` moves an index to another corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

from qa.config import Settings
from qa.errors import CorpusMismatchError
from qa.index.store import live_dir


def recorded_corpus(index_dir: Path) -> Path | None:
    """The corpus directory the live index under ``index_dir`` was built from, or None when there is
    no readable index or it predates the record (reading meta.json only, not the index)."""
    meta = _readable_meta(index_dir)
    recorded = meta.get("corpus_dir") if meta is not None else None
    return Path(recorded) if isinstance(recorded, str) and recorded else None


def _readable_meta(index_dir: Path) -> dict | None:
    """meta.json of the live version or, when that one is damaged (CURRENT names a missing version,
    its meta.json is unreadable), of the newest version kept beside it: a damaged index is still
    bound to its corpus, so that the rebuild that repairs it reads the right articles."""
    where = live_dir(index_dir)
    if where is None:
        return None
    for version in [where, *sorted(Path(index_dir).glob("v-*"), reverse=True)]:
        try:
            meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict):
            return meta
    return None


def bind_corpus(settings: Settings, corpus_given: bool, *, rebuild: bool = False) -> Settings:
    """``settings`` with the corpus of the index they name.

    ``corpus_given``: the user named a corpus (--corpus or QA_CORPUS). ``rebuild``: the command is
    `qa build`, for which naming another corpus is a deliberate move of the index to it.
    """
    recorded = recorded_corpus(settings.index_dir)
    if recorded is None:
        if not corpus_given and live_dir(settings.index_dir) is not None and _readable_meta(settings.index_dir) is None:
            # Damaged beyond telling its corpus: a rebuild from the default corpus would silently
            # replace the user's articles.
            raise CorpusMismatchError(
                f"The index in {settings.index_dir} is damaged and does not record the corpus it was built "
                f"from; rebuild it with `qa build --full --corpus DIR --index {settings.index_dir}`."
            )
        return settings
    if corpus_given:
        given = Path(settings.corpus_dir).expanduser().resolve()
        if given == recorded or rebuild:
            return settings
        raise CorpusMismatchError(
            f"The index in {settings.index_dir} was built from {recorded}, not {given}; leave out --corpus "
            f"to use it with its own articles, or move it to {given} with "
            f"`qa build --corpus {given} --index {settings.index_dir}`."
        )
    if rebuild and not recorded.is_dir():
        raise CorpusMismatchError(
            f"The corpus the index in {settings.index_dir} was built from ({recorded}) is gone; "
            f"give --corpus DIR to rebuild the index from another directory."
        )
    # A corpus that is gone: ensure_index serves the index as it is and says so.
    return settings.with_(corpus_dir=recorded)


def corpus_is_gone(settings: Settings, meta: dict) -> bool:
    """The index's own corpus directory no longer exists (so nothing can be checked or rebuilt)."""
    corpus = Path(settings.corpus_dir).expanduser()
    return not corpus.exists() and meta.get("corpus_dir") == str(corpus.resolve())
