"""What a reader offers the pipeline: an analysed question and ranked hits in, an Answer out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qa.questions import Question
from qa.records import NOT_FOUND, Answer, Hit

__all__ = ["NOT_FOUND", "AnswerReader"]  # NOT_FOUND: defined with the Answer record, re-exported for readers


class AnswerReader(Protocol):
    """Reads the hits retrieval ranked (best first) into an answer, or an abstention.

    A reader is handed articles when it is made and hits when it reads: it never searches, so it
    imports neither retrieval nor the index (the pipeline joins them). ``Answer.retriever`` is
    filled in by the pipeline, which knows where the hits came from.
    """

    def read(self, q: Question, hits: Sequence[Hit], top_k: int) -> Answer:
        """The answer to ``q`` from ``hits``, quoting at most ``top_k`` passages."""
        ...
