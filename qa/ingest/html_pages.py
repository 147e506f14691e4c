"""A saved news page (.html/.htm) -> Article, with trafilatura: the main text without navigation, ads and
comments; the headline; the outlet (the site's name); the publication date.

The date comes from the page's own metadata first (``<meta>`` tags and JSON-LD, read by htmldate),
then from the dateline in the text, and only then from dates htmldate finds anywhere in the page:
searched first, the whole page would give a reader's comment its date as soon as the metadata
lacked one. Each paragraph of the main text is one line of the article text; a page's paragraphs
are real paragraphs, so no hard-wrap repair is done.
"""

from __future__ import annotations

import copy

from qa.errors import CorpusError
from qa.ingest.dates import date_in_text
from qa.ingest.documents import MIN_TEXT_CHARS, article_of, clean_lines, split_title, usable_title
from qa.records import Article


def read_html(data: bytes, aid: str, path: str) -> Article:
    """The article of a saved news page (bytes: trafilatura finds the encoding the page declares)."""
    import trafilatura

    tree = trafilatura.load_html(data)
    if tree is None:
        raise CorpusError("not a readable HTML page")
    metadata_only = _metadata_tree(tree)  # copied before extraction, which prunes the tree
    doc = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False, include_tables=True,
                                      # Without it a short article (a few sentences) comes back
                                      # with the page's navigation, ads and related links around it.
                                      favor_precision=True,
                                      output_format="python",
                                      date_extraction_params={"extensive_search": False, "original_date": True})
    lines = clean_lines((doc.text or "").split("\n")) if doc is not None else []
    if sum(map(len, lines)) < MIN_TEXT_CHARS:
        raise CorpusError("no article text found in the page")
    title, body = split_title(usable_title(doc.title), lines)
    if not body:
        raise CorpusError("no article text found in the page")
    text = "\n".join(body)
    date = _metadata_date(metadata_only) or date_in_text(text) or doc.date
    return article_of(aid, path, title, text, source=usable_title(doc.sitename), date=date, url=doc.url)


def _metadata_tree(tree):
    """A document holding only the page's ``<head>`` and its JSON-LD blocks."""
    from lxml import html

    root = html.Element("html")
    head = tree.find("head")
    root.append(copy.deepcopy(head) if head is not None else html.Element("head"))
    for script in tree.iterfind(".//body//script[@type='application/ld+json']"):
        root[0].append(copy.deepcopy(script))
    return root


def _metadata_date(root) -> str | None:
    from htmldate import find_date

    return find_date(root, extensive_search=False, original_date=True) or None
