"""Adding articles from the page (qa.page.uploads): checks by content, safe names, nothing
half-added, and an index that answers from the new files without a restart."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import LIBRARY_ARTICLE, LIBRARY_QUESTION

import qa.page.uploads as uploads
from qa.config import Settings
from qa.index import build
from qa.page import LiveAnswerer
from qa.page.uploads import add_files, refresh_index, remove_article, safe_name


def leftovers(d):
    return sorted(p.name for p in d.iterdir() if p.name.startswith("."))


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture
def dirs(tmp_path):
    inbox, corpus = tmp_path / "inbox", tmp_path / "corpus"
    inbox.mkdir()
    corpus.mkdir()
    return inbox, corpus


def test_adds_a_text_file_and_a_docx(dirs):
    inbox, corpus = dirs
    (inbox / "library.md").write_text(LIBRARY_ARTICLE, encoding="utf-8")
    (inbox / "press.docx").write_bytes(docx_bytes(["青石镇召开新闻发布会。", "会议由镇长主持。"]))
    added, errors = add_files([inbox / "library.md", inbox / "press.docx"], corpus)
    assert errors == []
    assert added == ["library.md", "press.docx"]
    assert (corpus / "library.md").read_text(encoding="utf-8") == LIBRARY_ARTICLE
    assert leftovers(corpus) == []


def test_gb18030_text_is_accepted(dirs):
    inbox, corpus = dirs
    (inbox / "gb.txt").write_bytes("青石镇的新闻。".encode("gb18030"))
    assert add_files([inbox / "gb.txt"], corpus) == (["gb.txt"], [])


def test_zip_member_that_escapes_is_refused(dirs, tmp_path):
    inbox, corpus = dirs
    with zipfile.ZipFile(inbox / "batch.zip", "w") as zf:
        zf.writestr("../evil.txt", "不该写到外面。")
        zf.writestr("/abs.txt", "也不该。")
        zf.writestr("sub/good.txt", "青石镇的好新闻。")
        zf.writestr("sub/.hidden.txt", "隐藏文件。")
    added, errors = add_files([inbox / "batch.zip"], corpus)
    assert added == ["good.txt"]
    assert len(errors) == 3
    assert any("../evil.txt" in e and "leads out" in e for e in errors)
    assert any(".hidden.txt" in e and "hidden" in e for e in errors)
    assert not (tmp_path / "evil.txt").exists() and not (corpus.parent / "evil.txt").exists()
    assert sorted(p.name for p in corpus.iterdir()) == ["good.txt"]


def test_fake_pdf_is_refused_by_its_content(dirs):
    inbox, corpus = dirs
    (inbox / "report.pdf").write_text("这其实是一段文字。", encoding="utf-8")
    (inbox / "page.html").write_text("只是文字，没有标签。", encoding="utf-8")
    (inbox / "word.docx").write_text("不是 Word 文件。", encoding="utf-8")
    (inbox / "data.json").write_text("{不是 JSON", encoding="utf-8")
    (inbox / "tool.exe").write_bytes(b"MZ\x00\x00")
    added, errors = add_files([inbox / n for n in ("report.pdf", "page.html", "word.docx", "data.json",
                                                    "tool.exe")], corpus)
    assert added == []
    assert [e.split(":")[0] for e in errors] == ["report.pdf", "page.html", "word.docx", "data.json", "tool.exe"]
    assert "not a PDF" in errors[0]
    assert all(e.endswith(".") and e.count(". ") == 0 for e in errors)  # one sentence each
    assert list(corpus.iterdir()) == []


def test_file_over_the_limit_is_refused(dirs, monkeypatch):
    inbox, corpus = dirs
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 100)
    (inbox / "big.txt").write_text("长" * 200, encoding="utf-8")
    added, errors = add_files([inbox / "big.txt"], corpus)
    assert added == [] and len(errors) == 1 and errors[0].startswith("big.txt:") and "larger" in errors[0]
    assert list(corpus.iterdir()) == []


def test_too_many_files_are_refused(dirs, monkeypatch):
    inbox, corpus = dirs
    monkeypatch.setattr(uploads, "MAX_FILES", 2)
    paths = []
    for i in range(3):
        paths.append(inbox / f"n{i}.txt")
        paths[-1].write_text(f"第{i}条新闻。", encoding="utf-8")
    added, errors = add_files(paths, corpus)
    assert added == ["n0.txt", "n1.txt"] and len(errors) == 1 and errors[0].startswith("n2.txt:")


def test_names_are_sanitised_and_collisions_numbered(dirs):
    inbox, corpus = dirs
    assert safe_name("..\\..\\x.txt") == "x.txt"
    assert safe_name('a<b>:c?.TXT') == "a_b__c_.txt"
    assert safe_name("README.md") == "README_article.md"
    assert safe_name("sub/. .news.txt") == "news.txt"
    assert safe_name("\x00?.txt") == "__.txt"
    (inbox / "news.txt").write_text("第一条。", encoding="utf-8")
    assert add_files([inbox / "news.txt"], corpus)[0] == ["news.txt"]
    assert add_files([inbox / "news.txt"], corpus)[0] == ["news-1.txt"]
    assert add_files([inbox / "news.txt"], corpus)[0] == ["news-2.txt"]


def test_nothing_left_behind_when_writing_fails(dirs, monkeypatch):
    inbox, corpus = dirs
    (inbox / "news.txt").write_text("一条新闻。", encoding="utf-8")

    def fail(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(uploads.os, "replace", fail)
    added, errors = add_files([inbox / "news.txt"], corpus)
    assert added == [] and errors[0].startswith("news.txt: could not be saved")
    assert list(corpus.iterdir()) == []


def test_remove_article_stays_inside_the_corpus(dirs, tmp_path):
    inbox, corpus = dirs
    (corpus / "a.txt").write_text("一条新闻。", encoding="utf-8")
    assert remove_article("a", corpus) == "a.txt"
    assert not (corpus / "a.txt").exists()
    with pytest.raises(uploads.UploadError, match="no such article"):
        remove_article("a", corpus)
    outside = tmp_path / "outside.txt"
    outside.write_text("外面的文件。", encoding="utf-8")
    from qa.records import Article

    escaping = {"x": Article(id="x", title="x", text="x", path="corpus/../outside.txt")}
    with pytest.raises(uploads.UploadError):
        remove_article("x", corpus, escaping)
    assert outside.exists()


def test_added_file_is_answered_without_a_restart(small_corpus, tmp_path, fake_embedder):
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index")
    build(settings, quiet=True)
    live = LiveAnswerer(settings, quiet=True)
    before = live.current()
    assert "library" not in before.index.articles
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "library.md").write_text(LIBRARY_ARTICLE, encoding="utf-8")
    assert add_files([inbox / "library.md"], small_corpus) == (["library.md"], [])
    lines = refresh_index(settings)
    assert lines[-1].startswith("Index ready") and "1 added" in lines[-1]
    answer = live.current().ask(LIBRARY_QUESTION)
    assert not answer.abstained and "林秀云" in answer.answer
    assert answer.quotes[0].article_id == "library"
    remove_article("library", small_corpus, live.current().index.articles)
    assert "1 removed" in refresh_index(settings)[-1]
    assert "library" not in live.current().index.articles


def test_page_handlers_add_refresh_the_list_and_outlets_and_remove(small_corpus, tmp_path, fake_embedder):
    import app

    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index")
    build(settings, quiet=True)
    page = app.Page(LiveAnswerer(settings, quiet=True))
    quiet = {"progress": lambda *a, **k: None}
    (tmp_path / "library.md").write_text(LIBRARY_ARTICLE, encoding="utf-8")
    (tmp_path / "fake.pdf").write_text("不是 PDF。", encoding="utf-8")
    status, rows, order, _, _, outlets, heading, cleared = page.add(
        [str(tmp_path / "library.md"), str(tmp_path / "fake.pdf")], [], "", "", **quiet)
    assert "library.md" in status and "fake.pdf: not a PDF" in status and "Index ready" in status
    assert "library" in order and any("青石镇新建图书馆开放" in row[0] for row in rows)
    assert ("青石日报", "青石日报") in outlets.choices  # the outlet filter offers the new outlet
    assert "4 篇" in heading.label and cleared is None

    status, rows, order, *_ = page.remove("library", [], "", "", **quiet)
    assert "library.md" in status and "library" not in order and not (small_corpus / "library.md").exists()
    assert page.live.current().ask(LIBRARY_QUESTION).abstained
    status, *_ = page.remove(None, [], "", "", **quiet)
    assert "click a row" in status
    # Served to a network without --fetch-links: a pasted link is refused before any connection.
    status, *_ = app.Page(page.live, fetch_links=False).fetch_link("http://127.0.0.1:1/a.html", [], "", "", **quiet)
    assert "Fetching links is off" in status and "--fetch-links" in status
