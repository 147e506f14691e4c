"""An answerer that follows the live index: a long-running process (the chat page) picks up a
rebuilt index without a restart, and never reads a half-written one (see qa.index.store)."""

from __future__ import annotations

import sys
import threading

from qa.config import Settings
from qa.errors import QAError
from qa.index import live_dir, load_index
from qa.pipeline import Answerer, answerer_for, open_answerer


class LiveAnswerer:
    """Holds an Answerer and swaps it when `qa build` makes a new index version live."""

    def __init__(self, settings: Settings, retriever: str | None = None, *, quiet: bool = False) -> None:
        self.settings = settings
        self.retriever = retriever
        self._lock = threading.Lock()
        self._answerer = open_answerer(settings, retriever, quiet=quiet)
        self._version = self._answerer.index.path

    def current(self) -> Answerer:
        """The Answerer over the newest complete index (checked on every call: one small file read)."""
        version = live_dir(self.settings.index_dir)
        if version is not None and version != self._version:
            with self._lock:
                if version != self._version:
                    try:
                        index = load_index(self.settings.index_dir)
                        self._answerer = answerer_for(index, self.settings, self.retriever)
                        self._version = index.path
                    except QAError as err:  # keep serving the previous index
                        print(f"qa: not switching to the new index: {err}", file=sys.stderr)
        return self._answerer
