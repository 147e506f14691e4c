"""Text utilities: hard-wrap repair, sentence spans, normalised search keys and jieba tokens.

Article text is never rewritten after ingestion; everything here either cleans raw input once
(`join_hard_breaks`) or produces *copies* used as search keys, aligned character by character with
the original so that offsets found in a key are offsets in the article.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

# A line or paragraph that ends with one of these is complete; anything else was cut by a hard wrap.
TERMINAL = set("。！？!?；;：:…”’」』）)】》\"'")
SENTENCE_END = set("。！？!?；;…")
CLOSERS = set("”’」』）)】》\"'")
PUNCT = set(
    "，。！？；：、“”‘’「」『』（）()《》〈〉【】—…·,.!?;:'\"-_*^/\\~`+=|<>[]{}@#$%&￥～－■●◆"
)
# The CJK blocks jieba and our answer spans care about.
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BYLINE = re.compile(r"^\S{1,8}(?: \S{1,6}){1,4}$")


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def _is_byline(line: str) -> bool:
    """Short credit lines such as "见习记者 刘悦" keep their own line."""
    return len(line) <= 14 and bool(_BYLINE.match(line)) and not any(c in SENTENCE_END for c in line)


def _glue(left: str, right: str) -> str:
    """The separator a hard wrap between ``left`` and ``right`` stood for."""
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return " "  # an English word was wrapped: keep the words apart
    return ""


def _is_body(paragraph: str) -> bool:
    """A paragraph of running text (not a heading), so a blank line after it can be a page break.

    Headings are short, or are lists ("构建企业进得来、留得住、办得好的营商环境"), or have
    spaces between their parts ("落实文物长制 让齐文化释放更多光芒").
    """
    if len(paragraph) >= 25 or (len(paragraph) >= 10 and ("，" in paragraph or "," in paragraph)):
        return True
    return len(paragraph) > 10 and " " not in paragraph and "、" not in paragraph


def join_hard_breaks(raw: str) -> str:
    """Undo the hard line breaks of newspaper and web-page text.

    Lines inside a paragraph are joined unless they are by-lines; a paragraph of running text that
    stops mid-sentence is joined with the next one (a page or column break). Headings stay their own
    paragraph. Paragraphs are separated by a single newline in the result.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        joined = lines[0]
        for prev, line in zip(lines, lines[1:]):
            # A wrapped line fills the column; a short one ended on purpose (a signature, a date).
            if _is_byline(prev) or _is_byline(line) or len(prev) < 10:
                joined += "\n" + line
            else:
                joined += _glue(joined, line) + line
        last = paragraphs[-1].split("\n")[-1] if paragraphs else ""
        if last and last[-1] not in TERMINAL and _is_body(last) and not _is_byline(lines[0]):
            paragraphs[-1] += _glue(paragraphs[-1], joined) + joined
        else:
            paragraphs.append(joined)
    return "\n".join(paragraphs)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text[start:end]``, whitespace trimmed, offsets into ``text``.

    A sentence ends after 。！？；… (and any closing quotes that follow) or at a newline.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    i = s = start
    while i < end:
        ch = text[i]
        cut = None
        if ch == "\n":
            cut, nxt = i, i + 1
        elif ch in SENTENCE_END:
            j = i + 1
            while j < end and (text[j] in CLOSERS or text[j] in SENTENCE_END):
                j += 1
            cut, nxt = j, j
        if cut is not None:
            spans.append((s, cut))
            s = i = nxt
        else:
            i += 1
    spans.append((s, end))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=65536)
def _key_char(char: str) -> str:
    folded = _t2s().convert(unicodedata.normalize("NFKC", char)).lower()
    return folded if len(folded) == 1 else char


def to_simplified(text: str) -> str:
    """``text`` in simplified characters when OpenCC's whole-text conversion keeps every character in
    place (offsets into it are offsets into ``text``); otherwise ``text`` unchanged."""
    converted = _t2s().convert(text)
    return converted if len(converted) == len(text) else text


# A text is in traditional script when OpenCC's t2s changes at least this share of its Han
# characters. Measured on the training sets' paragraphs: CMRC 2018 train (simplified) at most .029
# (99th percentile .003), DRCD (traditional) at least .154 (1st percentile .216); this is the
# middle of that gap.
TRADITIONAL_SHARE = 0.09


def traditional_share(text: str) -> float:
    """Share of the Han characters of ``text`` that OpenCC's t2s changes (0.0 without any)."""
    han = [i for i, c in enumerate(text) if is_cjk(c)]
    if not han:
        return 0.0
    converted = _t2s().convert(text)
    if len(converted) != len(text):  # the whole-text conversion moved characters: one at a time
        converted = "".join(_t2s_char(c) for c in text)
    return sum(text[i] != converted[i] for i in han) / len(han)


@functools.lru_cache(maxsize=65536)
def _t2s_char(char: str) -> str:
    folded = _t2s().convert(char)
    return folded if len(folded) == 1 else char


@functools.lru_cache(maxsize=4096)
def is_traditional(text: str) -> bool:
    """Whether ``text`` is written in traditional characters (see TRADITIONAL_SHARE)."""
    return traditional_share(text) >= TRADITIONAL_SHARE


def normalize_key(text: str) -> str:
    """Search-key copy of ``text``: NFKC, traditional to simplified, lower case, same length.

    The copy is aligned with the original, so an offset found in it is an offset in ``text``.
    Whole-text conversion is used when it keeps the length (OpenCC's phrase table is better than
    character by character); otherwise each character is folded on its own.
    """
    whole = _t2s().convert(unicodedata.normalize("NFKC", text)).lower()
    if len(whole) == len(text):
        return whole
    return "".join(_key_char(c) for c in text)


_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True
    return jieba


# Particles that occur in nearly every sentence: they only add noise to BM25.
PARTICLES = frozenset("的 了 是 和 与 及 在 吗 呢 啊 吧 么 之 其 或".split())


def tokenize(text: str) -> list[str]:
    """Search tokens for BM25: jieba search mode over the normalised key, punctuation and
    particles dropped."""
    key = normalize_key(text)
    return [w for w in _jieba().cut_for_search(key)
            if w.strip() and w not in PARTICLES and not all(c in PUNCT for c in w)]


def tokens_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for each jieba word of the normalised key; offsets into ``text``."""
    key = normalize_key(text)
    return [(w, a, b) for w, a, b in _jieba().tokenize(key) if w.strip()]
