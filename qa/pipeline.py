"""Settings -> a ready Answerer: the one place that joins index, retriever and answerer."""

from __future__ import annotations

from typing import TextIO

from qa.answering import Answerer
from qa.build import ensure_index
from qa.config import Settings
from qa.embedders import load_embedder
from qa.errors import ModelError
from qa.index import Index
from qa.retrieval import make_retriever


def answerer_for(index: Index, settings: Settings, retriever: str | None = None) -> Answerer:
    """An Answerer over ``index``; the query embedder is the one the index was built with."""
    name = retriever or settings.retriever
    embedder = None
    if name != "bm25":
        embedder = load_embedder(index.meta["embedder"])
        if embedder.dim != int(index.meta["dim"]):
            raise ModelError(f"The model {embedder.name} gives {embedder.dim}-d vectors but the index holds "
                             f"{index.meta['dim']}-d ones; run `qa build --full` to rebuild it.")
    return Answerer(index, make_retriever(name, index, embedder), top_k=settings.top_k)


def open_answerer(settings: Settings, retriever: str | None = None, *, quiet: bool = False,
                  out: TextIO | None = None) -> Answerer:
    """Load (building first when missing or stale) the index and return an Answerer over it."""
    return answerer_for(ensure_index(settings, quiet=quiet, out=out), settings, retriever)
