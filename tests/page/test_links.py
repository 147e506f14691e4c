"""Adding a news page from a link (qa.page.links): fetched from a local web server, stored whole as
its HTML and read like a saved page; every refusal is one sentence and leaves nothing behind."""

from __future__ import annotations

import sys

import pytest

from qa.config import ROOT
from qa.ingest import load_corpus
from qa.ingest.corpus import MAX_FILE_BYTES
from qa.page.links import fetch_page, links_allowed, page_name
from qa.page.uploads import UploadError

sys.path.insert(0, str(ROOT / "bench"))
from sample_files import html_page  # noqa: E402

STORY = ["青石镇新建的图书馆于3月1日正式开放，馆长是林秀云。", "图书馆藏书八万册，设有少儿阅览室。"]


def everything(d):
    return sorted(p.name for p in d.iterdir())


def test_a_fetched_page_is_stored_and_read_as_a_saved_page(local_site, tmp_path):
    page = html_page("青石镇新建图书馆开放", STORY, site="青石新闻网", date="2024-03-02")
    local_site.pages["/news/2024/library.shtml"] = ("text/html; charset=utf-8", page.encode("utf-8"))
    name = fetch_page(local_site.url + "/news/2024/library.shtml", tmp_path)
    assert name == "127.0.0.1_library.html" and everything(tmp_path) == [name]
    assert (tmp_path / name).read_bytes() == page.encode("utf-8")
    [article] = load_corpus(tmp_path).articles
    assert (article.title, article.source, article.date) == ("青石镇新建图书馆开放", "青石新闻网", "2024-03-02")
    assert "馆长是林秀云" in article.text and "买房" not in article.text and "说得好" not in article.text


def test_a_redirect_is_followed_and_a_second_copy_gets_its_own_name(local_site, tmp_path):
    local_site.pages["/a.html"] = ("text/html", html_page("标题", STORY, site="站", date="2024-03-02").encode())
    assert fetch_page(local_site.url + "/moved/a.html", tmp_path) == "127.0.0.1_a.html"
    assert fetch_page(local_site.url + "/a.html", tmp_path) == "127.0.0.1_a-1.html"


@pytest.mark.parametrize("link, says", [
    ("", "empty"),
    ("file:///etc/passwd", "not a web address"),
    ("javascript:alert(1)", "not a web address"),
    ("ftp://127.0.0.1/a.html", "not a web address"),
    ("http://", "not a web address"),
    ("/missing.html", "answered 404"),
    ("/image.html", "not a web page by its content"),
    ("/huge.html", "larger than"),
    ("http://127.0.0.1:1/a.html", "could not be fetched"),
])
def test_bad_links_are_refused_in_one_sentence_and_nothing_is_left(local_site, tmp_path, link, says):
    local_site.pages["/image.html"] = ("text/html", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    local_site.pages["/huge.html"] = ("text/html", b"<html>" + b"a" * MAX_FILE_BYTES)
    url = local_site.url + link if link.startswith("/") else link
    with pytest.raises(UploadError, match=says) as err:
        fetch_page(url, tmp_path)
    message = str(err.value)
    assert message.count("\n") == 0 and message.endswith(".")
    assert everything(tmp_path) == []


def test_fetching_is_on_for_a_local_page_and_off_for_a_network_unless_asked():
    assert links_allowed("127.0.0.1") and links_allowed("localhost")
    assert not links_allowed("0.0.0.0") and not links_allowed("192.168.1.5")
    assert links_allowed("0.0.0.0", asked=True)


@pytest.mark.parametrize("url, name", [
    ("https://news.example.com/", "news.example.com_index.html"),
    ("https://news.example.com/a/b/2024-03-02.html?x=1", "news.example.com_2024-03-02.html"),
    ("https://news.example.com/../../etc/passwd", "news.example.com_passwd.html"),
    ("http://例子.中国/新闻/图书馆.htm", "例子.中国_图书馆.html"),
])
def test_page_names_are_plain_file_names(url, name):
    assert page_name(url) == name
