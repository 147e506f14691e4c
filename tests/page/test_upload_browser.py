"""Adding articles from the page in a real browser (Debian's chromium through Playwright) and through
the API: a saved news page and a Word file are uploaded, answer a question only they hold with the
quote highlighted and its reference; the same story from another outlet shows as a reprint, not a
second source; a pasted link is fetched; an opened article is removed. The real default model."""

from __future__ import annotations

import shutil
import socket
import sys

import pytest
from conftest import CORPUS
from gradio_client import Client, handle_file
from playwright.sync_api import expect
from test_browser import TIMEOUT, ask, save

from qa.config import ROOT, Settings
from qa.index import build

sys.path.insert(0, str(ROOT / "bench"))
from sample_files import html_page, write_docx  # noqa: E402

LIBRARY_TITLE = "青石镇新建图书馆正式开放"
LIBRARY = ["本报讯 青石镇新建的图书馆于3月1日正式向市民开放，馆长是林秀云。",
           "图书馆位于青石镇文化路18号，建筑面积4500平方米，总投资2800万元。",
           "馆内藏书八万册，设有少儿阅览室、电子阅览室和地方文献室，每周开放六天。",
           "林秀云介绍，图书馆还将与县图书馆通借通还，方便群众就近借阅。"]
LIBRARY_QUESTION = "青石镇图书馆的馆长是谁？"
WETLAND_TITLE = "白鹭湖湿地公园完成生态修复"
WETLAND = ["白鹭湖湿地公园生态修复工程日前通过验收。",
           "该工程由市林业局组织实施，共修复湿地面积360公顷，种植芦苇、菖蒲等水生植物40余种。",
           "修复后，公园内观测到的鸟类由原来的86种增加到132种，其中包括国家二级保护动物白琵鹭。",
           "公园将于5月1日起免费向游客开放。"]
WETLAND_QUESTION = "白鹭湖湿地公园共修复湿地面积多少公顷？"
BRIDGE = ["清河大桥改造工程于6月10日全面完工，大桥由双向四车道拓宽为双向六车道。",
          "改造工程总投资1.6亿元，由市交通运输局负责建设，工期历时14个月。",
          "大桥通车后，清河两岸的通行时间将由原来的20分钟缩短到8分钟。"]
BRIDGE_QUESTION = "清河大桥改造工程总投资多少？"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The chat page over a copy of three bundled articles (the real model), on a free local port."""
    import app
    from qa.page import LiveAnswerer

    root = tmp_path_factory.mktemp("archive")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in CORPUS.glob("*.md"))[:3]:
        shutil.copy(CORPUS / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    build(settings, quiet=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo(LiveAnswerer(settings, quiet=True))
    _, url, _ = app.launch(demo, port=port, block=False)
    yield url, settings
    demo.close()


def upload_status(page, text: str) -> None:
    expect(page.locator("#qa-upload-status")).to_contain_text(text)


def test_upload_ask_reprint_link_and_remove_in_a_browser(browser, served, local_site, tmp_path):
    url, settings = served
    files = tmp_path / "files"
    files.mkdir()
    page_file = files / "qingshi_library.html"
    page_file.write_text(html_page(LIBRARY_TITLE, LIBRARY, site="青石新闻网", date="2024-03-02"), encoding="utf-8")
    word_file = write_docx(files / "wetland_press.docx", WETLAND_TITLE, WETLAND)

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(TIMEOUT)
    page.goto(url, wait_until="load")
    page.get_by_text("添加文章 / add articles").click()
    page.locator("#qa-upload input[type=file]").set_input_files([str(page_file), str(word_file)])
    upload_status(page, "已添加 added (2)")
    upload_status(page, "Index ready")
    expect(page.locator("#qa-articles")).to_contain_text(LIBRARY_TITLE)

    reply = ask(page, LIBRARY_QUESTION, 0)
    expect(reply.locator(".qa-answer-text")).to_contain_text("林秀云")
    expect(reply.locator(".qa-passage mark.qa-quote").first).to_contain_text("林秀云")
    expect(reply.locator(".qa-ref").first).to_contain_text("青石新闻网")
    reply = ask(page, WETLAND_QUESTION, 1)
    expect(reply.locator(".qa-answer-text")).to_contain_text("360公顷")
    expect(reply.locator(".qa-ref").first).to_contain_text(WETLAND_TITLE)

    # The same story, a day later, from another outlet: a reprint, not a second source.
    reprint = files / "reprint.html"
    reprint.write_text(html_page(LIBRARY_TITLE, LIBRARY, site="文化日报网", date="2024-03-03"), encoding="utf-8")
    page.locator("#qa-upload input[type=file]").set_input_files([str(reprint)])
    upload_status(page, "已添加 added (1)")
    upload_status(page, "Index ready")
    reply = ask(page, LIBRARY_QUESTION, 2)
    expect(reply.locator(".qa-ref").first).to_contain_text("另见 / also in: 文化日报网")
    assert "文化日报网" not in reply.locator(".qa-ref").first.inner_text().split("另见")[0]
    rows = page.locator("#qa-articles [role=row]", has_text=LIBRARY_TITLE)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("另见 also in: 文化日报网")
    save(page, tmp_path, "upload-1280x1000.png")

    # A pasted link, fetched from a local web server.
    bridge = html_page("清河大桥改造完工", BRIDGE, site="清河新闻网", date="2024-06-11").encode()
    local_site.pages["/news/bridge.html"] = ("text/html; charset=utf-8", bridge)
    page.locator("#qa-link textarea, #qa-link input").first.fill(local_site.url + "/news/bridge.html")
    page.locator("#qa-fetch").click()
    upload_status(page, "127.0.0.1_bridge.html")
    reply = ask(page, BRIDGE_QUESTION, 3)
    expect(reply.locator(".qa-answer-text")).to_contain_text("1.6亿元")

    # Open the Word file's article from the list and remove it: its question is no longer answered.
    page.locator("#qa-articles [role=gridcell]", has_text=WETLAND_TITLE).first.click()
    expect(page.locator("#qa-article-view")).to_contain_text("360公顷")
    page.locator("#qa-remove").click()
    upload_status(page, "已删除 removed")
    expect(page.locator("#qa-articles")).not_to_contain_text(WETLAND_TITLE)
    assert not (settings.corpus_dir / "wetland_press.docx").exists()
    reply = ask(page, WETLAND_QUESTION, 4)
    expect(reply).not_to_contain_text("360公顷")
    page.close()


def test_add_and_remove_through_the_api(served, local_site, tmp_path):
    url, settings = served
    client = Client(url, analytics_enabled=False, verbose=False, download_files=False)
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: 南坪村建成光伏电站\nsource: 南坪通讯\ndate: 2024-05-05\n---\n"
                    "南坪村光伏电站日前并网发电，装机容量为800千瓦，年发电量约96万千瓦时。\n", encoding="utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_text("不是 PDF。", encoding="utf-8")
    result = client.predict(files=[handle_file(str(note)), handle_file(str(bad))], api_name="/add_files")
    assert result["added"] == ["note.md"] and "bad.pdf: not a PDF" in result["refused"][0]
    answer = client.predict(question="南坪村光伏电站的装机容量是多少？", api_name="/ask")
    assert "800千瓦" in answer["answer"] and answer["quotes"][0]["article_id"] == "note"

    with pytest.raises(Exception, match="not a PDF"):
        client.predict(files=[handle_file(str(bad))], api_name="/add_files")
    with pytest.raises(Exception, match="not a web address"):
        client.predict(url="file:///etc/passwd", api_name="/add_link")
    bridge = html_page("清河大桥改造完工", BRIDGE, site="清河新闻网", date="2024-06-11").encode()
    local_site.pages["/p.html"] = ("text/html", bridge)
    assert client.predict(url=local_site.url + "/p.html", api_name="/add_link")["added"] == ["127.0.0.1_p.html"]

    removed = client.predict(article_id="note", api_name="/remove_article")
    assert removed["removed"] == "note.md" and not (settings.corpus_dir / "note.md").exists()
    with pytest.raises(Exception, match="no such article"):
        client.predict(article_id="note", api_name="/remove_article")
