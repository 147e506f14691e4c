"""Checks of a span against what the question pins down: its year, the unit it asks in and the side
of a pair (revenue or spending, the most or the least) it asks about.

The reader scores how well a span answers the question's wording; near-miss questions (another
year's budget than the one reported, coats where the article gives money, money where it gives a
ratio) share that wording, and the reader answers many of them with a confident margin.
Two facts a person checks first are cheap to check here:

- **the year**: a question that names a year (2017年, 110年度, 民國110年) is about that year; an
  article that never names it, in figures or relative to its own date (今年, 去年, 全年, 明年), does
  not answer it;
- **the unit**: a question that asks 多少人 / 几件 / 多少万元 wants a number in that kind of unit; a
  span with no number, or with a number in another kind (元 for 件, 倍 for 万元), is not its answer;
  a question that asks a rate (增速, 占比, …率) with no unit named asks for a ratio;
- **the sentence's year**: a span whose sentence names years, none of them one the question names
  (a 2022 budget quoted for a 2021 question, 到2045年 for 到2030年), is about another year;
- **the side**: a how-many question about one side of a pair (岁入 or 岁出, 最高 or 最低, 上半年 or
  下半年) is not answered by a figure whose clause names only the other side.

Each check only vetoes a span; it never makes one. Units of one kind stand in for each other (人,
名, 位; 件, 家, 间, 个); 几个 and 多少个 ask a count of anything (a list answers them), 哪几 asks
which, 第几 a rank: none of these is checked; a unit the tables do not know is never held against a
span. Measured on the gold answers of the training sets (`tests/read/test_answer_checks.py`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from qa.questions import Question
from qa.text import normalize_key
from qa.text.tokens import load_jieba

# Kinds of unit, simplified script. Longer names first where one contains another (平方米 before 米).
_UNITS: dict[str, tuple[str, ...]] = {
    "money": ("美元", "港元", "港币", "澳门元", "澳元", "新台币", "台币", "日元", "欧元", "英镑", "人民币",
              "元", "块钱", "块", "钱"),
    "people": ("人次", "人", "名", "位", "口"),
    "ratio": ("个百分点", "百分点", "%", "％", "成", "倍"),
    "area": ("平方公里", "平方千米", "平方米", "平米", "亩", "公顷"),
    "volume": ("立方米", "方", "升"),
    "length": ("公里", "千米", "厘米", "毫米", "米"),
    "weight": ("公斤", "千克", "公吨", "吨", "斤", "克"),
    "age": ("周岁", "岁"),
    "duration": ("个小时", "小时", "分钟", "秒", "天", "个月", "周"),
    "households": ("户",),
    "count": ("件", "家", "辆", "座", "台", "套", "条", "项", "所", "栋", "幢", "棵", "份", "笔", "场", "起",
              "艘", "架", "只", "头", "张", "本", "部", "处", "批", "间", "篇", "封", "箱", "袋",
              "个"),
}
_KIND = {name: kind for kind, names in _UNITS.items() for name in names}
_NAMES = sorted(_KIND, key=len, reverse=True)
_UNIT = "(?:" + "|".join(map(re.escape, _NAMES)) + ")"
_NUMERALS = "〇零一二两三四五六七八九十百千万亿"
_SCALES = "十百千万亿"
# a run of these alone is a scale, not a number (亿元, 万人), unless a word before it counts it
_BARE_SCALE = re.compile("[百千万亿]+")
_COUNTED = "数上近几逾过"
_SCALE = f"[{_SCALES}]*"
# 哪几 asks which ones (a list), 第几 a rank: neither asks a quantity
_ASKING = re.compile("(?<![哪第])(?:多少|几)")
# a number: figures, with any unit after them; or Chinese numerals with a unit after them, or two or
# more of them (四十七); one alone before another character is a word (四川, 一些)
_NUMBER = re.compile(rf"[0-9][0-9.,，]*(?:余|多|来)?{_SCALE}\s*({_UNIT})?"
                     rf"|[{_NUMERALS}]+(?:余|多|来)?\s*({_UNIT})"
                     rf"|[{_NUMERALS}]{{2,}}")

_YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})(?=\s*年(?!代))")  # 1990年代 is a decade
# the rate a how-many question asks for when it names no unit: the words right before 多少
_RATE = re.compile("(?:率|增速|增幅|涨幅|降幅|跌幅|比重|占比|比例|百分比|增长目标)(?:是|为|达到|达|有|约)?$")
# money asked by its name, as the subject before 多少 (经费是多少; not 占总经费多少) or as the word after it (多少资金)
_MONEY_WORDS = ("资金", "经费", "金额", "费用", "投资", "奖金", "罚款", "罚金")
_MONEY = re.compile(f"(?:{'|'.join(_MONEY_WORDS)})(?:是|为|达到|达|有|约|共计|一共|总共)$")
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
_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = _SENTENCE_END + "，,"
# pairs of sides a question asks about one of: every word of a side, simplified
_SIDES = (
    (("岁入", "收入"), ("岁出", "支出", "开支")),
    (("最高", "最多", "至多", "上限"), ("最低", "最少", "至少", "下限")),
    (("上半年",), ("下半年",)),
    (("一共", "总共", "共计", "合计", "总计"), ("每人", "每位", "每名", "每户", "人均", "户均")),
    (("全年",), ("上半年", "下半年", "前三季度", "一季度", "第一季度", "前六个月")),
)
# a level (Ⅰ级 response, after NFKC "I级"; 一级), compared within the figure's clause
_LEVEL = re.compile(r"(?<![A-Z])(IV|V|I{1,3})\s*[级級]|(?<![第上下])([一二三四五])[级級]")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


# the search key (full-width folded, simplified), kept: an article is checked once per span read
# from it, and may be a long PDF
_plain = lru_cache(maxsize=64)(normalize_key)


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_years(question: str) -> frozenset[int]:
    """The years (Gregorian) a question names: 2017年, 110年度 and 民國110年 (Taiwan's era, +1911)."""
    return frozenset(_named_years(_plain(question)))


def _named_years(text: str) -> set[int]:
    years = {int(m.group(1)) for m in _YEAR.finditer(text)}
    for m in _ROC_YEAR.finditer(text):
        roc = int(next(g for g in m.groups() if g))
        if 1 <= roc <= 150:
            years.add(roc + 1911)
    return years


def year_supported(year: int, text: str, date: str | None) -> bool:
    """Whether an article (headline and text, dated `date`) can speak of `year`."""
    t = _plain(text)
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


def _around(text: str, start: int, end: int, stops: str) -> str:
    """The stretch of `text` holding [start, end) between the nearest stops on either side."""
    left = max(text.rfind(c, 0, start) for c in stops) + 1
    right = min((i for i in (text.find(c, end) for c in stops) if i >= 0), default=len(text))
    return text[left:right]


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
    years = (int(m.group(1)) for m in _FISCAL.finditer(_plain(question)))
    return frozenset(y + 1911 if y <= 150 else y for y in years)


def sentence_year_fits(question: str, title: str, text: str, start: int, end: int, date: str | None) -> bool:
    """False when the sentence holding a figure names years before it (or, naming none, its headline
    does) and may mean none the question names: the figure is another year's. A dated article's own
    year is never held against it (迄今, 目前), unless the question writes it as a budget's (年度)."""
    years = question_years(question)
    if date and date[:4].isdigit() and int(date[:4]) in years - fiscal_years(question):
        return True
    span = text[start:end]
    if any(c in span for c in _SENTENCE_END) or sentence_years(span, date)[1]:
        return True  # a passage, or a span that is itself a date: its sentence's years are the answer
    sentence = _around(text, start, end, _SENTENCE_END)
    # the years named before the figure: one named after it is most often a comparison (而2005年为…)
    named, _ = sentence_years(sentence[: sentence.find(span)], date)
    if not named:  # a headline's year (明年度總預算) is what its figures are about
        named, _ = sentence_years(title, date)
        sentence = f"{title}\n{sentence}"
    return not named or bool(sentence_years(sentence, date)[1] & years)


@lru_cache(maxsize=256)  # asked once per span read for the same question
def asked_kind(question: str) -> str | None:
    """The kind of unit a "how many / how much" question asks in, if it names one: the unit right
    after 多少 or 几 (and any 万 or 亿), where it ends one of jieba's words (多少所得 and 多少部门
    name no unit)."""
    q = _plain(question)
    bounds, at = set(), 0
    for word in load_jieba().lcut(q):
        at += len(word)
        bounds.add(at)
    for m in _ASKING.finditer(q):
        p = m.end()
        while p < len(q) and q[p] in _SCALES:
            p += 1
        unit = next((u for u in _NAMES if q.startswith(u, p) and p + len(u) in bounds), None)
        if unit == "个" or (unit == "岁" and q[p + 1 : p + 2] in ("出", "入")):
            return None  # 几个: a count of anything, a list answers it; 岁出, 岁入: a budget's two sides
        if unit:
            return _KIND[unit]
        if _RATE.search(q[: m.start()]):
            return "ratio"
        after = next((w for w in _MONEY_WORDS if q.startswith(w, p) and p + len(w) in bounds), None)
        return "money" if after or _MONEY.search(q[: m.start()]) else None
    return None


def span_kinds(span: str) -> tuple[bool, set[str]]:
    """Whether a span holds a number, and the kinds of the units written right after its numbers."""
    s = normalize_key(span).strip()
    if re.fullmatch(f"[{_NUMERALS}]+", s):
        return True, set()  # 十, 三: a number alone
    found = [m for m in _NUMBER.finditer(s) if not _bare_scale(s, m)]
    return bool(found), {_KIND[m.group(1) or m.group(2)] for m in found if m.group(1) or m.group(2)}


def _bare_scale(s: str, m: re.Match) -> bool:
    """A match that starts with scale characters only (总投资亿元, 万人空巷): no number is written."""
    run = _BARE_SCALE.match(s, m.start())
    return bool(run and (m.start() == 0 or s[m.start() - 1] not in _COUNTED)
                and (run.end() == len(s) or s[run.end()] not in _NUMERALS))


def unit_fits(question: str, span: str) -> bool:
    """False when a how-many question asks a quantity in one kind of unit and the span holds no
    number, or only numbers in units of other kinds."""
    kind = asked_kind(question)
    if kind is None:
        return True
    has_number, kinds = span_kinds(span)
    if not has_number:
        return False
    return not kinds or kind in kinds


def side_fits(question: str, clause: str) -> bool:
    """False when the question names one side of a pair (岁入, 最低) and not the other, and the
    clause holding the span names the other side only."""
    q, c = _plain(question), normalize_key(clause)
    for one, other in _SIDES:
        for asked, shunned in ((one, other), (other, one)):
            if any(w in q for w in asked) and not any(w in q for w in shunned) \
                    and any(w in c for w in shunned) and not any(w in c for w in asked):
                return False
    return True


def _levels(text: str) -> set[int]:
    # Roman numerals folded to letters (Ⅳ: IV), whatever their case
    text = unicodedata.normalize("NFKC", text).upper()
    return {_ROMAN[m.group(1)] if m.group(1) else _numeral_value(m.group(2)) for m in _LEVEL.finditer(text)}


def level_fits(question: str, clause: str) -> bool:
    """False when the question names a level (Ⅰ级 response) and the span's clause names only others."""
    asked = _levels(question)
    named = _levels(clause) if asked else set()
    return not named or bool(asked & named)


def _numeral_value(n: str) -> int | None:
    """1 to 999 written in figures or Chinese numerals (三十八); None for anything else."""
    if n.isdigit():
        return int(n)
    total = digit = 0
    for ch in n:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in ("十", "百"):
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            return None
    return total + digit


def _with_unit(text: str, start: int, end: int) -> str:
    """The span, with the unit written right after it when it ends in a bare figure (14500 | 座)."""
    span = text[start:end]
    if not span or not (span[-1].isdigit() or span[-1] in _NUMERALS):
        return span
    after = normalize_key(text[end : end + 8])
    unit = next((u for u in _NAMES if after.startswith(u)), "")
    return span + unit


def span_fits(q: Question, title: str, text: str, start: int, end: int, date: str | None) -> bool:
    """All checks of the span text[start:end] of an article (`title`, `text`, dated `date`): every
    year the question names is one the article speaks of, and a level it names one the span's clause
    does; a how-many question's span is in the unit asked, its sentence is about a year
    asked and its clause is on the side asked."""
    years = question_years(q.text)
    article_text = f"{title}\n{text}"
    if not all(year_supported(y, article_text, date) for y in years):
        return False
    clause = _around(text, start, end, _CLAUSE_END)
    if not level_fits(q.text, clause):
        return False
    if q.kind != "how_many":
        return True  # the rest hold a figure to its clause; a span that says what or why may name
        # the other side (the reserve that offsets the spending raises the revenue)
    return unit_fits(q.text, _with_unit(text, start, end)) and side_fits(q.text, clause) \
        and (not years or sentence_year_fits(q.text, title, text, start, end, date))
