"""How many cores the encoder's matrix products use, and one lock so requests do not fight for them.

The page answers several requests at once. Each forward pass already spreads its matrix products
over every thread BLAS (or torch) is allowed, so two passes at the same time only oversubscribe the
cores and both get slower; one lock makes them take turns. The thread count comes from
``--threads`` or ``QA_THREADS`` (default: what BLAS chose, usually one per core).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager

_LOCK = threading.Lock()
_threads: int | None = None


@contextmanager
def compute_lock():
    """Held around one forward pass: the encoders in a process run one at a time."""
    with _LOCK:
        yield


def configured_threads() -> int | None:
    """The thread count chosen by ``set_threads`` or ``QA_THREADS``; None leaves the libraries' default."""
    if _threads is not None:
        return _threads
    raw = os.environ.get("QA_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def set_threads(count: int | None) -> None:
    """Limit NumPy's BLAS (and torch, if loaded) to ``count`` threads; None keeps the default."""
    global _threads
    if count is not None and count < 1:
        raise ValueError("the thread count must be 1 or more")
    _threads = count
    apply_threads()


def apply_threads() -> None:
    count = configured_threads()
    if count is None:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(count)
    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(count)
