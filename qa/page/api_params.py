"""The page API's arguments, checked before any work is done: a JSON client can send any type and
any size, not only what the page's widgets produce, so each wrong argument is refused in one
sentence that says what to send instead."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.config import MAX_QUESTION_CHARS, MAX_TOP_K
from qa.errors import ParameterError
from qa.questions import validate

# Earlier questions a follow-up is resolved against, in the chat box and over the API alike. An API
# list much longer than that is refused rather than cut: resolving each earlier question costs time,
# and a client sending 10,000 of them is more likely broken than chatty.
MEMORY = 10
MAX_PREVIOUS = 100
# A date is at most "2021年02月07日" with spaces; a longer value is not a date, and echoing it
# whole in the error (and the server log) would repeat whatever was pasted.
MAX_DATE_CHARS = 40
SHOWN_CHARS = 40  # of a value repeated in a message
OUTLETS_SHOWN = 8


@dataclass(frozen=True)
class AskRequest:
    """The arguments of one API question, checked and normalised."""

    question: str  # cleaned and stripped (qa.questions.validate)
    sources: tuple[str, ...]  # outlets of the corpus; empty means all
    date_from: str | None  # as sent; qa.retrieve.allowed_ids parses them
    date_to: str | None
    previous: tuple[str, ...]  # the last MEMORY earlier questions, oldest first
    top_k: int | None  # None: the answerer's default


def shown(value: Any) -> str:
    """``value`` as a message repeats it: as JSON (what API clients send), escaped, cut when long."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}…"


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check_sources(value: Any, outlets: Sequence[str]) -> tuple[str, ...]:
    """The outlets asked for; each must be one the corpus has, so a misspelt name is not taken for
    "no article matches" (or, in a list with a right one, silently ignored)."""
    if value is None:
        return ()
    if not _is_text_list(value):
        raise ParameterError(f"sources must be a list of outlet names, e.g. [\"聊城日报\"]; got {shown(value)}.")
    known = list(outlets)
    unknown = next((s for s in value if s not in known), None)
    if unknown is not None:
        listed = "、".join(known[:OUTLETS_SHOWN]) + ("…" if len(known) > OUTLETS_SHOWN else "")
        raise ParameterError(f"No article comes from the outlet {shown(unknown)}; choose among {listed}, "
                             "or send no sources to search them all.")
    return tuple(value)


def check_date(value: Any, label: str) -> str | None:
    """The date as sent (None or blank: no limit); its format is checked by the filters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ParameterError(f"date_{label} must be text written as YYYY-MM-DD, e.g. \"2021-02-07\"; "
                             f"got {shown(value)}.")
    if len(value) > MAX_DATE_CHARS:
        raise ParameterError(f"date_{label} is {len(value)} characters long; write it as YYYY-MM-DD, "
                             "e.g. 2021-02-07.")
    return value


def check_previous(value: Any) -> tuple[str, ...]:
    """The last MEMORY earlier questions. Each must be text no longer than a question may be: an
    earlier question longer than that was never answered, so it cannot set a topic."""
    if value is None:
        return ()
    if not _is_text_list(value):
        raise ParameterError("previous must be a list of the earlier questions as text, e.g. "
                             f"[\"淄川区政协会议应到委员多少名？\"]; got {shown(value)}.")
    if len(value) > MAX_PREVIOUS:
        raise ParameterError(f"previous holds {len(value)} questions; send at most the last {MAX_PREVIOUS} "
                             f"(follow-ups use only the last {MEMORY}).")
    for n, text in enumerate(value, 1):
        if len(text.strip()) > MAX_QUESTION_CHARS:
            raise ParameterError(f"Earlier question {n} in previous is {len(text.strip())} characters long; "
                                 f"send earlier questions as they were asked, each at most "
                                 f"{MAX_QUESTION_CHARS} characters.")
    return tuple(value[-MEMORY:])


def check_top_k(value: Any) -> int | None:
    """How many passages to retrieve: a whole number from 1 to MAX_TOP_K, or None for the default."""
    if value is None:
        return None
    # bool is an int to Python, but true is not a number of passages.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
        raise ParameterError(f"top_k must be a whole number from 1 to {MAX_TOP_K} (the passages to retrieve), "
                             f"or left out for the default; got {shown(value)}.")
    return value


def check_ask(question: Any, sources: Any, date_from: Any, date_to: Any, previous: Any, top_k: Any,
              outlets: Sequence[str]) -> AskRequest:
    """Every argument of an API question checked, the question first (its message is the one the
    page shows); ``outlets``: those of the index (`qa.retrieve.index_outlets`). Raises a QAError
    whose message is the one sentence to send back."""
    return AskRequest(question=validate(question), sources=check_sources(sources, outlets),
                      date_from=check_date(date_from, "from"), date_to=check_date(date_to, "to"),
                      previous=check_previous(previous), top_k=check_top_k(top_k))
