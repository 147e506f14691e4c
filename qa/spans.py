"""Short-answer spans inside a sentence, by the kind of question (no reader model needed).

Every function takes the sentence's search key (aligned with the article text) and returns
(start, end) offsets into it, or None. Patterns: numbers with measure words, dates and times,
person names (jieba part-of-speech tags), and "slot filling": the words around the question word
located in the sentence, the answer being what stands between them.
"""

from __future__ import annotations

import re

from qa.questions import Question

_NUM = r"(?:\d+(?:[.,．]\d+)*|[零〇一二两三四五六七八九十百千万亿]+)"
_MEASURES = (
    "个百分点|万平方米|平方米|平方公里|公里|千米|万元|亿元|元|万吨|吨|万人次|人次|场次|余人|多人|人|名|位|项|件|"
    "套|处|家|篇|条|场|次|所|只|辆|台|座|批|个|年|天|届|期|%|％|倍|亩|米|岁|周年|公顷|万只|余项|多项"
)
GENERIC_AMOUNT = re.compile(rf"{_NUM}(?:多|余)?(?:万|亿)?(?:{_MEASURES})")
MONEY = re.compile(rf"{_NUM}(?:多|余)?(?:万|亿)?元")
WHEN = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日(?:上午|下午|晚上)?|\d{1,2}月\d{1,2}日(?:上午|下午|晚上)?|\d{4}年\d{1,2}月"
    r"|(?:上午|下午|晚上)\d{1,2}[时点](?:\d{1,2}分)?|\d{1,2}月份(?:和\d{1,2}月份)?|\d{4}年度?|\d{1,2}月"
    r"|[一二三四五六七八九十]+世纪[\d一二三四五六七八九十]*年代|\d{4}[—\-–至]\d{4}年"
)
_MONEY_WORDS = ("钱", "资金", "金额", "价值", "投资", "经费", "元")
_PERCENT_WORDS = ("权重", "比例", "占比", "百分之", "占多少")
_EDGE = "，。、；：,.;:！？!?“”\"'（）()《》 \n"
_LEAD = ("是", "为", "了", "在", "于", "的", "由", "从", "到", "对", "将", "向", "：", ":")
MAX_SLOT = 40


def amount(q: Question, key: str) -> list[tuple[int, int]]:
    """Numbers with the measure word the question asks for (多少名 -> 248名)."""
    if q.unit:
        unit = re.escape(q.unit)
        pattern = re.compile(rf"{_NUM}(?:多|余)?(?:万|亿)?(?:{unit})")
    elif any(w in q.key for w in _PERCENT_WORDS):
        pattern = re.compile(rf"{_NUM}(?:%|％|个百分点)|百分之{_NUM}")
    elif any(w in q.key for w in _MONEY_WORDS):
        pattern = MONEY
    else:
        pattern = GENERIC_AMOUNT
    return [m.span() for m in pattern.finditer(key) if not _inside_year(key, m)]


def _inside_year(key: str, m: re.Match) -> bool:
    """"2021年" is a date, not an amount of years, unless the question asked for years."""
    return bool(re.fullmatch(r"\d{4}年度?", m.group(0)))


_ASKS_DAY = re.compile(r"哪一?天|哪一?日|几号|几日|日期")
_ASKS_YEAR = re.compile(r"哪一?年|几几年")
_ASKS_MONTH = re.compile(r"几月|哪个月|哪几个月")
_ASKS_HOUR = re.compile(r"几点|几时")


def when(q: Question, key: str) -> list[tuple[int, int]]:
    """Dates and times; a question for a day wants a day, for a year a year, and so on."""
    spans = [m.span() for m in WHEN.finditer(key)]
    for asks, mark in ((_ASKS_DAY, "日"), (_ASKS_YEAR, "年"), (_ASKS_MONTH, "月"), (_ASKS_HOUR, "时点")):
        if asks.search(q.key):
            return [s for s in spans if any(c in key[s[0]:s[1]] for c in mark)]
    return spans


def person(q: Question, key: str) -> list[tuple[int, int]]:
    """Person names (jieba's nr tag) not already named in the question."""
    import jieba.posseg as pseg

    spans, pos = [], 0
    for word, flag in pseg.cut(key):
        start = key.find(word, pos)
        pos = start + len(word) if start >= 0 else pos
        if flag == "nr" and len(word) >= 2 and word not in q.key and start >= 0:
            spans.append((start, start + len(word)))
    return spans


def _longest_suffix_in(text: str, key: str, min_len: int = 2) -> tuple[int, int] | None:
    """The longest suffix of ``text`` found in ``key``: (start, end) in key."""
    for n in range(min(len(text), 12), min_len - 1, -1):
        at = key.find(text[-n:])
        if at >= 0:
            return at, at + n
    return None


def _longest_prefix_in(text: str, key: str, after: int, min_len: int = 1) -> tuple[int, int] | None:
    for n in range(min(len(text), 12), min_len - 1, -1):
        at = key.find(text[:n], after)
        if at >= 0:
            return at, at + n
    return None


def slot(q: Question, key: str) -> list[tuple[int, int]]:
    """What stands in the sentence where the question word stands in the question."""
    left = q.left.rstrip("的是为在了")
    right = q.right.lstrip("的是").rstrip("？?。！!呢吗")
    lm = _longest_suffix_in(left, key) if len(left) >= 2 else None
    start = lm[1] if lm else None
    end = None
    if right:
        rm = _longest_prefix_in(right, key, start or 0, min_len=2 if start is None else 1)
        if rm and (start is None or rm[0] > start):
            end = rm[0]
    if start is None and end is None:
        return []
    if start is None:
        start = max(key.rfind(c, 0, end) for c in "，。；,;：:") + 1
    if end is None:
        stops = [key.find(c, start) for c in "，。；,;！？!?"]
        end = min([s for s in stops if s > start] or [len(key)])
    span = _trim(key, start, end)
    return [span] if span and 0 < span[1] - span[0] <= MAX_SLOT else []


def _trim(key: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (key[start] in _EDGE or key[start:end].startswith(_LEAD)):
        start += 1
    while end > start and key[end - 1] in _EDGE.replace("”", "").replace("）", "").replace(")", ""):
        end -= 1
    return (start, end) if end > start else None


def candidates(q: Question, key: str) -> list[tuple[int, int]]:
    """Answer spans of the right kind in a sentence key, most specific extractor first."""
    if q.kind == "how_many":
        return amount(q, key)
    if q.kind == "when":
        return when(q, key)
    if q.kind == "who":
        return person(q, key) or slot(q, key)
    if q.kind in ("where", "what"):
        return slot(q, key)
    return []


# Kinds whose answer must be a specific token: no such token means the sentence does not answer.
TYPED = {"how_many", "when", "who"}
