"""Reading and rewriting a reader's float16 safetensors file (tensors + string metadata)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def load(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(str(path), framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})


def metadata(path: Path) -> dict[str, str]:
    """The file's string metadata alone (threshold, read_more, ...), without reading the tensors."""
    with safe_open(str(path), framework="numpy") as f:
        return dict(f.metadata() or {})


def save(path: Path, tensors: dict[str, np.ndarray], meta: dict[str, str]) -> None:
    """Written beside and renamed over: a reader never finds half a file at ``path``."""
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)
