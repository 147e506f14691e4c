"""Markdown article bodies -> the text a reader of the rendered page sees.

News archives kept as Markdown (static-site exports, CMS dumps) carry markup that no reader of the
page sees: inline HTML figures (`<figure><img src=…><figcaption>…`), `**bold**` headings, `[links](…)`,
tables with pipes, and Hugo shortcodes (`{{< video src=… >}}`). Left in, it is read as words: a
quote shows `<img src="https://…">`, the reader spends its window on URLs, and BM25 matches them.

The body is parsed by markdown-it-py (CommonMark, with GFM tables) and walked token by token:
paragraphs, headings, list items and table rows become lines; link and emphasis text is kept, the
markup dropped; HTML keeps its text (a figure's caption) and loses its tags (the standard library's
HTML tokenizer); images and rules go. Hugo shortcodes (gohugo.io/content-management/shortcodes) are
not Markdown: their tags are removed before parsing, the text between a pair kept. Blocks are
separated by a blank line and lines inside a paragraph kept apart, as in the file, so that hard-wrap
repair (`qa.text.lines`) sees what it saw.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

# {{< name args >}} and {{% name args %}}, and their closing {{< /name >}}: one line each at most.
_SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}")
# Elements whose text is not part of the page: what a browser never shows.
_HIDDEN = ("script", "style", "noscript", "template")
# markdown-it's CommonMark limit on nesting (its parse time grows with it on hostile input). It skips
# everything after the point where the limit is reached: lists and quotes nested that deep are not
# news, so such a body is kept as written instead (markup shown, nothing lost).
MAX_NESTING = 20
# Block elements: their text starts on a line of its own.
_BLOCKS = frozenset("p div br figure figcaption li tr table h1 h2 h3 h4 h5 h6 blockquote section article".split())


@cache
def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    md.options["maxNesting"] = MAX_NESTING
    return md


def markdown_text(body: str) -> str:
    """The visible text of a Markdown body: one block a paragraph, blocks apart by a blank line."""
    source = _SHORTCODE.sub("", body)
    tokens = _parser().parse(source)
    if any(tok.level >= MAX_NESTING - 1 for tok in tokens):
        return source
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
        elif tok.type == "html_block":
            if text := _html_text(tok.content).strip():
                blocks.append(text)
        elif tok.type in ("fence", "code_block"):
            if text := tok.content.strip("\n"):
                blocks.append(text)
    return "\n\n".join(blocks)


def _inline_text(children) -> str:
    parts: list[str] = []
    tags = _HTMLText()  # only the inline tags are fed to it: it tracks whether the text is hidden
    for tok in children:
        if tok.type == "html_inline":
            tags.feed(tok.content)
        elif tags.hidden:
            continue
        elif tok.type in ("text", "code_inline"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _html_text(html: str) -> str:
    """The text of an HTML block, one line per block element it had; tags, comments and hidden
    elements dropped. The standard library's tokenizer: it never nests, so no depth is too deep."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
