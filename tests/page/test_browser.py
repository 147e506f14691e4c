"""The chat page in a real browser (Debian's chromium through Playwright): ask, see the answer and
its highlighted quote, ask a follow-up, open the whole article, browse the list, clear; every
request stays on 127.0.0.1. Screenshots at desktop and phone widths are kept for review."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

SCREENS = Path("/tmp/qa_screens")  # a fixed place to look at the screenshots after a run
FIRST = "淄川区政协会议应到委员多少名？"
TIMEOUT = 30_000  # ms; generous for a loaded CI machine
# expect() has its own default (5 s), apart from the page's: a first answer on a busy machine can
# take longer, and a wait is not a speed test.
expect.set_options(timeout=TIMEOUT)


def open_page(browser, url: str, width: int, height: int) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT)
    hosts: list[str] = []
    page.on("request", lambda r: hosts.append(urlparse(r.url).hostname or r.url))
    page.goto(url, wait_until="load")  # not "networkidle": the queue's event stream never idles
    return page, hosts


def ask(page: Page, question: str, n: int, press_enter: bool = False):
    """Type a question, send it, and return the n-th reply (0-based) once it is there."""
    box = page.locator("#qa-question textarea")
    box.fill(question)
    if press_enter:
        box.press("Enter")
    else:
        page.locator("#qa-ask").click()
    reply = page.locator("#qa-chat .qa-reply, #qa-chat .qa-error").nth(n)
    expect(reply).to_be_visible()
    return reply


def save(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENS / name)


def test_chat_page_in_a_browser(browser, chat_url, bundled_answerer, tmp_path):
    page, hosts = open_page(browser, chat_url, 1280, 800)
    expect(page.get_by_text(FIRST).first).to_be_visible()  # an example question on first load

    first = ask(page, FIRST, 0)
    expected = bundled_answerer.ask(FIRST)
    expect(first.locator(".qa-answer-text")).to_have_text(expected.answer)
    mark = first.locator(".qa-passage mark.qa-quote").first
    expect(mark).to_be_visible()
    quote = expected.quotes[0]
    assert mark.inner_text() == quote.text  # the page's sanitiser drops data-* offsets; the unit tests check them

    follow = ask(page, "那实到多少人？", 1, press_enter=True)
    # The reader's span for the follow-up runs long ("248名，实到231名", models/README.md): it holds 231名.
    expect(follow.locator(".qa-answer-text")).to_contain_text("231名")
    expect(follow.locator(".qa-passage mark.qa-quote").first).to_be_visible()
    save(page, tmp_path, "chat-1280x800.png")

    # The whole article opens in place, the quote highlighted in it.
    follow.locator("details.qa-full summary").first.click()
    full = follow.locator("details.qa-full .qa-article").first
    expect(full).to_be_visible()
    expect(full.locator("mark.qa-quote").first).to_be_visible()

    # A bad question gets its one sentence, and the page goes on answering.
    error = ask(page, "hello", 2)
    expect(error).to_contain_text("please ask the question in Chinese")

    # The article list opens any article in full.
    page.locator("#qa-articles [role=gridcell]", has_text="我市安排部署今年征兵工作").first.click()
    expect(page.locator("#qa-article-view .qa-article-title")).to_have_text("我市安排部署今年征兵工作")

    page.locator("#qa-clear").click()
    expect(page.locator("#qa-chat .qa-reply")).to_have_count(0)
    assert set(hosts) == {"127.0.0.1"}, sorted(set(hosts))
    page.close()


def test_phone_width(browser, chat_url, tmp_path):
    page, hosts = open_page(browser, chat_url, 390, 844)
    reply = ask(page, FIRST, 0)
    expect(reply.locator("mark.qa-quote").first).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    reply.scroll_into_view_if_needed()
    save(page, tmp_path, "chat-390-phone.png")
    assert set(hosts) == {"127.0.0.1"}, sorted(set(hosts))
    page.close()
