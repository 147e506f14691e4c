"""A PDF with a text layer -> Article, with pypdf; the article records where each page starts.

Reading order is the order the producer wrote the text in, which pypdf keeps (its plain mode): for
columns laid out by a typesetter, Word, or a browser's print, that is column after column. Its
layout mode would instead read across the columns line by line.

The page text is cleaned as a newspaper txt file is: lines that are only a page number are dropped,
an indented line starts a paragraph and one that stops well short of the column's width ends it,
and the hard line breaks are then joined by the same function as for txt files (`join_hard_breaks`),
pages joined as one text so that a sentence running over a page break is mended. Radicals are folded
(`radicals`). Joining only removes whitespace, so the start of each page in the article text is
found by counting the other characters (``Article.pages``; ``Article.page_at`` maps an offset).

A PDF with no text (a scan), one locked with a password, or a damaged file raises CorpusError.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from qa.errors import CorpusError
from qa.ingest.documents import MIN_TEXT_CHARS, article_of, clean_lines, usable_title
from qa.records import Article
from qa.text import join_hard_breaks

# pypdf logs what it repairs in damaged files; what matters reaches the user as the file's warning.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-–—\s]*$")
_CJK = "\u2e80-\u2fdf\u3001-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
# Justified lines sometimes extract with a space between every two characters: "单 时 ， 汇 率".
_SPACED_CJK = re.compile(f"(?:[{_CJK}] ){{2,}}[{_CJK}]")
_MAX_REASON = 80


def read_pdf(data: bytes, aid: str, path: str) -> Article:
    """The article of a PDF file; raises CorpusError for a scan, a locked file or a damaged one."""
    pages, meta_title = _extract(data)
    page_lines = [_lines(text) for text in pages]
    if sum(len(line) for lines in page_lines for line, _ in lines) < MIN_TEXT_CHARS:
        raise CorpusError("no text layer, only images (a scanned page needs OCR first)")
    title = _take_title(usable_title(meta_title), page_lines)
    raw_pages = [_paragraphs(lines) for lines in page_lines]
    text = join_hard_breaks("\n\n".join(raw_pages)).strip()
    if not text:
        raise CorpusError("no article text in the PDF, only a title")
    return article_of(aid, path, title, text, pages=page_starts([_visible(p) for p in raw_pages], text))


def _extract(data: bytes) -> tuple[list[str], str | None]:
    import pypdf
    from pypdf.errors import DependencyError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # locked against editing only: anyone may read it
            except DependencyError as err:
                raise CorpusError("encrypted (AES), and opening it needs the cryptography package") from err
            if opened == pypdf.PasswordType.NOT_DECRYPTED:
                raise CorpusError("encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except CorpusError:
        raise
    except Exception as err:  # a damaged file can fail anywhere inside pypdf, with any exception
        raise CorpusError(f"a damaged PDF that cannot be read ({_reason(err)})") from err
    return pages, str(title) if title else None


def _reason(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON - 1] + "…"


def _lines(page_text: str) -> list[tuple[str, bool]]:
    """The page's lines, cleaned, each with whether it was indented (a paragraph's first line: pypdf
    gives the indent as leading spaces), without the page number printed above or below them."""
    lines = []
    for raw in page_text.split("\n"):
        for line in clean_lines([_SPACED_CJK.sub(lambda m: m.group(0).replace(" ", ""), raw)]):
            lines.append((line, raw[:1].isspace()))
    while lines and _PAGE_NUMBER.match(lines[-1][0]):
        lines.pop()
    while lines and _PAGE_NUMBER.match(lines[0][0]):
        lines.pop(0)
    return lines


def _take_title(meta_title: str | None, page_lines: list[list[tuple[str, bool]]]) -> str:
    """The title, removed from the first lines: the document's title property, or the first line.
    Taken before joining, which would join a long title to the first paragraph (as for txt)."""
    first = next(lines for lines in page_lines if lines)
    if meta_title:
        wanted, seen = _squeeze(meta_title), ""
        for n, (line, _) in enumerate(first[:4], 1):
            seen += _squeeze(line)
            if seen == wanted:
                del first[:n]
                break
            if not wanted.startswith(seen):
                break
        return meta_title
    return first.pop(0)[0]


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _paragraphs(lines: list[tuple[str, bool]]) -> str:
    """The page's lines, a blank line between two paragraphs: before an indented line, and after
    one that stops well short of the column's width (running text fills every line of a paragraph
    but its last; a heading is short too)."""
    widths = [_width(line) for line, _ in lines]
    full = sorted(widths)[int(len(widths) * 0.8)] if len(lines) >= 3 else 0  # most lines fill the column
    out = []
    for (line, indented), width in zip(lines, widths):
        if out and indented:
            out[-1] = out[-1].rstrip("\n") + "\n\n"
        out.append(line + ("\n\n" if width < 0.85 * full else "\n"))
    return "".join(out).rstrip("\n")


def _visible(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def page_starts(visible_per_page: list[int], text: str) -> tuple[int, ...]:
    """Where each page starts in ``text``, given how many non-space characters each page gave.
    ``text`` holds those characters in order (joining removed only whitespace); a page without
    any starts where the next one does. Empty when the counts do not add up."""
    positions = [i for i, c in enumerate(text) if not c.isspace()]
    if sum(visible_per_page) != len(positions):
        return ()
    starts, seen = [], 0
    for count in visible_per_page:
        starts.append(positions[seen] if seen < len(positions) else len(text))
        seen += count
    starts[0] = 0
    return tuple(starts)

