"""Checks of a span against what the question pins down: the year and month, the unit, the place, the
side, the level, the ordinal, the weekday and the measure it asks about, and the credit lines it does not.

The reader scores how well a span answers the question's wording; near-miss questions (another
year's budget than the one reported, coats where the article gives money, the most where it gives
the least) share that wording, and the reader answers many of them with a confident margin. Facts a
person checks first are cheap to check here:

- **the year and month** (`years`): a question that names a year (2017年, 110年度, 民國110年) is
  about that year; an article that never names it, in figures or relative to its own date (今年,
  去年, 全年, 明年), does not answer it; a figure whose sentence (or, naming none, whose headline)
  names only other years is another year's (a 2022 budget quoted for a 2021 question, 到2045年 for
  到2030年), one whose sentence names only other months another month's (今年9月 for 2024年10月),
  and one whose clause names a quarter and no month a quarter's (本季…8萬8217戶 for 2024年10月);
- **the unit** (`units`): a question that asks 多少人 / 几件 / 多少万元 wants a number in that kind of
  unit; a span with no number, or with a number in another kind (元 for 件, 倍 for 万元), is not its
  answer; a rate (增速, 占比, …率) asks for a ratio, 多少资金 for money, 多少点 for an index's points
  (not a ratio); a question asking which (哪个政党, 哪几家) is not answered by a count (1个政党, 8名)
  or by the word it asks which of (政党),
  nor one asking how many of a whole it names (这7家…中，有几家) by the whole (7家);
- **the place and the term** (`places`, `terms`): a question about 房县 or 宝安区, or COVID-19, is not
  answered by an article that never names it, nor by a figure whose clause names only another place
  (以台北市84.17岁最高 for 新北市), nor by a person whose office, before the name, is another place's
  (杭州市…副支队长王宇 for 定西市); a name without its suffix is that place only where no other
  suffix follows (新竹市 is not 新竹縣);
- **the side and the level** (`clauses`): a how-many question about one side of a pair (岁入 or 岁出,
  最高 or 最低, 一共 or 每人, 全年 or 上半年) is not answered by a figure whose clause names only the
  other side; a question about a Ⅰ级 response not by a span whose clause names only another level,
  and one about the 第一审查委员会 or the 六次会议 not by a span whose clause, before it, names only
  another of that count (第三审查委员会, 第三十八次会议); a question about a 星期六 not by a span
  whose clause names only other weekdays (週一至五); one about a 精神损失费 or a 保证水位 not by a
  figure whose clause names that head only with other words (车辆修理费, 警戒水位);
- **a credit** (`clauses`): a who-question that asks for no reporter or photographer is not answered
  by a byline's or a picture credit's name (（中央社記者郝雪卿…電）, 洪  琥绘).

Each check only vetoes a span; it never makes one. Units of one kind stand in for each other (人,
名, 位; 件, 家, 间, 个); 几个 and 多少个 ask a count of anything (a list answers them), 哪几 asks
which, 第几 a rank: none of these is held to a unit; a unit the tables do not know is never held against a
span. Measured on the gold answers of the training sets (`tests/read/test_answer_checks.py`).
"""

from __future__ import annotations

from qa.questions import Question
from qa.read.checks.clauses import (
    CLAUSE_END,
    bounds,
    credit_fits,
    level_fits,
    measure_fits,
    ordinal_fits,
    side_fits,
    weekday_fits,
)
from qa.read.checks.places import clause_place_fits, places_supported
from qa.read.checks.terms import terms_supported
from qa.read.checks.units import asked_kind, asks_which, part_fits, span_kinds, unit_fits, which_fits, with_unit
from qa.read.checks.years import (
    quarter_fits,
    question_years,
    sentence_month_fits,
    sentence_year_fits,
    sentence_years,
    year_supported,
)

__all__ = ["asked_kind", "asks_which", "clause_place_fits", "credit_fits", "level_fits", "measure_fits",
           "ordinal_fits", "part_fits", "places_supported", "quarter_fits", "question_years", "sentence_month_fits",
           "sentence_year_fits", "sentence_years", "side_fits", "span_fits", "span_kinds", "terms_supported",
           "unit_fits", "weekday_fits", "which_fits", "year_supported"]


def span_fits(q: Question, title: str, text: str, start: int, end: int, date: str | None) -> bool:
    """All checks of the span text[start:end] of an article (`title`, `text`, dated `date`): every
    year and place the question names is one the article speaks of, a level it names one the span's
    clause does, an ordinal one the clause before it does, a weekday one the clause names, a
    which-question's span is not a count and a who-question's office before the name is of the place
    asked; a how-many question's span is in the unit asked and not the whole it counts within, its
    sentence is about a year and month asked (not a quarter) and its clause is on the side, of the
    place and of the measure asked."""
    years = question_years(q.text)
    article = f"{title}\n{text}"
    if not all(year_supported(y, article, date) for y in years) or not places_supported(q.text, article) \
            or not terms_supported(q.text, article):
        return False
    left, right = bounds(text, start, end, CLAUSE_END)
    clause = text[left:right]
    if not level_fits(q.text, clause) or not which_fits(q.text, text[start:end]) or not weekday_fits(q.text, clause):
        return False
    if not ordinal_fits(q.text, text[left:start]):
        return False
    if q.kind == "who":
        # the office before a name says whose it is; a byline's name is the reporter, not an answer
        return clause_place_fits(q.text, text[left:start]) \
            and credit_fits(q.text, text[left:start], text[start:end], text[end:right])
    if q.kind != "how_many":
        return True  # the rest hold a figure to its clause; a span that says what or why may name
        # the other side (the reserve that offsets the spending raises the revenue)
    return unit_fits(q.text, with_unit(text, start, end)) and side_fits(q.text, clause) \
        and clause_place_fits(q.text, text[left:end]) and sentence_month_fits(q.text, text, start, end) \
        and part_fits(q.text, text[start:end]) and quarter_fits(q.text, text[left:start]) \
        and measure_fits(q.text, text[left:end]) \
        and (not years or sentence_year_fits(q.text, title, text, start, end, date))
