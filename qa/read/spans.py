"""Short-answer spans inside a sentence, by the kind of question (no reader model needed).

Every function takes the sentence's search key (aligned with the article text) and returns
(start, end) offsets into it, or None. Patterns: numbers with measure words, dates and times,
person names (jieba part-of-speech tags), and "slot filling": the words around the question word
located in the sentence, the answer being what stands between them.
"""

from __future__ import annotations

import re

from qa.questions import WH as WH_WORD
from qa.questions import Question
from qa.text import is_cjk

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
    tagged = list(pseg.cut(key))
    for n, (word, flag) in enumerate(tagged):
        start = key.find(word, pos)
        pos = start + len(word) if start >= 0 else pos
        if flag != "nr" or start < 0:
            continue
        if len(word) == 1 and n + 1 < len(tagged):
            # jieba often tags a lone surname and splits the given name off ("宋|一丁"): rejoin.
            nxt = tagged[n + 1].word
            if 1 <= len(nxt) <= 2 and all(is_cjk(c) for c in nxt) and key.startswith(nxt, start + 1):
                word = word + nxt
        if 2 <= len(word) <= 3 and word not in q.key:
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


_HARD_STOPS = set("，。；：！？,;:!?\n")
# Single-character question words are anchors only right next to the question word ("以什么",
# "由谁"); elsewhere they occur in every sentence.
_WH_NEIGHBOUR_ONLY = 2


def _context_words(text: str) -> list[str]:
    """Words of a question's context (left or right of the question word), in order."""
    from qa.text import _jieba

    return [w for w in _jieba().cut(text) if w.strip() and not all(c in _EDGE or c in "?？" for c in w)]


_DETERMINERS = ("哪个", "哪些", "什么", "哪家", "哪所", "哪座", "哪条", "哪种", "哪部", "哪", "何")


def _anchors(key: str, words: list[str], side: str) -> list[tuple[float, int, int]]:
    """(weight, start, end) of each occurrence in ``key`` of the question's context words; the
    word next to the question word weighs 1, those further away less."""
    found = []
    order = list(reversed(words)) if side == "left" else words
    for distance, word in enumerate(order):
        if len(word) < _WH_NEIGHBOUR_ONLY and distance > 0:
            continue
        weight = (0.6 if len(word) < _WH_NEIGHBOUR_ONLY else 1.0) / (1 + 0.5 * distance)
        found += [(weight, m.start(), m.end()) for m in re.finditer(re.escape(word), key)]
    return found


def _clause(key: str, at: int) -> tuple[int, int]:
    """The clause of ``key`` around position ``at``, between hard stops."""
    start = max([key.rfind(c, 0, at) for c in _HARD_STOPS] + [-1]) + 1
    stops = [i for i in (key.find(c, at) for c in _HARD_STOPS) if i >= 0]
    return start, min(stops or [len(key)])


def slot(q: Question, key: str) -> list[tuple[int, int]]:
    """What stands in the sentence where the question word stands in the question, best first.

    The question's words left of the question word are located in the sentence, and the answer
    starts after them; its words right of it, and the answer ends before them ("苏镜宇的原名叫
    什么" -> "原名[苏博]，"). A pair of anchors in one clause beats one anchor and the clause's
    end. When the question word is a determiner ("哪个公司"), the noun after it belongs to the
    answer ("[浙江省一建建设集团有限公司]建设")."""
    rwords = _context_words(q.right)
    lefts = _anchors(key, _context_words(q.left), "left")
    rights = _anchors(key, rwords, "right")
    wh = WH_WORD.search(q.key)
    head = rwords[0] if rwords and wh and wh.group(0) in _DETERMINERS and len(rwords[0]) > 1 else None
    spans: dict[tuple[int, int], float] = {}

    def add(start: int, end: int, score: float) -> None:
        span = _trim(key, start, end)
        # Words the question already says are not what it asks for.
        if span and key[span[0]:span[1]] in q.key:
            return
        if span and 0 < span[1] - span[0] <= MAX_SLOT and score > spans.get(span, 0.0):
            spans[span] = score

    for wl, _, s in lefts:
        c_start, c_end = _clause(key, s)
        add(s, c_end, 0.8 * wl)
        for wr, rs, re_ in rights:
            if s < rs <= c_end:
                end = re_ if head and key[rs:re_] == head else rs
                add(s, end, wl + wr)
    for wr, rs, re_ in rights:
        c_start, _ = _clause(key, rs)
        end = re_ if head and key[rs:re_] == head else rs
        add(c_start, end, 0.8 * wr)
    return [sp for sp, _ in sorted(spans.items(), key=lambda x: (-x[1], x[0][1] - x[0][0]))]


# Adverbs that news prose puts before the verb a slot stops at ("在区人民会堂三楼[隆重]开幕").
_TRAILING_ADVERBS = ("隆重", "正式", "顺利", "成功", "圆满", "胜利", "首次", "共同", "分别", "正在", "已经")
_PAIRS = {"”": "“", "）": "（", ")": "(", "」": "「", "』": "『", "》": "《"}


def _trim(key: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and (key[start] in _EDGE or key[start:end].startswith(_LEAD)):
        start += 1
    while end > start and key[end - 1] in _EDGE.replace("”", "").replace("）", "").replace(")", ""):
        end -= 1
    # A closing mark whose opening one is outside the span is not part of the answer.
    while end > start and key[end - 1] in _PAIRS and _PAIRS[key[end - 1]] not in key[start:end - 1]:
        end -= 1
    for adverb in _TRAILING_ADVERBS:
        if key[start:end].endswith(adverb) and end - len(adverb) > start:
            end -= len(adverb)
            break
    return (start, end) if end > start else None


def candidates(q: Question, key: str) -> list[tuple[int, int]]:
    """Answer spans of the right kind in a sentence key, most specific extractor first."""
    if q.kind == "how_many":
        return amount(q, key)
    if q.kind == "when":
        return when(q, key)
    if q.kind == "who":
        # A who-answer names someone: slot spans that hold a name first, then the names.
        # A who-answer names someone: the names inside slot spans first (the slot says which
        # name is meant, the name is the answer), then the other names.
        names = person(q, key)
        inside = [n for sp in slot(q, key) for n in names if sp[0] <= n[0] and n[1] <= sp[1]]
        return list(dict.fromkeys(inside + names))
    if q.kind in ("where", "what"):
        return slot(q, key)
    return []


# Kinds whose candidates come from `slot`, ranked best first.
SLOT_KINDS = {"where", "what", "who"}
# Kinds whose answer must be a specific token: no such token means the sentence does not answer.
TYPED = {"how_many", "when", "who"}
