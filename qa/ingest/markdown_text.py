"""Markdown article bodies -> the text a reader of the rendered page sees.

News archives kept as Markdown (static-site exports, CMS dumps) carry markup that no reader of the
page sees: inline HTML figures (`<figure><img src=…><figcaption>…`), `**bold**` headings, `[links](…)`,
tables with pipes, and Hugo shortcodes (`{{< video src=… >}}`). Left in, it is read as words: a
quote shows `<img src="https://…">`, the reader spends its window on URLs, and BM25 matches them.

The body is parsed by markdown-it-py (CommonMark, with GFM tables) and walked token by token:
paragraphs, headings, list items and table rows become lines; link and emphasis text is kept, the
markup dropped; HTML keeps its text (a figure's caption) and loses its tags; images and rules go.
Hugo shortcodes (gohugo.io/content-management/shortcodes) are not Markdown: their tags are removed
before parsing, the text between a pair kept. Blocks are separated by a blank line and lines inside
a paragraph kept apart, as in the file, so that hard-wrap repair (`qa.text.lines`) sees what it saw.
"""

from __future__ import annotations

import re
from functools import cache

# {{< name args >}} and {{% name args %}}, and their closing {{< /name >}}: one line each at most.
_SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}")
# Elements whose text is not part of the page: what a browser never shows.
_HIDDEN = ("script", "style", "noscript", "template")


@cache
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def markdown_text(body: str) -> str:
    """The visible text of a Markdown body: one block a paragraph, blocks apart by a blank line."""
    tokens = _parser().parse(_SHORTCODE.sub("", body))
    blocks: list[str] = []
    row: list[str] | None = None
    item_marks: list[str] = []  # the marker of each open list item: "1." for ordered lists, "" otherwise
    for tok in tokens:
        if tok.type == "list_item_open":
            item_marks.append(f"{tok.info}{tok.markup}" if tok.markup in (".", ")") else "")
        elif tok.type == "list_item_close":
            item_marks.pop()
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            blocks.append(" | ".join(cell for cell in row if cell))
            row = None
        elif tok.type == "inline":
            text = _inline_text(tok.children or [])
            if row is not None:
                row.append(text.replace("\n", " ").strip())
            elif text.strip():
                if item_marks and item_marks[-1] and tok.map is not None:
                    text = f"{item_marks[-1]} {text}"
                    item_marks[-1] = ""  # only the item's first paragraph carries its number
                blocks.append(text)
        elif tok.type in ("html_block",):
            if text := _html_text(tok.content).strip():
                blocks.append(text)
        elif tok.type in ("fence", "code_block"):
            if text := tok.content.strip("\n"):
                blocks.append(text)
    return "\n\n".join(blocks)


def _inline_text(children) -> str:
    parts: list[str] = []
    hidden = 0
    for tok in children:
        if tok.type == "html_inline":
            hidden += _hidden_change(tok.content)
        elif hidden:
            continue
        elif tok.type in ("text", "code_inline"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _hidden_change(tag: str) -> int:
    """+1 when ``tag`` opens an element whose text is hidden, -1 when it closes one, else 0."""
    m = re.match(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)", tag)
    if not m or m.group(2).lower() not in _HIDDEN:
        return 0
    return -1 if m.group(1) else 1


def _html_text(html: str) -> str:
    """The text of an HTML block (lxml's parser, forgiving of fragments), one line per block
    element it had; tags, comments and hidden elements dropped."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # lxml raises several types for junk; a block that will not parse shows nothing
        return ""
    for el in root.iter(*_HIDDEN):
        el.drop_tree()
    for el in root.iter("br", "p", "div", "figcaption", "li", "tr", "figure", "h1", "h2", "h3", "h4", "h5", "h6"):
        el.tail = "\n" + (el.tail or "")
    lines = (line.strip() for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
