"""Question analysis: validation, the kind of answer asked for, and the topic words a follow-up carries over."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qa.config import MAX_QUESTION_CHARS
from qa.errors import QuestionError
from qa.text.keys import normalize_key
from qa.text.script import is_cjk
from qa.text.tokens import PUNCT, load_jieba

# Words that shape a question but say nothing about its topic.
STOPWORDS = set(
    "的 了 是 在 有 和 与 及 或 吗 呢 吧 啊 么 什么 哪 哪个 哪些 哪里 哪儿 哪天 哪年 哪位 哪家 哪一年 谁 多少 几 "
    "怎么 怎样 如何 为什么 为何 何时 何地 什么样 时候 这 那 这个 那个 这次 那次 被 把 对 将 要 等 都 也 就 "
    "又 请问 一下 呀 叫 叫做 名字 具体 指 一共 共 总共 到底 上 中 里 由 从 给 让 地 得 着 过 其 之 "
    "提出 提到 表示 说 称 我们 你 我 他 她 它 它们 他们 按照 可以 希望 计划 打算 如果 接下来 怎么办 概括 需要 "
    "主要 分别 通过 采取 拿出 拿到 出去 当时 目前 现在 这段 这份 这位 这一".split()
)
# Nouns that name the kind of answer ("担任什么职务", "落款日期"): rarely in the answering sentence.
TYPE_NOUNS = set("职务 职位 日期 时间 落款 地方 地点 名字 名称 人员 做法 办法 原因 内容 角色 数量 规模 定位".split())
_WH = (r"(?:为什么|为何|怎么样|怎么|怎样|如何|什么样的|什么样|什么|哪一年|哪一天|哪天|哪年|哪些|哪个|哪位|哪家|"
       r"哪里|哪儿|哪|谁|多少|多大|多长|多高|多久|几|何时|何地|何)")
WH = re.compile(_WH)
_WHEN = re.compile(r"(哪一?天|哪一?年|何时|什么时候|什么时间|几月|几号|几日|几点|哪个月|几时|日期|时间是|"
                   r"哪一?日|落款)")
_WHO = re.compile(r"(谁|哪[一两二三四五六七八九几]?位|什么人|叫什么名字|姓名|何人)")
_WHERE = re.compile(r"(哪里|哪儿|在哪|何地|什么地方|哪个地方|什么位置|哪个村|哪个镇|哪个县|哪个区|哪个市|哪个省|"
                    r"哪个国家|哪座|哪家商场|地点)")
_WHY = re.compile(r"(为什么|为何|原因|为了什么|目的)")
_HOW = re.compile(r"(怎么|怎样|如何|什么方式|哪些做法|哪些方式|什么办法|哪些措施|什么措施)")
_HOW_MANY = re.compile(r"(多少|几|多大|多长|多高|多重|多远|多久|比例|权重|占比)")
# The measure word after 多少 / 几: "多少名" asks for "248名", "几辆" for "三辆".
_UNIT = re.compile(r"(?:多少|几)(个百分点|万元|亿元|元|万|亿|千|百|[\u4e00-\u9fff])")
# Measure words a how-many question can ask for (多少名 -> 248名); anything else after 多少 is a noun.
MEASURE_WORDS = set("名 人 位 个 项 件 套 处 家 篇 条 场 次 所 只 辆 台 座 批 年 天 届 期 倍 亩 米 "
                    "岁 吨 元 万 亿 千 百 户 间 种 类 起 份 张 本 部 首 支 层 栋 株 头 匹 架 "
                    "艘 枚 颗 斤 克 秒 分 小 周 月 日".split())


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    key: str  # normalised search key (simplified, NFKC, lower case)
    kind: str  # who | when | where | how_many | why | how | what
    unit: str | None  # measure word asked for by a how-many question
    keywords: tuple[str, ...]  # topic words, in question order
    entities: tuple[tuple[str, str], ...]  # (word, kind): names, places, ordinals... the question names


# Characters no question needs, dropped before anything else reads it: control characters (NUL,
# terminal escape sequences, which would otherwise be echoed to terminals and logs), format characters
# (right-to-left overrides and zero-width marks, which can make a question display as another) and
# lone surrogates (not text at all: encoding one to UTF-8 fails).
_UNWANTED = ("Cc", "Cf", "Cs")
_KEPT_CONTROLS = "\t\n\r"


def clean(question: str) -> str:
    """``question`` without control, format and lone surrogate characters (tabs and newlines kept)."""
    return "".join(c for c in question
                   if c in _KEPT_CONTROLS or unicodedata.category(c) not in _UNWANTED)


def validate(question: str) -> str:
    """The question cleaned and stripped, or a QuestionError that says how to ask."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text; send it as a string, e.g. 淄川区政协会议应到委员多少名？")
    question = clean(question)
    if not question.strip():
        raise QuestionError("The question is empty; type a question about the articles, "
                            "e.g. 淄川区政协会议应到委员多少名？")
    text = question.strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(text)} characters long; keep it under {MAX_QUESTION_CHARS} "
                            "characters (one question at a time).")
    if not any(is_cjk(c) for c in text):
        if any(c.isalnum() for c in text):
            raise QuestionError("The articles are in Chinese; please ask the question in Chinese, "
                                "e.g. 淄川区政协会议应到委员多少名？")
        raise QuestionError("The question has no words to search for; please ask in Chinese words.")
    return text


def classify(key: str) -> tuple[str, str | None]:
    """The kind of answer a question asks for, and the measure word of a how-many question."""
    if _WHY.search(key):
        return "why", None
    if _WHO.search(key):
        return "who", None
    if _WHEN.search(key):
        return "when", None
    if _WHERE.search(key):
        return "where", None
    if _HOW_MANY.search(key):
        m = _UNIT.search(key)
        unit = m.group(1) if m and (len(m.group(1)) > 1 or m.group(1) in MEASURE_WORDS) else None
        if unit and "几" + unit + "字" in key:
            unit = None  # "哪八个字" asks for the words, not a count
        return "how_many", unit
    if _HOW.search(key):
        return "how", None
    return "what", None


# Abbreviations (flag j, "人大") are left out: articles often spell them in full.
_ENTITY_FLAGS = {"ns", "nr", "nt", "nz", "nrt"}
_WH_CHARS = set("几哪谁")


def keywords(key: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Topic words of a question key (jieba, with part-of-speech tags) and the entities among them:
    names, places, organisations, abbreviations, ordinals ("第二批") and years."""
    import jieba.posseg as pseg

    load_jieba()  # initialised once, quietly
    words: list[str] = []
    entities: list[str] = []
    for w, flag in pseg.cut(key):
        w = w.strip()
        if (not w or w in STOPWORDS or w in TYPE_NOUNS or all(c in PUNCT for c in w) or WH.fullmatch(w)
                or any(c in _WH_CHARS for c in w) or "多少" in w or "什么" in w):
            continue
        if w not in words:
            words.append(w)
        if re.fullmatch(r"第[\d一二三四五六七八九十百]+\S*|(19|20)\d\d", w):
            entities.append((w, "ordinal"))
        elif flag in _ENTITY_FLAGS and len(w) >= 2:
            entities.append((w, "place" if flag == "ns" else "name"))
    return tuple(words), tuple(dict.fromkeys(entities))


def analyse(question: str) -> Question:
    """Validate and analyse a question."""
    text = validate(question)
    key = normalize_key(text).rstrip("？?。.!！ ")
    kind, unit = classify(key)
    words, entities = keywords(key)
    return Question(text, key, kind, unit, words, entities)
