"""Settings -> a ready Answerer: the one place that joins index, retriever and the learned reader."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import TextIO

from qa.config import Settings
from qa.errors import ModelError
from qa.index import Index, ensure_index, load_embedder
from qa.questions import analyse
from qa.read import AnswerReader, LearnedReader
from qa.records import Answer, Traced
from qa.retrieve import Retriever, make_retriever
from qa.retrieve.reprints import cite_reprints, collapse_reprints


class Answerer:
    """Answers questions over an index: the retriever ranks chunks, the reader answers from them."""

    def __init__(self, index: Index, retriever: Retriever, reader: AnswerReader, top_k: int = 5,
                 candidate_chunks: int = 8) -> None:
        self.index = index
        self.retriever = retriever
        self.reader = reader
        self.top_k = top_k
        self.candidate_chunks = candidate_chunks

    def ask(self, question: str, top_k: int | None = None, allowed: Collection[str] | None = None) -> Answer:
        """Answer ``question``; ``allowed`` limits retrieval to those article ids (filters)."""
        return self.ask_traced(question, top_k, allowed).answer

    def ask_traced(self, question: str, top_k: int | None = None, allowed: Collection[str] | None = None,
                   depth: int = 0) -> Traced:
        """Answer ``question`` and return the ranked hits too: ``depth`` hits when that is more than
        the reader reads, from the same single search (the answer only uses the first ones)."""
        q = analyse(question)
        top_k = top_k or self.top_k
        read = max(top_k, self.candidate_chunks)
        # Reprints of one story are one source: the best-ranked copy stands for it. The search depth is
        # unchanged (the hybrid's fusion depends on it); the reader reads at most 1 + read_more of them.
        hits = collapse_reprints(self.retriever.search(q.text, max(read, depth), allowed), self.index.articles)
        answer = cite_reprints(self.reader.read(q, hits[:read], top_k), self.index.articles)
        return Traced(replace(answer, retriever=self.retriever.name), tuple(hits), read)


def answerer_for(index: Index, settings: Settings, retriever: str | None = None) -> Answerer:
    """An Answerer over ``index`` with the learned reader; the query embedder is the one the index
    was built with."""
    name = retriever or settings.retriever
    embedder = None
    if name != "bm25":
        embedder = load_embedder(index.meta["embedder"])
        if embedder.dim != int(index.meta["dim"]):
            raise ModelError(f"The model {embedder.name} gives {embedder.dim}-d vectors but the index holds "
                             f"{index.meta['dim']}-d ones; run `qa build --full` to rebuild it.")
    return Answerer(index, make_retriever(name, index, embedder), LearnedReader(index.articles),
                    top_k=settings.top_k)


def open_answerer(settings: Settings, retriever: str | None = None, *, quiet: bool = False,
                  out: TextIO | None = None) -> Answerer:
    """Load (building first when missing or stale) the index and return an Answerer over it."""
    return answerer_for(ensure_index(settings, quiet=quiet, out=out), settings, retriever)
