"""How many cores the encoder's matrix products use, and a gate so requests do not fight for them.

The page answers several requests at once. Each forward pass spreads its matrix products over the
threads BLAS (or torch) is allowed, so passes running side by side must not ask for more threads
than there are cores: the gate lets cores // threads passes run at once. With the default (one
thread per core) they take turns; with ``--threads 1`` on 2 cores two run side by side, each on one
core. Measured on 2 cores, query embedding p50 under 2 concurrent clients: 2 threads and turns
21.9 ms, 2 threads each and no gate 23.8 ms (oversubscribed), 1 thread each side by side 17.6 ms;
one client alone: 11.2 ms with 2 threads, 16.5 ms with 1. The thread count comes from
``--threads`` or ``QA_THREADS`` (read by `qa.config.thread_count`; default: what BLAS chose, one per
core). It is applied through threadpoolctl when an encoder is made, after NumPy has loaded, so nothing
here needs the environment before NumPy does.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager

from qa.config import thread_count

_threads: int | None = None
_gate: threading.BoundedSemaphore | None = None
_gate_made = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it, else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _passes_at_once() -> int:
    cores = usable_cores()
    return max(1, cores // (configured_threads() or cores))


@contextmanager
def compute_lock():
    """Held around one forward pass: at most cores // threads passes of a process run at once."""
    global _gate
    if _gate is None:
        with _gate_made:
            if _gate is None:
                _gate = threading.BoundedSemaphore(_passes_at_once())
    with _gate:
        yield


def configured_threads() -> int | None:
    """The thread count chosen by ``set_threads`` or ``QA_THREADS``; None leaves the libraries' default."""
    if _threads is not None:
        return _threads
    return thread_count()


def set_threads(count: int | None) -> None:
    """Limit NumPy's BLAS (and torch, if loaded) to ``count`` threads; None keeps the default."""
    global _threads, _gate
    if count is not None and count < 1:
        raise ValueError("the thread count must be 1 or more")
    _threads = count
    _gate = None  # sized again on the next pass
    apply_threads()


def apply_threads() -> None:
    count = configured_threads()
    if count is None:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(count)
    if "torch" in sys.modules:  # never import torch just to configure it
        sys.modules["torch"].set_num_threads(count)
