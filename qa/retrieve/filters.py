"""Article metadata -> the set of article ids a question may be answered from (source and date filters)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from qa.errors import QAError
from qa.records import Article

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


class FilterError(QAError):
    """A filter value cannot be read, or the filters leave no article to search."""


def sources(articles: Iterable[Article]) -> list[str]:
    """The distinct sources named in the corpus, sorted; articles without one are not listed."""
    return sorted({a.source for a in articles if a.source})


def date_range(articles: Iterable[Article]) -> tuple[str, str] | None:
    """The earliest and latest known publication dates (ISO), or None when no article has one."""
    dates = sorted(a.date for a in articles if a.date)
    return (dates[0], dates[-1]) if dates else None


def parse_day(value: str | None, label: str) -> str | None:
    """An ISO date from what a user typed (2021-02-07, 2021/2/7, 2021年2月7日); blank means no limit."""
    if value is None or not str(value).strip():
        return None
    m = _DATE.match(str(value))
    try:
        if not m:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        raise FilterError(f"The {label} date {str(value).strip()!r} is not a date; write it as YYYY-MM-DD, "
                          "e.g. 2021-02-07.") from None


def allowed_ids(articles: Iterable[Article], chosen_sources: Iterable[str] | None = None,
                date_from: str | None = None, date_to: str | None = None) -> set[str] | None:
    """Ids of the articles that pass the filters; None when no filter is set (search everything).

    An article without a date passes no date filter: we cannot say it falls inside the range.
    ``articles`` is read only when a filter is set, and then once: from an index's lazy store it
    streams every article, which an unfiltered question must not pay for.
    """
    wanted = set(chosen_sources or ())
    low, high = parse_day(date_from, "from"), parse_day(date_to, "to")
    if not wanted and low is None and high is None:
        return None
    if low and high and low > high:
        raise FilterError(f"The date range is empty: {low} is after {high}.")
    ids = {
        a.id for a in articles
        if (not wanted or a.source in wanted)
        and (low is None or (a.date is not None and a.date >= low))
        and (high is None or (a.date is not None and a.date <= high))
    }
    if not ids:
        raise FilterError("No article matches these filters; choose another source or widen the date range.")
    return ids
