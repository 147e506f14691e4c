"""News pages, Word files and PDFs -> Article: what the readers of the formats other than plain text share.

Each format has its module (`html_pages`, `word_files`, `pdf_files`), which imports its library
only when a file of that format is read; `corpus.DOCUMENT_READERS` maps file suffixes to them. A
file that cannot be read raises CorpusError with the reason; the corpus reader turns it into one
warning naming the file, and goes on with the rest.
Radical code points are folded (`radicals`) in every format read here: they come from PDF text
layers, and from text copied out of PDFs into Word files and web pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.ingest.dates import date_in_text
from qa.ingest.radicals import fold_radicals
from qa.records import Article

# "来源：淄博日报" / "来源: 新华社": the outlet a Chinese article names when its page or file does not.
_SOURCE_LINE = re.compile(r"(?:^|\n)\s*(?:来源|稿源|信息来源)\s*[：:]\s*([^\s\n|｜，,。]{2,20})")
# A title that is a file name or a word processor's placeholder, not a headline.
_JUNK_TITLE = re.compile(r"(?i)^(?:microsoft word - .*|untitled.*|无标题.*|新建.*文档.*|.*\.(?:docx?|pdf|wps|txt))$")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
# Less text than this is no article: a page's menu or login form (trafilatura falls back to whatever
# text a page has), a scan's stamped page number.
MIN_TEXT_CHARS = 20


def clean_lines(lines: Iterable[str]) -> list[str]:
    """Lines with radicals folded, runs of spaces (full-width too) made one, ends trimmed; empty ones dropped."""
    out = []
    for line in lines:
        line = _SPACES.sub(" ", fold_radicals(line)).strip()
        if line:
            out.append(line)
    return out


def usable_title(title: str | None) -> str | None:
    """``title`` tidied, or None when it is empty or a file name / placeholder rather than a headline."""
    if not title:
        return None
    title = _SPACES.sub(" ", fold_radicals(title)).strip()
    return title if title and not _JUNK_TITLE.match(title) else None


def split_title(title: str | None, paragraphs: list[str]) -> tuple[str, list[str]]:
    """The title and the body paragraphs. With a title from the file's metadata, a first paragraph that
    repeats it is dropped; without one, the first paragraph is the title (as for a txt file)."""
    if title:
        if paragraphs and _same(paragraphs[0], title):
            paragraphs = paragraphs[1:]
        return title, paragraphs
    if len(paragraphs) > 1:
        return paragraphs[0], paragraphs[1:]
    return (paragraphs[0] if paragraphs else ""), paragraphs


def _same(a: str, b: str) -> bool:
    return _SPACES.sub("", a) == _SPACES.sub("", b)


def source_in_text(text: str) -> str | None:
    """The outlet a "来源：…" line near the start or the end of ``text`` names."""
    for part in (text[:400], text[-300:]):
        if m := _SOURCE_LINE.search(part):
            return m.group(1)
    return None


def article_of(aid: str, path: str, title: str, text: str, *, source: str | None = None, date: str | None = None,
               url: str | None = None, pages: tuple[int, ...] = ()) -> Article:
    """An Article from what a reader found; the outlet and the date fall back to what the text says."""
    return Article(id=aid, title=title or aid, text=text, path=path, source=source or source_in_text(text),
                   date=date or date_in_text(text), url=url, pages=pages)
