"""Markdown articles are read as the rendered page reads: markup gone, every visible word kept."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS

from qa.errors import CorpusError
from qa.ingest import load_corpus
from qa.ingest.corpus import read_file
from qa.ingest.markdown_text import markdown_text

# A Hugo-exported news page, as archives keep them: front matter, a figure in HTML with a caption, a
# shortcode, a bold heading, a link, a table and a numbered list.
PAGE = """---
title: 四巴士公司下月加價
source: 眾新聞
date: '2021-03-16'
---

四間巴士公司獲行政會議批准加價，下月4日生效。

<figure>
<img src="https://example.org/bus-20210316_large.png" alt="巴士">\
<figcaption>絕大部分過海巴士車資上調不少於1.5元。</figcaption></figure>政府發言人表示，新巴及城巴獲批加價12%。

{{< video src="https://example.org/embed/Pg-3jdMPu0c" >}}

### **尾班車出事**

據[運輸署](https://example.org/td)資料，*九巴*意外宗數回升：

| **年份** | **意外（宗）** |
|---|---|
| 2016 | 891 |
| 2017 | 976 |

1. 非住宅用戶水費補貼75%。
2. 電費補貼每戶每月最多5000元。
"""

FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
MARKUP = re.compile(r"<[a-zA-Z/]|\{\{|\*\*|\]\(|^#|^\|", re.M)


def test_a_markdown_page_keeps_its_words_and_loses_its_markup(tmp_path):
    (tmp_path / "bus.md").write_text(PAGE, encoding="utf-8")
    [art] = load_corpus(tmp_path).articles
    assert not MARKUP.search(art.text), art.text
    assert "example.org" not in art.text  # image, link and video addresses are not text
    for words in ("四間巴士公司獲行政會議批准加價", "絕大部分過海巴士車資上調不少於1.5元。",
                  "政府發言人表示，新巴及城巴獲批加價12%", "尾班車出事", "據運輸署資料，九巴意外宗數回升",
                  "2016 | 891", "1. 非住宅用戶水費補貼75%。", "2. 電費補貼每戶每月最多5000元。"):
        assert words in art.text
    assert (art.title, art.source, art.date) == ("四巴士公司下月加價", "眾新聞", "2021-03-16")


def test_plain_news_text_is_unchanged_by_rendering():
    # Every bundled article's body read as Markdown: the same lines (plain news text has no markup).
    bodies = [FRONT.sub("", path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.md"))]
    assert len(bodies) == 17
    for body in bodies:
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        assert [line.strip() for line in markdown_text(body).splitlines() if line.strip()] == lines


def test_hidden_html_and_shortcode_pairs():
    body = "正文第一段。\n\n<script>var x = 1;</script>\n\n{{% note %}}提示文字{{% /note %}}\n\n<!-- 注释 -->"
    assert markdown_text(body) == "正文第一段。\n\n提示文字"


@pytest.mark.parametrize("body", ["![](https://example.org/a.jpg)", "<figure><img src='a.jpg'></figure>",
                                  "{{< video src=\"x\" >}}", "***\n\n- - -"])
def test_a_markdown_file_with_nothing_to_read_is_a_clear_error(tmp_path, body):
    (tmp_path / "pic.md").write_text(body, encoding="utf-8")
    with pytest.raises(CorpusError, match="no article text"):
        read_file(tmp_path / "pic.md", tmp_path)


def test_txt_files_are_not_rendered(tmp_path):
    (tmp_path / "a.txt").write_text("标题\n**原样**保留 <b>标签</b>。", encoding="utf-8")
    [art] = load_corpus(tmp_path).articles
    assert art.text == "**原样**保留 <b>标签</b>。"


@pytest.mark.parametrize("body", ["".join(f"{'  ' * (i % 30)}- 第{i}项\n" for i in range(200)),
                                  "> " * 40 + "深层引用的正文", "<div>" * 5000 + "嵌套很深的正文" + "</div>" * 5000])
def test_nesting_too_deep_for_the_parser_loses_no_words(body):
    text = markdown_text(body)
    for words in re.findall(r"第\d+项|深层引用的正文|嵌套很深的正文", body):
        assert words in text


def test_a_stray_closing_tag_hides_nothing():
    assert markdown_text("会议</style>于今日开幕，<span>应到</span>委员248名。") == "会议于今日开幕，应到委员248名。"
