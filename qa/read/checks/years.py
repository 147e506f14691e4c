"""The years and months a question names, and whether an article, or the sentence holding a figure, speaks of them."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.read.checks.clauses import SENTENCE_END, bounds, small_number
from qa.text import normalize_key

_YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})(?=\s*年(?!代))")  # 1990年代 is a decade
# Taiwan's era only where it is marked (民国, 年度): a bare 110年 may as well be a length of time
_ROC_YEAR = re.compile(r"民国\s*([0-9]{2,3})\s*年|(?<![0-9])([0-9]{2,3})\s*年度|\(\s*([0-9]{2,3})\s*\)\s*年")
# a year written as a budget's (110年度, 2022年度): about that budget, whenever the article is dated
_FISCAL = re.compile(r"(?<![0-9])([0-9]{2,4})\s*年度")
# what a sentence may mean as a year without saying so: a bare figure (2006至2010年, 2005赛季) or a
# bare 111年, Taiwan's era in Taiwan's news and a length of time elsewhere
_MAYBE_YEAR = re.compile(r"(?<![0-9.])(1[89][0-9]{2}|20[0-9]{2})(?![0-9])|(?<![0-9.])([0-9]{2,3})\s*年")
# how a dated article speaks of the years around its own (a January report's 全年 is the last year)
_RELATIVE = {-1: re.compile("去年|上年|上一年|全年|过去一年"), 1: re.compile("明年|下一年"), -2: re.compile("前年")}
# how a sentence names a year relative to its article's date (全年 names no other year)
_SENTENCE_RELATIVE = {0: re.compile("今年|本年"), -1: re.compile("去年|上年"), 1: re.compile("明年"),
                      -2: re.compile("前年")}

# the search key (full-width folded, simplified) of an article, kept: it is checked once per span read
# from it, and may be a long PDF
article_key = lru_cache(maxsize=64)(normalize_key)


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_years(question: str) -> frozenset[int]:
    """The years (Gregorian) a question names: 2017年, 110年度 and 民國110年 (Taiwan's era, +1911)."""
    return frozenset(_named_years(normalize_key(question)))


def _named_years(text: str) -> set[int]:
    years = {int(m.group(1)) for m in _YEAR.finditer(text)}
    for m in _ROC_YEAR.finditer(text):
        roc = int(next(g for g in m.groups() if g))
        if 1 <= roc <= 150:
            years.add(roc + 1911)
    return years


def year_supported(year: int, text: str, date: str | None) -> bool:
    """Whether an article (headline and text, dated `date`) can speak of `year`."""
    t = article_key(text)
    if re.search(rf"(?<![0-9]){year}(?![0-9])", t):
        return True
    if year > 1911 and re.search(rf"(?<![0-9]){year - 1911}\s*\)?\s*年", t):  # 113年, 去(113)年
        return True
    if not (date and date[:4].isdigit()):
        return True  # undated: nothing to place 今年 or 去年 against
    offset = year - int(date[:4])
    if offset == 0:
        return True  # a dated article speaks of its own year without naming it
    relative = _RELATIVE.get(offset)
    return bool(relative and relative.search(t))


def sentence_years(sentence: str, date: str | None) -> tuple[set[int], set[int]]:
    """The years a sentence names (in figures before 年, in Taiwan's era where marked, and when its
    article is dated as 今年, 去年, 明年 or 前年), and those it may mean (bare figures, a bare 111年)."""
    t = normalize_key(sentence)
    named = _named_years(t)
    if date and date[:4].isdigit():
        named |= {int(date[:4]) + offset for offset, word in _SENTENCE_RELATIVE.items() if word.search(t)}
    maybe = {int(m.group(1)) if m.group(1) else int(m.group(2)) + 1911 for m in _MAYBE_YEAR.finditer(t)}
    return named, named | maybe


@lru_cache(maxsize=256)  # asked once per span read for the same question
def fiscal_years(question: str) -> frozenset[int]:
    """The years a question writes as a budget's (110年度: 2021)."""
    years = (int(m.group(1)) for m in _FISCAL.finditer(normalize_key(question)))
    return frozenset(y + 1911 if y <= 150 else y for y in years)


def sentence_year_fits(question: str, title: str, text: str, start: int, end: int, date: str | None) -> bool:
    """False when the sentence holding a figure names years before it (or, naming none, its headline
    does) and may mean none the question names: the figure is another year's. A dated article's own
    year is never held against it (迄今, 目前), unless the question writes it as a budget's (年度)."""
    years = question_years(question)
    if date and date[:4].isdigit() and int(date[:4]) in years - fiscal_years(question):
        return True
    span = text[start:end]
    if any(c in span for c in SENTENCE_END) or sentence_years(span, date)[1]:
        return True  # a passage, or a span that is itself a date: its sentence's years are the answer
    left, right = bounds(text, start, end, SENTENCE_END)
    sentence = text[left:right]
    # the years named before the figure: one named after it is most often a comparison (而2005年为…)
    named, _ = sentence_years(text[left:start], date)
    if not named:  # a headline's year (明年度總預算) is what its figures are about
        named, _ = sentence_years(title, date)
        sentence = f"{title}\n{sentence}"
    return not named or bool(sentence_years(sentence, date)[1] & years)


# a month of the year in figures or Chinese numerals (10月, 十月); 3个月 is a length of time
_MONTH = re.compile(r"(?<![0-9])(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月")
# a question asked as of a month (截至2023年3月, 到7月底 累计) wants a running total, which its sentence
# may date by an earlier event
_AS_OF = re.compile("截至|截止|累计|为止|至今|到目前")


def _months(text: str) -> set[int]:
    return {small_number(m) for m in _MONTH.findall(normalize_key(text))}


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_months(question: str) -> frozenset[int]:
    """The months a question names (2024年10月: 10); none for a question asked as of a month."""
    return frozenset() if _AS_OF.search(normalize_key(question)) else frozenset(_months(question))


def sentence_month_fits(question: str, text: str, start: int, end: int) -> bool:
    """False when the question names a month and the sentence holding a figure names months before
    it, none of them the question's: the figure is another month's (今年9月 for 2024年10月)."""
    months = question_months(question)
    if not months or any(c in text[start:end] for c in SENTENCE_END):
        return True
    left, _ = bounds(text, start, end, SENTENCE_END)
    named = _months(text[left:start])
    return not named or bool(named & months)


# a quarter named (本季, 第2季, 一季度): a figure of a quarter is not a month's
_QUARTER = re.compile("本季|上季|下季|同季|第[一二三四1-4]季|[一二三四1-4]季度")


def quarter_fits(question: str, before: str) -> bool:
    """False when the question names a month and the clause before a figure (`before`) names a
    quarter and no month: the figure is the quarter's (本季…登记棟數為8萬8217戶 for 2024年10月)."""
    return not (question_months(question) and _QUARTER.search(normalize_key(before)) and not _months(before))
