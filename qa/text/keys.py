"""Search keys: a copy of a text for matching (NFKC, simplified, lower case), aligned with the original
character by character, so an offset found in the key is an offset in the text."""

from __future__ import annotations

import functools
import unicodedata

from qa.text.script import t2s


@functools.lru_cache(maxsize=65536)
def _key_char(char: str) -> str:
    folded = t2s().convert(unicodedata.normalize("NFKC", char)).lower()
    return folded if len(folded) == 1 else char


def normalize_key(text: str) -> str:
    """Search-key copy of ``text``: NFKC, traditional to simplified, lower case, same length.

    The copy is aligned with the original, so an offset found in it is an offset in ``text``.
    Whole-text conversion is used when it keeps the length (OpenCC's phrase table is better than
    character by character); otherwise each character is folded on its own.
    """
    whole = t2s().convert(unicodedata.normalize("NFKC", text)).lower()
    if len(whole) == len(text):
        return whole
    return "".join(_key_char(c) for c in text)
