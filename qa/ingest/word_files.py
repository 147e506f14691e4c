"""A Word file (.docx, the usual form of a press release) -> Article, with python-docx.

Paragraphs and tables are read in document order; each paragraph is one line of the article text
(line breaks typed inside a paragraph are hard wraps, joined as in a txt file) and each table row
is one line, its cells separated by spaces. The title is the first paragraph when it is styled
as a title or heading, else the document's own title property, else the first paragraph (as
for a txt file). The outlet and the date are what the text says ("来源：…", a dateline, or the
date a press release is signed with at its end).
"""

from __future__ import annotations

import io
import zipfile

from qa.errors import CorpusError
from qa.ingest.documents import article_of, clean_lines, split_title, usable_title
from qa.records import Article
from qa.text import join_hard_breaks


def read_docx(data: bytes, aid: str, path: str) -> Article:
    """The article of a .docx file (an old binary .doc renamed .docx is reported as unreadable)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise CorpusError("not a readable Word (.docx) file") from err
    paragraphs: list[str] = []
    heading_first = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            paragraphs.extend(_table_lines(block))
            continue
        lines = clean_lines(join_hard_breaks(block.text).split("\n"))
        if lines and not paragraphs and heading_first is None:
            style = (block.style.name if block.style is not None else "") or ""
            heading_first = style == "Title" or style.startswith("Heading")
        paragraphs.extend(lines)
    if not paragraphs:
        raise CorpusError("no text in the Word file")
    title = paragraphs[0] if heading_first else usable_title(document.core_properties.title)
    title, body = split_title(title, paragraphs)
    if not body:
        raise CorpusError("no article text in the Word file, only a title")
    return article_of(aid, path, title, "\n".join(body))


def _table_lines(table) -> list[str]:
    """One line per row: its cells' text, a merged cell (repeated by python-docx) once."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(clean_lines(cell.text.split("\n")))
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        lines.extend(clean_lines([" ".join(cells)]))
    return lines
