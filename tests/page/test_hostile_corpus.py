"""An article whose title, source and text hold HTML, script and `javascript:` links is shown as
text everywhere the page shows it (answer, quotes, whole-article view, article list): in the real
browser no dialog fires and no element is injected, and over the API the strings come back as the
article holds them."""

from __future__ import annotations

import json
import socket

import pytest
from conftest import ARGS, CHROMIUM
from gradio_client import Client
from playwright.sync_api import expect, sync_playwright
from test_browser import TIMEOUT

from qa.config import Settings
from qa.index import build, load_index

TITLE = "<script>alert('title')</script>青石镇图书馆<img src=x onerror=alert('title-img')>"
SOURCE = "<img src=x onerror=alert('source')>青石日报"
BODY = (
    "青石镇新建的图书馆于3月1日正式开放，馆长是林秀云<script>alert('text')</script>。"
    "详情见[官网](javascript:alert('md-link'))和<a href=\"javascript:alert('a')\">链接</a>。"
    "<iframe src=\"javascript:alert('iframe')\"></iframe><svg onload=alert('svg')></svg>"
    "**粗体**与<b>标签</b>都应原样显示。"
)
QUESTION = "青石镇图书馆的馆长是谁？"


@pytest.fixture
def hostile_url(tmp_path, fake_embedder):
    import app
    from qa.page import LiveAnswerer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # JSON records carry title and source verbatim (front matter would be parsed as YAML first).
    record = {"id": "hostile", "title": TITLE, "source": SOURCE, "date": "2024-03-02", "text": BODY}
    (corpus / "hostile.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build(settings, quiet=True)
    article = load_index(settings.index_dir).articles["hostile"]
    assert (article.title, article.source) == (TITLE, SOURCE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo(LiveAnswerer(settings, quiet=True))
    _, url, _ = app.launch(demo, port=port, block=False)
    yield url, article.text
    demo.close()


def test_hostile_article_is_shown_as_text_in_the_browser(hostile_url):
    url, _ = hostile_url
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url, wait_until="load")
        page.locator("#qa-question textarea").fill(QUESTION)
        page.locator("#qa-ask").click()
        reply = page.locator("#qa-chat .qa-reply").first
        expect(reply).to_be_visible(timeout=TIMEOUT)
        reply.locator("details.qa-full summary").first.click()
        expect(reply.locator("details.qa-full .qa-article").first).to_be_visible(timeout=TIMEOUT)
        page.locator("#qa-articles [role=gridcell]", has_text="青石镇图书馆").first.click()
        view = page.locator("#qa-article-view")
        expect(view).to_contain_text("<script>alert('title')</script>", timeout=TIMEOUT)
        page.wait_for_timeout(500)  # give any injected handler its chance to run
        chat_text = page.locator("#qa-chat").inner_text()
        # The markup is there as characters the reader can see...
        assert "<script>alert('text')</script>" in chat_text or "<script>alert('text')</script>" in view.inner_text()
        assert "<b>标签</b>" in view.inner_text() and "**粗体**" in view.inner_text()
        assert "javascript:alert('md-link')" in view.inner_text()
        # ...and none of it became an element or ran.
        for where in ("#qa-chat", "#qa-article-view", "#qa-articles"):
            injected = page.locator(f"{where} script, {where} iframe, {where} svg[onload], "
                                    f"{where} img[src='x'], {where} a[href^='javascript']")
            assert injected.count() == 0, where
        assert dialogs == []
        browser.close()


def test_hostile_article_comes_back_verbatim_over_the_api(hostile_url):
    url, text = hostile_url
    assert "<script>alert('text')</script>" in text  # kept in the article, as written
    c = Client(url, analytics_enabled=False, verbose=False, download_files=False)
    result = c.predict(question=QUESTION, api_name="/ask")
    cited = result["quotes"] + result["closest"]
    assert cited and {q["title"] for q in cited} == {TITLE} and {q["source"] for q in cited} == {SOURCE}
    for q in cited:
        assert text[q["start"]:q["end"]] == q["text"]
