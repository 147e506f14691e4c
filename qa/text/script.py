"""Script: which characters are CJK, whether a text is in traditional characters, and OpenCC's
traditional-to-simplified conversion where it keeps every character in place."""

from __future__ import annotations

import functools
import re

# The CJK blocks jieba and our answer spans care about.
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A text is in traditional script when OpenCC's t2s changes at least this share of its Han
# characters. Measured on the training sets' paragraphs: CMRC 2018 train (simplified) at most .029
# (99th percentile .003), DRCD (traditional) at least .154 (1st percentile .216); this is the
# middle of that gap.
TRADITIONAL_SHARE = 0.09


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


@functools.lru_cache(maxsize=1)
def t2s():
    """OpenCC's traditional-to-simplified converter, made once."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` in simplified characters when OpenCC's whole-text conversion keeps every character in
    place (offsets into it are offsets into ``text``); otherwise ``text`` unchanged."""
    converted = t2s().convert(text)
    return converted if len(converted) == len(text) else text


def traditional_share(text: str) -> float:
    """Share of the Han characters of ``text`` that OpenCC's t2s changes (0.0 without any)."""
    han = [i for i, c in enumerate(text) if is_cjk(c)]
    if not han:
        return 0.0
    converted = t2s().convert(text)
    if len(converted) != len(text):  # the whole-text conversion moved characters: one at a time
        converted = "".join(_t2s_char(c) for c in text)
    return sum(text[i] != converted[i] for i in han) / len(han)


@functools.lru_cache(maxsize=65536)
def _t2s_char(char: str) -> str:
    folded = t2s().convert(char)
    return folded if len(folded) == 1 else char


@functools.lru_cache(maxsize=4096)
def is_traditional(text: str) -> bool:
    """Whether ``text`` is written in traditional characters (see TRADITIONAL_SHARE)."""
    return traditional_share(text) >= TRADITIONAL_SHARE
