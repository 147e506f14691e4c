"""News files of each format, written from a title and paragraphs: a saved news page with navigation,
ads and a comment box, a Word file (python-docx), a PDF set in two columns with a text layer
(reportlab, its built-in Chinese font STSong-Light, nothing to download), a scanned page (an image
and no text) and a password-locked PDF.

Shared by `bench/ingest_bench.py` (ingestion speed per format) and the ingestion tests.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path

_FONT = "STSong-Light"


def html_page(title: str, paragraphs: Sequence[str], *, site: str, date: str, source: str | None = None,
              comments: Sequence[str] = ("说得好，支持！", "希望尽快落实。")) -> str:
    """A news page as outlets serve it: navigation, an ad, the article, related links, a comment box."""
    e = html.escape
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    said = "".join(f'<li class="comment"><span class="user">网友{n}</span><p>{e(c)}</p>'
                   f'<span class="time">{e(date)} 2{n}:00</span></li>' for n, c in enumerate(comments, 1))
    nav = "".join(f'<li><a href="/{k}/">{v}</a></li>' for k, v in
                  (("news", "要闻"), ("local", "本地"), ("finance", "财经"), ("sports", "体育"), ("video", "视频")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)}_{e(site)}</title>
<meta property="og:site_name" content="{e(site)}"><meta property="og:title" content="{e(title)}">
<meta property="article:published_time" content="{e(date)}T08:00:00+08:00"></head>
<body><header><nav><ul>{nav}</ul></nav></header>
<div class="ad"><a href="https://ad.example.com/1">广告：买房就上房产网，首付低至两成！</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; 正文</div>
<article><h1>{e(title)}</h1><div class="meta"><span class="time">{e(date)} 08:00</span>
<span class="source">来源：{e(source or site)}</span></div><div class="content">{body}</div></article>
<section class="related"><h3>相关新闻</h3><ul><li><a href="/a.html">一季度重点项目集中开工</a></li>
<li><a href="/b.html">优化营商环境十大行动发布</a></li></ul></section>
<section class="comments"><h3>网友评论</h3><form><textarea placeholder="文明上网，理性发言"></textarea>
<button>发表评论</button></form><ul>{said}</ul></section>
<footer><a href="/about">关于我们</a> | {e(site)} 版权所有</footer></body></html>
"""


def write_docx(path: Path, title: str, paragraphs: Sequence[str], *, heading: bool = True,
               core_title: str | None = None, table: Sequence[Sequence[str]] = ()) -> Path:
    """A Word file: the title as a heading (or a plain first paragraph), the paragraphs, a table."""
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    if heading:
        document.add_heading(title, level=1)
    else:
        document.add_paragraph(title)
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.save(path)
    return path


def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    body = ParagraphStyle("body", fontName=_FONT, fontSize=10.5, leading=15, wordWrap="CJK", firstLineIndent=21)
    head = ParagraphStyle("head", fontName=_FONT, fontSize=18, leading=24)
    return body, head


def write_pdf(path: Path, title: str, paragraphs: Sequence[str], *, columns: int = 2,
              meta_title: str | None = None, encrypt: object = None, page_height: float | None = None) -> Path:
    """A newspaper-like PDF: the headline across the top of page 1, the paragraphs flowing through
    ``columns`` columns and on to further pages. ``encrypt``: the password needed to open it, or a
    reportlab StandardEncryption (one with an empty user password locks only editing)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, NextPageTemplate, PageTemplate, Paragraph

    body, head = _styles()
    width, height = A4[0], page_height or A4[1]
    margin, gutter = 50, 18
    col = (width - 2 * margin - gutter * (columns - 1)) / columns

    def column_frames(top: float, prefix: str) -> list:
        return [Frame(margin + i * (col + gutter), margin, col, top - margin, id=f"{prefix}{i}",
                      leftPadding=0, rightPadding=0) for i in range(columns)]

    first = [Frame(margin, height - margin - 50, width - 2 * margin, 50, id="head"),
             *column_frames(height - margin - 60, "c")]
    doc = BaseDocTemplate(str(path), pagesize=(width, height), title=meta_title or "", encrypt=encrypt,
                          pageTemplates=[PageTemplate("first", first), PageTemplate("rest", column_frames(
                              height - margin, "r"))])
    story = [Paragraph(html.escape(title), head), NextPageTemplate("rest"), FrameBreak()]
    story += [Paragraph(html.escape(p), body) for p in paragraphs]
    doc.build(story)
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A scanned page: a picture of text, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(picture)
    for y in range(60, 760, 24):  # lines of "print"
        draw.rectangle((40, y, 560 - (y * 7) % 90, y + 10), fill=30)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 0, 0, width=A4[0], height=A4[1])
    c.save()
    return path
