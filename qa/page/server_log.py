"""The page's server log: one line per refused request, never a stack trace. A refusal is the
user's input at fault, not the server's, so the log says what was refused and nothing more."""

from __future__ import annotations

import sys
from typing import TextIO

from qa.questions import clean

MAX_LINE_CHARS = 300  # a message can repeat what the user typed; the log keeps the start of it


def refusal_line(message: str, where: str) -> str:
    """``message`` as one log line: control characters dropped (a typed terminal escape must not
    reach the operator's terminal), line breaks folded, cut when long."""
    text = " ".join(clean(message).split())
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + "…"
    return f"qa: refused {where}: {text}"


def log_refusal(message: str, where: str, stream: TextIO | None = None) -> None:
    """Write the one line for a refused request (to stderr unless ``stream`` is given)."""
    print(refusal_line(message, where), file=stream or sys.stderr, flush=True)
