"""Article metadata -> the set of article ids a question may be answered from (source and date filters)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from qa.errors import FilterError
from qa.index.chunk_store import ArticleTable
from qa.index.store import Index
from qa.records import Article, date_range, sources
from qa.retrieve.reprints import outlets_besides

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def index_outlets(index: Index) -> list[str]:
    """The outlets of an index's articles, as its build recorded them in meta.json (an index built
    before that record: read from its articles)."""
    known = index.meta.get("outlets")
    return list(known) if isinstance(known, list) else sources(index.articles.values())


def index_dates(index: Index) -> tuple[str, str] | None:
    """The first and last dates of an index's articles, recorded as `index_outlets` is."""
    if "dates" not in index.meta:
        return date_range(index.articles.values())
    known = index.meta["dates"]
    return (known[0], known[1]) if isinstance(known, list) and len(known) == 2 else None


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


@dataclass(frozen=True)
class ArticleFilter:
    """Outlets (none: all) and an ISO date range (None: open at that end)."""

    sources: frozenset[str] = frozenset()
    low: str | None = None
    high: str | None = None

    @property
    def is_open(self) -> bool:
        return not self.sources and self.low is None and self.high is None

    def admits(self, a: Article) -> bool:
        # An article without a date passes no date limit: we cannot say it falls inside the range.
        return ((not self.sources or a.source in self.sources)
                and (self.low is None or (a.date is not None and a.date >= self.low))
                and (self.high is None or (a.date is not None and a.date <= self.high)))


def article_filter(chosen_sources: Iterable[str] | None = None, date_from: str | None = None,
                   date_to: str | None = None) -> ArticleFilter:
    """The filter a user set, with dates read as `parse_day` reads them; an empty range is refused."""
    low, high = parse_day(date_from, "from"), parse_day(date_to, "to")
    if low and high and low > high:
        raise FilterError(f"The date range is empty: {low} is after {high}.")
    return ArticleFilter(frozenset(chosen_sources or ()), low, high)


def allowed_ids(articles: Iterable[Article] | Mapping[str, Article], chosen_sources: Iterable[str] | None = None,
                date_from: str | None = None, date_to: str | None = None) -> set[str] | None:
    """Ids of the articles that pass the filters; None when no filter is set (search everything).

    ``articles``: an index's articles (a mapping) or any articles. Read only when a filter is set:
    from an index's store the filter is one query over its outlet and date indexes; otherwise the
    articles are read once. An unfiltered question pays for neither.
    """
    f = article_filter(chosen_sources, date_from, date_to)
    if f.is_open:
        return None
    if isinstance(articles, ArticleTable):
        ids = {row[0] for row in articles.matching(f.sources, f.low, f.high)}
    else:
        ids = {a.id for a in _values(articles) if f.admits(a)}
    if not ids:
        raise FilterError("No article matches these filters; choose another source or widen the date range.")
    return ids


@dataclass(frozen=True)
class Listed:
    """An article as a list shows it (its text is read only when it is opened)."""

    id: str
    title: str
    source: str | None
    date: str | None
    also_in: tuple[str, ...] = ()  # the outlets of the story's other copies (reprints)


def newest_key(a: Article | Listed) -> tuple[str, str]:
    """Sort key of the article list: reversed, newest first, then by title, undated last (the
    store's `ArticleTable.matching` orders its rows the same way in SQL)."""
    return (a.date or "", a.title)


def newest_first(articles: Iterable[Article] | Mapping[str, Article], f: ArticleFilter,
                 limit: int) -> tuple[list[Listed], int]:
    """The ``limit`` newest articles that pass ``f`` (then by title), and how many pass it in all.
    Unless outlets are chosen, a story is listed once, as its first copy, with the outlets of its
    reprints (a chosen outlet lists its own copies). From an index's store only those rows are
    read, from its date and outlet indexes."""
    stories = not f.sources
    if isinstance(articles, ArticleTable):
        rows = articles.matching(f.sources, f.low, f.high, limit, stories=stories)
        total = len(articles) if f.is_open and not articles.groups_reprints else \
            articles.count(f.sources, f.low, f.high, stories=stories)
        groups = articles.reprints_of([r[0] for r in rows])
        outlets = articles.sources_of({m for g in groups.values() for m in g})
    else:
        every = list(_values(articles))
        by_id = {a.id: a for a in every}
        passing = sorted((a for a in every if f.admits(a) and (not stories or a.canonical == a.id)),
                         key=newest_key, reverse=True)
        rows = [(a.id, a.title, a.source, a.date) for a in passing[:limit]]
        total = len(passing)
        groups = {a.id: a.reprints for a in passing[:limit] if a.reprints}
        outlets = {m: by_id[m].source for g in groups.values() for m in g if m in by_id}
    return [Listed(*row, also_in=outlets_besides(row[0], row[2], groups.get(row[0], ()), outlets.get))
            for row in rows], total


def _values(articles: Iterable[Article] | Mapping[str, Article]) -> Iterable[Article]:
    return articles.values() if isinstance(articles, Mapping) else articles
