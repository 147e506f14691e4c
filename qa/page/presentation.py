"""Answer -> what the chat page shows: HTML for quotes highlighted in their passage and in the
whole article, references, confidence, and the abstention message. No web framework here.

Every piece of article text goes through ``html.escape``: a corpus is data, not markup. The HTML
is one line without blank lines, so a Markdown renderer passes it through as a single block.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qa.records import NOT_FOUND, Answer, Article, Quote
from qa.retrieve import Listed, newest_key
from qa.text.sentences import sentence_spans

CLOSEST_LABEL = "最接近的段落（不是答案）/ closest passages, not answers"
# Context around a quote: whole sentences of the same paragraph, at most this many on each side.
CONTEXT_SENTENCES = 1
CONTEXT_CHARS = 160

Span = tuple[int, int]


@dataclass(frozen=True)
class Passage:
    """What one numbered block shows: a window of an article with the quotes in it marked.
    Quotes of one article whose windows touch share a passage, so no sentence is shown twice."""

    article: Article
    window: Span
    marks: tuple[Span, ...]  # quote offsets into article.text, sorted, not overlapping
    also_in: tuple[str, ...] = ()  # the other outlets that ran the story (``Quote.also_in``)


def reference(title: str, source: str | None, date: str | None, page: int | None = None,
              also_in: Sequence[str] = ()) -> str:
    """《title》 · source · date · PDF page · the other outlets that ran the story, leaving out what
    the article does not say. Source and date are each kept on one line (a date broken as
    "2021-02-" / "07" reads badly on a phone); a long title still wraps."""
    parts = [html.escape(f"《{title}》")] if title else []
    where = f"第{page}页 / p. {page}" if page else None
    parts += [f'<span class="qa-nowrap">{html.escape(p)}</span>' for p in (source, date, where) if p]
    if also_in:
        parts.append(f'<span class="qa-also-in">另见 / also in: {html.escape("、".join(also_in))}</span>')
    return " · ".join(parts)


def context_span(text: str, start: int, end: int, sentences: int = CONTEXT_SENTENCES,
                 max_chars: int = CONTEXT_CHARS) -> Span:
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


def passages(quotes: Sequence[Quote], articles: Mapping[str, Article]) -> list[Passage]:
    """Quotes grouped into passages, in the order of their first quote. A quote whose article is
    gone or changed (the index was rebuilt under the answer) is left out rather than mis-sliced."""
    out: list[Passage] = []
    for q in quotes:
        article = articles.get(q.article_id)
        if article is None or article.text[q.start:q.end] != q.text:
            continue
        lo, hi = context_span(article.text, q.start, q.end)
        for i, p in enumerate(out):
            if p.article.id == article.id and lo <= p.window[1] and p.window[0] <= hi:
                marks = _union([*p.marks, (q.start, q.end)])
                out[i] = Passage(article, (min(lo, p.window[0]), max(hi, p.window[1])), marks,
                                 p.also_in or q.also_in)
                break
        else:
            out.append(Passage(article, (lo, hi), ((q.start, q.end),), q.also_in))
    return out


def _union(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s < merged[-1][1]:  # overlapping; adjacent quotes keep their own marks
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple((s, e) for s, e in merged)


def _text_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _marked(text: str, lo: int, hi: int, marks: Sequence[Span], css_class: str, emphasis: Span | None) -> str:
    """``text[lo:hi]`` escaped, each mark inside it wrapped in <mark>, the short answer inside a
    mark in <strong>. Marks are clipped to the range, so a paragraph shows its part of a quote."""
    out, pos = [], lo
    for s, e in marks:
        s, e = max(s, lo), min(e, hi)
        if s >= e:
            continue
        out.append(_text_html(text[pos:s]))
        inner = _text_html(text[s:e])
        if emphasis and s <= emphasis[0] and emphasis[1] <= e:
            inner = (f"{_text_html(text[s:emphasis[0]])}<strong class=\"qa-hit\">"
                     f"{_text_html(text[emphasis[0]:emphasis[1]])}</strong>{_text_html(text[emphasis[1]:e])}")
        out.append(f'<mark class="{css_class}" data-start="{s}" data-end="{e}">{inner}</mark>')
        pos = e
    out.append(_text_html(text[pos:hi]))
    return "".join(out)


def highlight(text: str, marks: Sequence[Span], window: Span | None = None, css_class: str = "qa-quote",
              emphasis: Span | None = None) -> str:
    """``text[window]`` with the marks highlighted; "…" where the window cuts a paragraph."""
    lo, hi = window or (0, len(text))
    head = "…" if lo > 0 and text[lo - 1] != "\n" else ""
    tail = "…" if hi < len(text) and text[hi] != "\n" else ""
    return f"{head}{_marked(text, lo, hi, marks, css_class, emphasis)}{tail}"


def paragraphs(text: str) -> list[Span]:
    """(start, end) of each paragraph, offsets into ``text``. Hard wraps were repaired when the
    corpus was read, so every line that is left is a paragraph (or a byline)."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def article_html(article: Article, marks: Sequence[Span] = (), css_class: str = "qa-quote",
                 emphasis: Span | None = None) -> str:
    """The whole article, paragraph by paragraph, with the marks highlighted in place."""
    body = "".join(f"<p>{_marked(article.text, s, e, marks, css_class, emphasis)}</p>"
                   for s, e in paragraphs(article.text))
    return (f'<div class="qa-article"><div class="qa-article-title">{html.escape(article.title)}</div>'
            f'<div class="qa-ref">{reference("", article.source, article.date)}</div>{body}</div>')


def answer_span(answer: Answer) -> Span | None:
    """Where the short answer stands inside the first quote, when it is shorter than the quote and
    occurs there exactly once (the answerer takes it from that sentence; twice would be a guess)."""
    if answer.abstained or not answer.quotes or not answer.answer:
        return None
    q = answer.quotes[0]
    span = answer.span
    if span and q.start <= span[0] < span[1] <= q.end and span[1] - span[0] < len(q.text):
        return span  # the reader says where: right even when the words occur twice
    if answer.answer == q.text or q.text.count(answer.answer) != 1:
        return None
    at = q.start + q.text.index(answer.answer)
    return at, at + len(answer.answer)


def passage_html(n: int, passage: Passage, css_class: str = "qa-quote", emphasis: Span | None = None) -> str:
    """One numbered passage, its reference, and the whole article behind a disclosure (plain HTML:
    it works without scripts and survives the page's sanitiser)."""
    a = passage.article
    text = highlight(a.text, passage.marks, passage.window, css_class, emphasis)
    full = (f'<details class="qa-full"><summary>查看全文 / whole article</summary>'
            f"{article_html(a, passage.marks, css_class, emphasis)}</details>")
    return (f'<div class="qa-quote-block {css_class}-block"><div class="qa-passage"><span class="qa-n">[{n}]</span> '
            f'{text}</div><div class="qa-ref">{_passage_reference(passage)}</div>{full}</div>')


def _passage_reference(passage: Passage) -> str:
    a = passage.article
    page = a.page_at(passage.marks[0][0]) if passage.marks else None
    return reference(a.title, a.source, a.date, page, passage.also_in)


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
    emphasis = answer_span(answer)
    parts.extend(passage_html(n, p, css, emphasis) for n, p in enumerate(passages(quotes, articles), 1))
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    """A message about the question or the filters (never a traceback)."""
    return f'<div class="qa-error">{html.escape(message)}</div>'


def shown_question(text: str | None, limit: int = 200) -> str:
    """The question as the chat echoes it, escaped: a pasted page is cut, not repeated in full."""
    text = (text or "").strip()
    if not text:
        return "（空问题 / empty question）"
    if len(text) > limit:
        return f"{html.escape(text[:limit])}…（共 {len(text)} 字 / {len(text)} characters）"
    return html.escape(text)


def _newest_first(articles: Iterable[Article | Listed]) -> list[Article | Listed]:
    return sorted(articles, key=newest_key, reverse=True)


def list_note(listed: int, total: int) -> str:
    """Under the article list: how many match when only the newest are listed, why it is empty when
    none does, else nothing."""
    if total == 0:
        return error_html("没有文章符合这些筛选条件 / No article matches these filters; choose another source or "
                          "widen the date range.")
    if listed >= total:
        return ""
    return (f'<div class="qa-n">列出最新的 {listed} 篇，共 {total} 篇；用来源和日期筛选缩小范围。'
            f" / The newest {listed} of {total} articles; narrow them with the filters.</div>")


def article_rows(articles: Iterable[Article | Listed]) -> list[list[str]]:
    """Rows of the article list (title, source, date), newest first, then by title; a story that
    other outlets reprinted names them beside its source."""
    return [[a.title, _listed_source(a), a.date or ""] for a in _newest_first(articles)]


def _listed_source(a: Article | Listed) -> str:
    also_in = getattr(a, "also_in", ())
    if not also_in:
        return a.source or ""
    return f"{a.source or ''}（另见 also in: {'、'.join(also_in)}）"


def article_order(articles: Iterable[Article | Listed]) -> list[str]:
    """Article ids in the order of ``article_rows``, so a selected row maps back to its article."""
    return [a.id for a in _newest_first(articles)]
