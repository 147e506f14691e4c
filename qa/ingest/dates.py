"""Publication dates: an ISO date from a front-matter value, a page's metadata, or what the text says."""

from __future__ import annotations

import re
from collections import Counter

_FULL_DATE = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})年")


def infer_year(text: str) -> int | None:
    """The year a text is about: its most mentioned "YYYY年", the latest on a tie."""
    counts = Counter(int(y) for y in _YEAR.findall(text))
    if not counts:
        return None
    return max(counts, key=lambda y: (counts[y], y))


def parse_date(value: object, text: str) -> str | None:
    """An ISO date from a front-matter value or, failing that, from the article text."""
    if value is not None and str(value).strip():
        raw = str(value).strip()
        if m := _FULL_DATE.search(raw):
            return _iso(*m.groups())
        if (m := _MONTH_DAY.search(raw)) and (year := infer_year(text)):
            return _iso(year, *m.groups())
        return None
    head = text[:300]
    if m := _FULL_DATE.search(head):
        return _iso(*m.groups())
    if (m := _MONTH_DAY.search(head)) and (year := infer_year(text)):
        return _iso(year, *m.groups())
    return None


def _iso(year: object, month: object, day: object) -> str | None:
    y, mo, d = int(year), int(month), int(day)
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def date_in_text(text: str) -> str | None:
    """The dateline near the start (`parse_date`), else a full date in the last lines (where a press
    release or an official document is signed and dated)."""
    if found := parse_date(None, text):
        return found
    for m in reversed(list(_FULL_DATE.finditer(text[-120:]))):
        if found := _iso(*m.groups()):
            return found
    return None
