"""Where a span stands: its sentence and clause, and the side of a pair, the level, the ordinal, the
weekday and the measure they name; whether a name is a byline's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from qa.text import normalize_key

SENTENCE_END = "。！？!?；;\n"
CLAUSE_END = SENTENCE_END + "，,"
# pairs of sides a question asks about one of: every word of a side, simplified
_SIDES = (
    (("岁入", "收入"), ("岁出", "支出", "开支")),
    (("最高", "最多", "至多", "上限"), ("最低", "最少", "至少", "下限")),
    (("上半年",), ("下半年",)),
    (("一共", "总共", "共计", "合计", "总计"), ("每人", "每位", "每名", "每户", "人均", "户均")),
    (("全年",), ("上半年", "下半年", "前三季度", "一季度", "第一季度", "前六个月")),
)
# a level (a Ⅰ级 response, I级 once folded; 一级), Roman or Chinese
_LEVEL = re.compile(r"(?<![A-Z])(IV|V|I{1,3})\s*[级級]|(?<![第上下])([一二三四五])[级級]")
_LEVEL_VALUE = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
# an ordinal and what it counts: 第N + the word it numbers (第三审查委员会, 第2批), N届, and N次 before a meeting
_N = "[0-9]+|[一二两三四五六七八九十百]+"
_ORDINAL = re.compile(rf"第\s*({_N})\s*(\w)"
                      rf"|(?<![第0-9一二两三四五六七八九十百])({_N})\s*(届|次(?=会议|全会|全体会议|大会))")
# a measure named by its head and the word before it (精神损失费, 警戒水位); 费用 and 经费 are any cost
_MEASURE = re.compile(r"([\u4e00-\u9fff]{2})(?<!经)(费(?!用)|水位|税)")
# a byline or a picture's credit: the name right after 记者 (a colon, slash or spaces between), or before 摄 or 绘
_CREDIT_BEFORE = re.compile(r"(?:记者|通讯员|编辑|责编|摄影|撰稿)\s*[:/]?\s*$")
_CREDIT_AFTER = re.compile(r"\s*/?\s*(?:摄|绘)")
_ASKS_CREDIT = re.compile("记者|通讯员|编辑|摄影|作者|撰稿|报道|拍摄|绘")
_DIGIT = {c: n for n, c in enumerate("零一二三四五六七八九")} | {"两": 2}
T = TypeVar("T")


def _once_per_question(parse: Callable[[str], set[T]]) -> Callable[[str], frozenset[T]]:
    """A parser of the question's side of a check, run once per question, not once per span read
    (frozen: the cached result is shared)."""
    return lru_cache(maxsize=256)(lambda question: frozenset(parse(question)))


def bounds(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    """Where the stretch of `text` holding [start, end) between the nearest stops on either side begins
    and ends."""
    left = max(text.rfind(c, 0, start) for c in stops) + 1
    right = min((i for i in (text.find(c, end) for c in stops) if i >= 0), default=len(text))
    return left, right


def side_fits(question: str, clause: str) -> bool:
    """False when the question names one side of a pair (岁入, 最低) and not the other, and the
    clause holding the span names the other side only."""
    q, c = normalize_key(question), normalize_key(clause)
    for one, other in _SIDES:
        for asked, shunned in ((one, other), (other, one)):
            if any(w in q for w in asked) and not any(w in q for w in shunned) \
                    and any(w in c for w in shunned) and not any(w in c for w in asked):
                return False
    return True


def _measures(text: str) -> dict[str, set[str]]:
    """Head noun (费, 水位, 税) -> the two characters before it wherever the text names one."""
    found: dict[str, set[str]] = {}
    for m in _MEASURE.finditer(normalize_key(text)):
        found.setdefault(m.group(2), set()).add(m.group(1))
    return found


@lru_cache(maxsize=256)  # the question's side, asked once per span read
def _asked_measures(question: str) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((head, frozenset(words)) for head, words in _measures(question).items())  # shared: immutable


def measure_fits(question: str, clause: str) -> bool:
    """False when the question names a measure by its head and the word before it (精神损失费,
    保证水位) and the clause names that head only with words sharing no character with it (车辆修理费,
    警戒水位): another quantity of the same kind. 修理费 still answers 修车费."""
    asked = _asked_measures(question)
    named = _measures(clause) if asked else {}
    return all(head not in named or any(set(a) & set(n) for a in words for n in named[head])
               for head, words in asked)


def credit_fits(question: str, before: str, span: str, after: str) -> bool:
    """False when a name is credited as the text's reporter, editor or photographer (（中央社記者郝雪卿,
    洪  琥绘（人民视觉）) and the question, asking who, asks for none of them."""
    if _asks_credit(question):
        return True
    return not (_CREDIT_BEFORE.search(normalize_key(before)) or normalize_key(span).endswith(("摄", "绘"))
                or _CREDIT_AFTER.match(normalize_key(after)))


@lru_cache(maxsize=256)  # the question's side, asked once per span read
def _asks_credit(question: str) -> bool:
    return bool(_ASKS_CREDIT.search(normalize_key(question)))


def _levels(text: str) -> set[int]:
    text = unicodedata.normalize("NFKC", text).upper()  # Ⅳ: IV, whatever the case
    return {_LEVEL_VALUE[m.group(1) or m.group(2)] for m in _LEVEL.finditer(text)}


_asked_levels = _once_per_question(_levels)


def level_fits(question: str, clause: str) -> bool:
    """False when the question names a level (a Ⅰ级 response) and the span's clause names only others."""
    asked = _asked_levels(question)
    named = _levels(clause) if asked else set()
    return not named or bool(asked & named)


def small_number(s: str) -> int:
    """A small number written in figures or Chinese numerals (十七: 17, 三十八: 38)."""
    if s.isdigit():
        return int(s)
    total = digit = 0
    for c in s:
        if c in "十百":
            total += (digit or 1) * (10 if c == "十" else 100)
            digit = 0
        else:
            digit = _DIGIT.get(c, 0)
    return total + digit


def _ordinals(text: str) -> set[tuple[str, int]]:
    return {(m.group(2) or m.group(4)[0], small_number(m.group(1) or m.group(3)))
            for m in _ORDINAL.finditer(normalize_key(text))}


_asked_ordinals = _once_per_question(_ordinals)


def ordinal_fits(question: str, before: str) -> bool:
    """False when the question names an ordinal (第一审查委员会, 六次会议) and the span's clause, before
    the span (where what it belongs to stands), names others of the same count only (第三审查委员会,
    第三十八次会议)."""
    asked = _asked_ordinals(question)
    if not asked:
        return True
    named = _ordinals(before)
    return all(not (others := {n for w, n in named if w == word}) or number in others for word, number in asked)


# a weekday, or a run of them (周一至五): Monday 1 … Sunday 7
_WEEKDAY = re.compile(r"(?:星期|周|礼拜)([一二三四五六日天])"
                      r"(?:\s*[至到\-~－]\s*(?:星期|周|礼拜)?([一二三四五六日天]))?")
_DAY = {c: n for n, c in enumerate("一二三四五六日", 1)} | {"天": 7}


def _weekdays(text: str) -> set[int]:
    days: set[int] = set()
    for m in _WEEKDAY.finditer(normalize_key(text)):
        first = _DAY[m.group(1)]
        days |= set(range(first, _DAY[m.group(2)] + 1)) if m.group(2) else {first}
    return days


_asked_weekdays = _once_per_question(_weekdays)


def weekday_fits(question: str, clause: str) -> bool:
    """False when the question names a weekday (星期六) and the span's clause names only others (週一至五)."""
    asked = _asked_weekdays(question)
    named = _weekdays(clause) if asked else set()
    return not named or bool(asked & named)
