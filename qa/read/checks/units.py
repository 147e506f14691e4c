"""The unit a how-many question asks in, and the units a span's numbers are written in."""

from __future__ import annotations

import re
from functools import lru_cache

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

# the rate a how-many question asks for when it names no unit: the words right before 多少
_RATE = re.compile("(?:率|增速|增幅|涨幅|降幅|跌幅|比重|占比|比例|百分比|增长目标)(?:是|为|达到|达|有|约)?$")
# money asked by its name, as the subject before 多少 (经费是多少; not 占总经费多少) or as the word after it (多少资金)
_MONEY_WORDS = ("资金", "经费", "金额", "费用", "投资", "奖金", "罚款", "罚金")
_MONEY = re.compile(f"(?:{'|'.join(_MONEY_WORDS)})(?:是|为|达到|达|有|约|共计|一共|总共)$")
# 哪个政党, 哪几家, 哪位 ask which ones; after 哪 a time (哪年, 哪个月), a rank (哪一届, 哪一批), a place
# (哪里) or a measure of quantity asks something else
_WHICH_QUANTIFIERS, _WHICH_MEASURES = "一几些两", "个家位所项条种类款支"
_WHICH = re.compile(f"哪[{_WHICH_QUANTIFIERS}]?([{_WHICH_MEASURES}])?(.?)")
_EDGE = " \t\r\n\u3000，。、；：,.;:！？!?\"'“”‘’「」《》()"
_NOT_WHICH = set("年月天日号届期批次季轮点时里儿怕样")
# a span that is only a count: a number and a measure word, of people (8名) or followed by what is
# counted (1个政党); a which-question is not answered by how many
_COUNT_ONLY = re.compile(rf"(?:约|共|计|共计|有)?(?:[0-9][0-9.,]*|[{_NUMERALS}]+)(?:余|多)?"
                         "(?:[名位人]|[个家间所项条种类款支件][\u4e00-\u9fff]{1,6})")
# a whole the question counts within (这7家…中, 73位得奖者里): how many of them is not all of them
_WHOLE = re.compile(rf"([0-9]+|[{_NUMERALS}]+)\s*({_UNIT})[^，,？?。]{{0,20}}?(?:当中|之中|中|里)")


@lru_cache(maxsize=256)  # asked once per span read for the same question
def asked_kind(question: str) -> str | None:
    """The kind of unit a "how many / how much" question asks in, if it names one: the unit right
    after 多少 or 几 (and any 万 or 亿), where it ends one of jieba's words (多少所得 and 多少部门
    name no unit)."""
    q = normalize_key(question)
    bounds, at = set(), 0
    for word in load_jieba().lcut(q):
        at += len(word)
        bounds.add(at)
    for m in _ASKING.finditer(q):
        p = m.end()
        while p < len(q) and q[p] in _SCALES:
            p += 1
        unit = next((u for u in _NAMES if q.startswith(u, p) and p + len(u) in bounds), None)
        if m.group() == "多少" and q.startswith("点", p) and p + 1 in bounds:
            return "index"  # 多少点: an index's points (几点 asks the time)
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
    if kind == "index":  # the tables know no points: only a ratio is held against them
        return kinds != {"ratio"}
    return not kinds or kind in kinds


@lru_cache(maxsize=256)  # asked once per span read for the same question
def asks_which(question: str) -> bool:
    """Whether a question asks which one(s) (哪个政党, 哪几家, 哪位), not when, where or how many."""
    for m in _WHICH.finditer(normalize_key(question)):
        if (m.group(1) or m.group(2)) and m.group(2) not in _NOT_WHICH:
            return True
    return False


def which_fits(question: str, span: str) -> bool:
    """False when a question asks which one(s) and the span is only a count (1个政党, 8名), or only
    the word it asks which of (政党 for 哪个政党)."""
    if not asks_which(question):
        return True
    key = normalize_key(span).strip(_EDGE)
    return not (_COUNT_ONLY.fullmatch(key) or len(key) >= 2 and key in _asked_nouns(question))


@lru_cache(maxsize=256)
def _asked_nouns(question: str) -> tuple[str, ...]:
    """What a which-question asks which of, cut at each length from two characters on (哪个政党 ->
    政党 …): the words after 哪 and its measure word."""
    q = normalize_key(question)
    out: list[str] = []
    for m in _WHICH.finditer(q):
        rest = q[m.start() + 1:].lstrip(_WHICH_QUANTIFIERS)
        rest = rest[1:] if rest[:1] in _WHICH_MEASURES else rest
        rest = re.split(r"[\s，。？?!！、,；;：:]", rest)[0]
        out += [rest[:n] for n in range(2, len(rest) + 1)]
    return tuple(out)


def with_unit(text: str, start: int, end: int) -> str:
    """The span, with the unit written right after it when it ends in a bare figure (14500 | 座)."""
    span = text[start:end]
    if not span or not (span[-1].isdigit() or span[-1] in _NUMERALS):
        return span
    after = normalize_key(text[end : end + 8])
    unit = next((u for u in _NAMES if after.startswith(u)), "")
    return span + unit


def part_fits(question: str, span: str) -> bool:
    """False when a how-many question counts within a whole it names (这7家受查核的团体中，有几家) and
    the span is that whole again (7家)."""
    q = normalize_key(question)
    m = _WHOLE.search(q)
    if not m or not _ASKING.search(q, m.end()):
        return True
    again = re.fullmatch(rf"(?:共|约|共计|总计)?{re.escape(m.group(1))}\s*({_UNIT})?", normalize_key(span).strip())
    return not (again and (not again.group(1) or _KIND[again.group(1)] == _KIND[m.group(2)]))
