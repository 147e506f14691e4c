"""Sentences: the (start, end) offsets of each sentence of a text, never a rewritten copy."""

from __future__ import annotations

SENTENCE_END = set("。！？!?；;…")
CLOSERS = set("”’」』）)】》\"'")


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
