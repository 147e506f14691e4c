"""Answer -> what the chat page shows: HTML for quotes highlighted in their passage and in the
whole article, references, confidence, and the abstention message. No web framework here.

Every piece of article text goes through ``html.escape``: a corpus is data, not markup. The HTML
is one line without blank lines, so a Markdown renderer passes it through as a single block.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from qa.records import Answer, Article, Quote
from qa.text import sentence_spans

NOT_FOUND = "在现有文章中没有找到答案 / not found in the articles"
CLOSEST_LABEL = "最接近的段落（不是答案）/ Closest passages, not answers"
# Context around a quote: whole sentences of the same paragraph, at most this many on each side.
CONTEXT_SENTENCES = 1
CONTEXT_CHARS = 160
_BLANK_LINE = re.compile(r"\n\s*\n")


def reference(title: str, source: str | None, date: str | None) -> str:
    """"title · source · date", leaving out what the article does not say."""
    return " · ".join(x for x in (f"《{title}》", source, date) if x)


def context_span(text: str, start: int, end: int, sentences: int = CONTEXT_SENTENCES,
                 max_chars: int = CONTEXT_CHARS) -> tuple[int, int]:
    """(start, end) of the passage shown around ``text[start:end]``: up to ``sentences`` whole
    sentences on each side, within the quote's paragraph and ``max_chars`` characters."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    spans = sentence_spans(text, para_start, para_end)
    before = [s for s in spans if s[1] <= start][-sentences:] if sentences else []
    after = [s for s in spans if s[0] >= end][:sentences] if sentences else []
    lo = next((s for s, _ in before if start - s <= max_chars), start)
    hi = next((e for _, e in reversed(after) if e - end <= max_chars), end)
    return min(lo, start), max(hi, end)


def _text_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def highlight(text: str, start: int, end: int, window: tuple[int, int] | None = None,
              css_class: str = "qa-quote") -> str:
    """``text[window]`` escaped, with ``text[start:end]`` wrapped in a <mark>; "…" marks a cut."""
    lo, hi = window or (0, len(text))
    head = "…" if lo > 0 and text[lo - 1] != "\n" else ""
    tail = "…" if hi < len(text) and text[hi] != "\n" else ""
    return (f"{head}{_text_html(text[lo:start])}"
            f'<mark class="{css_class}" data-start="{start}" data-end="{end}">{_text_html(text[start:end])}</mark>'
            f"{_text_html(text[end:hi])}{tail}")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph (text between blank lines), offsets into ``text``."""
    spans, pos = [], 0
    for m in _BLANK_LINE.finditer(text + "\n\n"):
        if text[pos:m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    return spans


def article_html(article: Article, start: int | None = None, end: int | None = None) -> str:
    """The whole article, paragraph by paragraph, with ``text[start:end]`` highlighted in place
    (in each paragraph it touches, so the markup stays well nested)."""
    text = article.text
    body = []
    for p0, p1 in paragraphs(text):
        if start is not None and end is not None and start < p1 and p0 < end:
            s, e = max(start, p0), min(end, p1)
            body.append(f"<p>{_text_html(text[p0:s])}<mark class=\"qa-quote\" data-start=\"{s}\" "
                        f'data-end="{e}">{_text_html(text[s:e])}</mark>{_text_html(text[e:p1])}</p>')
        else:
            body.append(f"<p>{_text_html(text[p0:p1])}</p>")
    meta = " · ".join(x for x in (article.source, article.date) if x)
    return (f'<div class="qa-article"><div class="qa-article-title">{html.escape(article.title)}</div>'
            f'<div class="qa-ref">{html.escape(meta)}</div>{"".join(body)}</div>')


def quote_html(n: int, quote: Quote, article: Article | None, css_class: str = "qa-quote") -> str:
    """One quote: its passage with the quote highlighted, the reference, and the whole article
    behind a disclosure (plain HTML, so it works without scripts and survives sanitising)."""
    if article is None or article.text[quote.start:quote.end] != quote.text:
        # Only when the index changed under the answer: show the quote alone, never a wrong slice.
        passage = f'<mark class="{css_class}">{_text_html(quote.text)}</mark>'
        full = ""
    else:
        passage = highlight(article.text, quote.start, quote.end,
                            context_span(article.text, quote.start, quote.end), css_class)
        full = (f'<details class="qa-full"><summary>查看全文 / whole article</summary>'
                f"{article_html(article, quote.start, quote.end)}</details>")
    ref = html.escape(reference(quote.title, quote.source, quote.date))
    return (f'<div class="qa-quote-block"><div class="qa-passage"><span class="qa-n">[{n}]</span> {passage}</div>'
            f'<div class="qa-ref">{ref}</div>{full}</div>')


def answer_html(answer: Answer, articles: Mapping[str, Article], typed: str | None = None) -> str:
    """The assistant's reply: the short answer and its quotes, or the abstention and, clearly
    labelled, the closest passages. ``typed`` is the question as typed: when a follow-up was
    searched in other words, the reply says which."""
    parts = ['<div class="qa-reply">']
    if typed is not None and typed.strip() != answer.question:
        parts.append(f'<div class="qa-asked">按“{html.escape(answer.question)}”检索 · searched as</div>')
    confidence = f'<span class="qa-conf">置信度 {answer.confidence:.2f}</span>'
    if answer.abstained:
        parts.append(f'<div class="qa-notfound"><strong>{NOT_FOUND}</strong> {confidence}</div>')
        if answer.closest:
            parts.append(f'<div class="qa-closest-label">{CLOSEST_LABEL}</div>')
        quotes, css = answer.closest, "qa-near"
    else:
        parts.append(f'<div class="qa-short"><span class="qa-label">答案</span>'
                     f'<strong class="qa-answer-text">{html.escape(answer.answer)}</strong>{confidence}</div>')
        quotes, css = answer.quotes, "qa-quote"
    parts.extend(quote_html(n, q, articles.get(q.article_id), css) for n, q in enumerate(quotes, 1))
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    """A message about the question or the filters (never a traceback)."""
    return f'<div class="qa-error">{html.escape(message)}</div>'


def shown_question(text: str, limit: int = 200) -> str:
    """The question as the chat echoes it, escaped: a pasted page is cut, not repeated in full."""
    text = (text or "").strip()
    if not text:
        return "（空问题 / empty question）"
    if len(text) > limit:
        return f"{html.escape(text[:limit])}…（共 {len(text)} 字 / {len(text)} characters）"
    return html.escape(text)


def article_rows(articles: Iterable[Article]) -> list[list[str]]:
    """Rows of the article list (title, source, date), newest first, then by title."""
    ordered = sorted(articles, key=lambda a: (a.date or "", a.title), reverse=True)
    return [[a.title, a.source or "", a.date or ""] for a in ordered]


def article_order(articles: Iterable[Article]) -> list[str]:
    """Article ids in the order of ``article_rows``, so a selected row maps back to its article."""
    return [a.id for a in sorted(articles, key=lambda a: (a.date or "", a.title), reverse=True)]
