"""News pages, Word files and PDFs, on real files the tests write (or the fixture page, hand-written as a
Chinese news site serves it): the right title, outlet, date and body; each problem file gets one
sentence naming it and the rest of the corpus is read; the article text is what quotes slice."""

from __future__ import annotations

import re
import shutil
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest

from qa.ingest import chunk_article, load_corpus
from qa.ingest.corpus import read_file
from qa.ingest.radicals import fold_radicals
from qa.records import Quote
from qa.text import sentence_spans

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from sample_files import html_page, write_docx, write_pdf, write_scanned_pdf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "zibo_news_page.html"
PAGE_BODY = [
    "淄博新闻网讯（记者 王晓明）3月1日，记者从淄博市发展和改革委员会获悉，淄博市日前出台《关于支持民营企业高质量发展的"
    "若干措施》，从减轻企业负担、缓解融资难题、优化营商环境等方面提出二十条具体措施。",
    "根据措施，今年全市将为民营企业减税降费30亿元以上，对新招用高校毕业生的小微企业给予每人1000元的一次性吸纳就业补贴。"
    "市财政设立规模为10亿元的民营企业纾困基金，重点支持暂时遇到困难的优质企业。",
    "在缓解融资难题方面，淄博市将推动银行机构单列民营企业信贷计划，确保全年新增民营企业贷款不低于200亿元，并将政府性融资"
    "担保费率降至1%以下。",
    "市发展和改革委员会有关负责人表示，下一步将建立民营企业诉求“直通车”制度，由市级领导干部分包联系重点民营企业，定期开展"
    "走访服务，推动各项措施落地见效。",
]
# What a page shows around the article and the article text must not hold.
PAGE_CHROME = ["首页", "要闻", "广告", "首付", "高薪招聘", "相关新闻", "网友评论", "文明上网", "政策很给力", "热点排行",
               "版权所有", "分享到", "阅读：", "ICP"]
RELEASE = ["2021年3月5日，山东省淄博市人民政府新闻办公室召开新闻发布会，介绍全市一季度经济运行情况。",
           "一季度，全市实现地区生产总值1005.6亿元，同比增长19.2%，两年平均增长6.8%。",
           "来源：淄博市人民政府新闻办公室"]


def bundled_article(n: int = 0):
    """A long bundled article: enough text to flow over two columns and onto further pages."""
    articles = sorted(load_corpus(ROOT / "corpus").articles, key=lambda a: -len(a.text))
    return articles[n]


def read_one(path: Path):
    [article], notes = read_file(path, path.parent)
    assert notes == []
    return article


def assert_exact_quotes(article) -> None:
    """Every chunk and every sentence quoted from the article is the slice of its text it names."""
    for chunk in chunk_article(article, 240, 1):
        assert article.text[chunk.start:chunk.end] == chunk.text
    for start, end in sentence_spans(article.text):
        quote = Quote.of(article, start, end)
        assert quote.text == article.text[start:end] and quote.text in article.text


# --- news pages ---------------------------------------------------------------------------------

def test_saved_news_page_gives_headline_outlet_date_and_only_the_article(tmp_path):
    page = shutil.copy(FIXTURE, tmp_path / "zibo.html")
    article = read_one(Path(page))
    assert article.title == "淄博市出台二十条措施支持民营企业发展"
    assert article.source == "淄博新闻网" and article.date == "2021-03-02"
    assert article.text == "\n".join(PAGE_BODY)
    for chrome in PAGE_CHROME:
        assert chrome not in article.text, chrome
    assert article.id == "zibo" and article.path.endswith("zibo.html") and article.pages == ()
    assert_exact_quotes(article)


def test_page_without_date_metadata_takes_the_dateline_not_a_comment_date(tmp_path):
    html = FIXTURE.read_text(encoding="utf-8")
    html = re.sub(r'<meta property="article:published_time"[^>]*>', "", html)
    html = html.replace('<span class="time">2021-03-02 08:30</span>', "")
    html = html.replace("2021-03-02 09:15", "2021-03-05 09:15").replace("2021-03-02 10:02", "2021-03-06 10:02")
    html = html.replace("淄博新闻网讯（记者 王晓明）3月1日，", "淄博新闻网讯 2021年3月1日，")
    (tmp_path / "dateline.htm").write_text(html, encoding="utf-8")
    assert read_one(tmp_path / "dateline.htm").date == "2021-03-01"


def test_page_in_gb18030_is_decoded_from_its_charset(tmp_path):
    html = FIXTURE.read_text(encoding="utf-8").replace('<meta charset="utf-8">', '<meta charset="gbk">')
    (tmp_path / "gbk.html").write_bytes(html.encode("gb18030"))
    article = read_one(tmp_path / "gbk.html")
    assert article.title == "淄博市出台二十条措施支持民营企业发展" and article.text == "\n".join(PAGE_BODY)


def test_generated_page_round_trips_a_bundled_article(tmp_path):
    source = bundled_article(1)
    page = html_page(source.title, source.text.split("\n"), site="测试新闻网", date="2021-02-07")
    (tmp_path / "copy.html").write_text(page, encoding="utf-8")
    article = read_one(tmp_path / "copy.html")
    assert (article.title, article.text, article.source, article.date) == (
        source.title, source.text, "测试新闻网", "2021-02-07")


# --- Word files ---------------------------------------------------------------------------------

def test_word_file_with_heading_and_table(tmp_path):
    path = write_docx(tmp_path / "release.docx", "淄博市一季度经济运行情况新闻发布会", RELEASE,
                      table=[["指标", "数值", "增长"], ["地区生产总值", "1005.6亿元", "19.2%"]])
    article = read_one(path)
    assert article.title == "淄博市一季度经济运行情况新闻发布会"
    assert article.date == "2021-03-05" and article.source == "淄博市人民政府新闻办公室"
    assert article.text == "\n".join([*RELEASE, "指标 数值 增长", "地区生产总值 1005.6亿元 19.2%"])
    assert_exact_quotes(article)


def test_word_file_title_from_its_properties_or_first_paragraph(tmp_path):
    titled = read_one(write_docx(tmp_path / "a.docx", "淄博一季度经济运行", RELEASE[:2], heading=False,
                                 core_title="淄博一季度经济运行"))
    assert titled.title == "淄博一季度经济运行" and titled.text == "\n".join(RELEASE[:2])
    plain = read_one(write_docx(tmp_path / "b.docx", "淄博一季度经济运行", RELEASE[:2], heading=False))
    assert plain.title == "淄博一季度经济运行" and plain.text == "\n".join(RELEASE[:2])


# --- PDFs ---------------------------------------------------------------------------------------

def _squeeze(text: str) -> str:
    return "".join(text.split())


def test_two_column_pdf_keeps_reading_order_and_knows_each_page(tmp_path):
    source = bundled_article()
    path = write_pdf(tmp_path / "report.pdf", source.title, source.text.split("\n"), meta_title=source.title)
    article = read_one(path)
    # Column after column, page after page, paragraphs mended across both breaks: the very text.
    assert article.title == source.title and article.text == source.text
    assert article.date == source.date
    pages = [_squeeze(fold_radicals(p.extract_text())) for p in pypdf.PdfReader(path).pages]
    assert len(pages) >= 3 and len(article.pages) == len(pages) and article.pages[0] == 0
    checked = 0
    for start, end in sentence_spans(article.text):
        on = [n for n, text in enumerate(pages, 1) if _squeeze(article.text[start:end]) in text]
        if len(on) == 1:  # a sentence running over a page break is on neither alone
            assert Quote.of(article, start, end).page == on[0] == article.page_at(start)
            checked += 1
    assert checked > 20
    assert {article.page_at(s) for s in article.pages} == set(range(1, len(pages) + 1))
    assert_exact_quotes(article)


def test_pdf_radicals_become_the_ordinary_characters(tmp_path):
    printed = ["\u2ed8岚县2020年地区\u2f63产总值增长3.6%，\u2ed3期规划稳步推进。" * 3]
    path = write_pdf(tmp_path / "qinglan.pdf", "\u2ed8岚县经济运行简况", printed)
    assert "\u2ed8岚县" in pypdf.PdfReader(path).pages[0].extract_text()  # what the text layer holds
    article = read_one(path)
    assert article.title == "青岚县经济运行简况"
    assert "青岚县2020年地区生产总值增长3.6%，长期规划" in article.text
    assert not re.search("[\u2e80-\u2fdf]", article.title + article.text)


def test_radical_table_covers_both_blocks():
    assert fold_radicals("\u2ed8岚县…地区\u2f63产总值") == "青岚县…地区生产总值"
    for code in range(0x2E80, 0x2FE0):
        char = chr(code)
        if unicodedata.category(char) == "Cn" or code == 0x2E80:  # unassigned; REPEAT has no equivalent
            assert fold_radicals(char) == char
            continue
        folded = fold_radicals(char)
        assert len(folded) == 1 and unicodedata.name(folded).startswith("CJK UNIFIED IDEOGRAPH"), hex(code)
    assert fold_radicals("\u2f00") == unicodedata.normalize("NFKC", "\u2f00") == "一"


def test_owner_locked_pdf_is_read_like_any_other(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = write_pdf(tmp_path / "locked.pdf", "淄博一季度经济运行", RELEASE[:2],
                     encrypt=StandardEncryption("", ownerPassword="owner", canModify=0))
    article = read_one(path)
    assert article.title == "淄博一季度经济运行" and _squeeze(article.text) == _squeeze("".join(RELEASE[:2]))


# --- files that cannot be read: one sentence each, the rest is read ---------------------------

def test_each_unreadable_document_is_one_warning_and_the_rest_is_read(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good_pdf = write_pdf(corpus / "good.pdf", "淄博一季度经济运行", RELEASE[:2])
    shutil.copy(FIXTURE, corpus / "page.html")
    write_docx(corpus / "release.docx", "淄博市一季度经济运行情况新闻发布会", RELEASE)
    write_scanned_pdf(corpus / "scan.pdf")
    write_pdf(corpus / "secret.pdf", "内部资料", RELEASE[:2], encrypt="password")
    (corpus / "truncated.pdf").write_bytes(good_pdf.read_bytes()[:700])
    (corpus / "noise.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (corpus / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)  # a binary .doc
    (corpus / "menu.html").write_text("<html><body><nav><a href='/'>首页</a></nav></body></html>", encoding="utf-8")
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["good", "page", "release"]
    expected = {"scan.pdf": "no text layer", "secret.pdf": "encrypted with a password",
                "truncated.pdf": "damaged PDF", "noise.pdf": "damaged PDF",
                "old.docx": "not a readable Word (.docx) file", "menu.html": "no article text found in the page"}
    assert len(report.warnings) == len(expected)
    for name, what in expected.items():
        [warning] = [w for w in report.warnings if w.startswith(f"{name}: ")]
        assert what in warning and warning.endswith("; skipped")
        assert "\n" not in warning and ". " not in warning and warning.count("。") == 0  # one sentence


@pytest.mark.parametrize("suffix", [".HTML", ".Docx", ".PDF"])
def test_suffix_case_does_not_matter(tmp_path, suffix):
    path = tmp_path / f"release{suffix}"
    if suffix == ".HTML":
        shutil.copy(FIXTURE, path)
    elif suffix == ".Docx":
        write_docx(path, "淄博一季度经济运行", RELEASE[:2])
    else:
        write_pdf(path, "淄博一季度经济运行", RELEASE[:2])
    assert read_one(path).title.startswith("淄博")
