"""The administrative places a question names (淄川区, 房县, 新北市), and whether an article, or the
clause holding a figure, names them."""

from __future__ import annotations

from functools import lru_cache

from qa.read.checks.years import article_key
from qa.text import normalize_key
from qa.text.tokens import load_jieba

_SUFFIXES = ("省", "市", "县", "区", "镇", "乡")
# words so ending that name no one place, and the endings of such words (住宅小区, 开发区, 华北地区)
_GENERIC = frozenset({
    "城市", "都市", "全市", "本市", "该市", "全县", "该县", "本县", "全区", "该区", "本区", "全省", "该省", "本省",
    "外省", "县市", "市县", "省市", "乡镇", "城镇", "市镇", "城乡", "新市镇", "直辖市",
})
_GENERIC_ENDINGS = ("地区", "市区", "城区", "郊区", "山区", "景区", "园区", "校区", "小区", "辖区", "社区", "片区",
                    "开发区", "行政区", "自治区", "保护区", "示范区", "试验区")


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_places(question: str) -> tuple[str, ...]:
    """The places a question (or a clause) names that end in an administrative suffix: jieba's place
    names (ns), and any other word of three or more characters so ending; generic words (全市,
    住宅小区, 华北地区) left out."""
    import jieba.posseg  # its tagger loads on first use; only questions are tagged

    load_jieba()
    return tuple(w for w, flag in jieba.posseg.lcut(normalize_key(question))
                 if len(w) >= 2 and w.endswith(_SUFFIXES) and (flag == "ns" or len(w) >= 3)
                 and w not in _GENERIC and not w.endswith(_GENERIC_ENDINGS))


def places_supported(question: str, article: str) -> bool:
    """Whether the article (headline and text) names every such place the question does: whole (房县),
    without its suffix (龙华 for 龙华区), or without a first character that tokenisation glued to it
    (季新北市). The article's search key is only made when the question names a place."""
    places = question_places(question)
    if not places:
        return True
    key = article_key(article)
    return all(_named(key, w, (w, w[:-1], w[1:], w[1:-1])) for w in places)


def clause_place_fits(question: str, clause: str) -> bool:
    """False when the question names such places and the clause holding a figure, up to the figure's
    end (where its subject stands), names others of the same kind only: the figure is another
    place's (以臺北市84.17歲最高 for a 新北市 question; the towns of a district are not another
    district). A place matches whole or without its suffix; a first character glued on by
    tokenisation is dropped from longer names only (北市 is in 臺北市 and is not 新北市)."""
    asked = question_places(question)
    kinds_named = {w[-1] for w in question_places(clause)} & {w[-1] for w in asked}
    if not kinds_named:
        return True  # no place of the kind asked (the towns of a district are not another district)
    key = normalize_key(clause)
    return any(_named(key, w, (w, w[:-1], w[1:] if len(w) >= 4 else "")) for w in asked)


def _named(key: str, place: str, variants: tuple[str, ...]) -> bool:
    """Whether ``key`` names ``place`` as one of its variants; one without the suffix only where the
    text does not give it another (新竹 in 新竹市 is not 新竹县)."""
    for v in variants:
        if len(v) < 2:
            continue
        if v.endswith(place[-1]):
            if v in key:
                return True
            continue
        at = key.find(v)
        while at >= 0:
            after = key[at + len(v): at + len(v) + 1]
            if after not in _SUFFIXES or after == place[-1]:  # the end, or no suffix
                return True
            at = key.find(v, at + 1)
    return False
