"""Fixtures for the reader's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qa.read import Reader
from qa.read.reader import default_weights


@pytest.fixture
def weights_with(tmp_path: Path) -> Callable[..., Reader]:
    """A Reader over a copy of the shipped weights whose metadata is changed: key=value sets a key,
    key=None removes it. The tensors are the shipped ones."""

    def make(**changes: str | None) -> Reader:
        from safetensors import safe_open
        from safetensors.numpy import save_file

        with safe_open(str(default_weights()), framework="numpy") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
            meta = dict(f.metadata() or {})
        for key, value in changes.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        path = tmp_path / "reader.safetensors"
        save_file(tensors, str(path), metadata=meta)
        return Reader(path)

    return make
