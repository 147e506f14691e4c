"""Hard-wrap repair: raw newspaper and web-page text -> one line per paragraph, done once at ingestion."""

from __future__ import annotations

import re

from qa.text.sentences import SENTENCE_END

# A line or paragraph that ends with one of these is complete; anything else was cut by a hard wrap.
TERMINAL = set("。！？!?；;：:…”’」』）)】》\"'")
_BYLINE = re.compile(r"^\S{1,8}(?: \S{1,6}){1,4}$")


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
