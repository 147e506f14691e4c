"""Hostile corpus files: links that lead out of the corpus or nowhere, directories named like files, files
that vanish between listing and reading, empty and oversized files, and names with spaces, quotes and
bytes that are not UTF-8. Each problem is one warning naming the file; the rest of the corpus is read;
nothing outside the corpus is ever read; every name prints and is written to the index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qa.ingest.corpus
from qa.config import Settings
from qa.index import build, load_index
from qa.ingest import load_corpus

BODY = "2月7日上午，政协淄川区第十二届委员会第五次会议在区人民会堂隆重开幕。本次会议应到委员248名。"
SECRET = "机密文件\n这段文字在语料目录之外，不应被读入索引。"


def article(title: str, n: int = 0) -> str:
    return f"{title}\n{BODY.replace('248', str(248 + n))}"


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.md").write_text(article("淄川区政协会议隆重开幕"), encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "other.txt").write_text(article("另一篇文章", 1), encoding="utf-8")
    return root


@pytest.fixture
def outside(tmp_path) -> Path:
    """A directory beside the corpus holding files nobody put in the corpus."""
    out = tmp_path / "private"
    out.mkdir()
    (out / "secret.md").write_text(SECRET, encoding="utf-8")
    (out / "more.md").write_text(SECRET.replace("机密", "绝密"), encoding="utf-8")
    return out


def encodable(report) -> bool:
    """Every id, file reference and warning is text that encodes as UTF-8 (prints, goes into JSON)."""
    strings = [*report.warnings, *(s for a in report.articles for s in (a.id, a.path, a.title, a.text))]
    return all(s.encode("utf-8") for s in strings)


def test_links_out_of_the_corpus_are_not_followed_and_each_is_named(corpus, outside):
    before = load_corpus(corpus)
    (corpus / "leak.md").symlink_to(outside / "secret.md")  # absolute
    (corpus / "sub" / "relative.txt").symlink_to(Path("..", "..", outside.name, "more.md"))
    (corpus / "archive").symlink_to(outside, target_is_directory=True)
    report = load_corpus(corpus)
    assert report.articles == before.articles
    assert not any("语料目录之外" in a.text for a in report.articles)
    assert sorted(report.warnings) == [
        "archive: a link to a directory outside the corpus, not followed; skipped",
        "leak.md: a link to a file outside the corpus, not followed; skipped",
        "sub/relative.txt: a link to a file outside the corpus, not followed; skipped",
    ]


def test_links_that_stay_inside_are_skipped_silently(corpus):
    before = load_corpus(corpus)
    (corpus / "alias.md").symlink_to("good.md")
    (corpus / "sub" / "up.md").symlink_to(Path("..", "good.md"))
    (corpus / "again").symlink_to("sub", target_is_directory=True)
    (corpus / "self").symlink_to(".", target_is_directory=True)
    assert load_corpus(corpus) == before  # what they point to is read once, under its own name


def test_a_corpus_directory_that_is_itself_a_link_is_read(corpus, tmp_path):
    link = tmp_path / "news-link"
    link.symlink_to(corpus, target_is_directory=True)
    report = load_corpus(link)
    assert sorted(a.id for a in report.articles) == ["good", "sub__other"] and report.warnings == ()


def test_links_to_nothing_and_in_a_loop_are_named(corpus):
    (corpus / "moved.md").symlink_to("no-such-file.md")
    (corpus / "ping.txt").symlink_to("pong.txt")
    (corpus / "pong.txt").symlink_to("ping.txt")
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["good", "sub__other"]
    assert sorted(report.warnings) == [
        "moved.md: a link to a file that does not exist; skipped",
        "ping.txt: a link that leads round in a loop; skipped",
        "pong.txt: a link that leads round in a loop; skipped",
    ]


def test_directories_named_like_files_are_passed_over(corpus):
    (corpus / "news.txt").mkdir()
    (corpus / "feed.jsonl").mkdir()
    (corpus / "2024.md").mkdir()
    (corpus / "2024.md" / "inside.md").write_text(article("目录里的文章", 2), encoding="utf-8")
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["2024.md__inside", "good", "sub__other"]
    assert report.warnings == ()


def test_hidden_files_and_directories_are_not_searched(corpus):
    (corpus / ".git" / "objects").mkdir(parents=True)
    (corpus / ".git" / "objects" / "notes.txt").write_text(article("版本库里的文件", 3), encoding="utf-8")
    (corpus / "sub" / ".cache").mkdir()
    (corpus / "sub" / ".cache" / "copy.md").write_text(article("缓存里的副本", 4), encoding="utf-8")
    (corpus / ".draft.md").write_text(article("隐藏的草稿", 5), encoding="utf-8")
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["good", "sub__other"] and report.warnings == ()


def test_files_are_listed_in_path_order_at_every_depth(tmp_path):
    root = tmp_path / "corpus"
    names = ["a/b.txt", "a-x.txt", "a.txt", "b/a/z.md", "b/a.md", "B.md", "c.json"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(article(name), encoding="utf-8")
    listed = [f.relative_to(root).as_posix() for f in qa.ingest.corpus.corpus_files(root)]
    assert listed == [p.relative_to(root).as_posix() for p in sorted(root / n for n in names)]


@pytest.mark.parametrize("change", ["deleted", "replaced by a directory", "replaced by a link to outside"])
def test_a_file_that_changes_between_listing_and_reading_is_named_and_skipped(corpus, outside, monkeypatch,
                                                                              change):
    victim = corpus / "gone.md"
    victim.write_text(article("将被删除的文章", 3), encoding="utf-8")
    listing = qa.ingest.corpus.article_files

    def listed_then_changed(root: Path):
        found = listing(root)
        victim.unlink()
        if change == "replaced by a directory":
            victim.mkdir()
        elif change == "replaced by a link to outside":
            victim.symlink_to(outside / "secret.md")
        return found

    monkeypatch.setattr(qa.ingest.corpus, "article_files", listed_then_changed)
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["good", "sub__other"]
    why = {"deleted": "removed before it could be read", "replaced by a directory": "not a regular file",
           "replaced by a link to outside": "a symbolic link, not followed"}[change]
    assert report.warnings == (f"gone.md: {why}; skipped",)


def test_empty_and_oversized_files_are_each_named_in_one_sentence_and_never_read(corpus, monkeypatch):
    (corpus / "empty.md").write_bytes(b"")
    with open(corpus / "huge.txt", "wb") as f:  # sparse: 50 MB on paper, nothing on disk
        f.truncate(50 * 2**20)
    with open(corpus / "just-over.md", "wb") as f:
        f.truncate(qa.ingest.corpus.MAX_FILE_BYTES + 1)
    read = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda p: read.append(p.name) or read_bytes(p))
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["good", "sub__other"]
    assert sorted(report.warnings) == [
        "empty.md: empty file; skipped",
        "huge.txt: 50 MB is larger than the 20 MB limit; skipped",
        "just-over.md: 20 MB is larger than the 20 MB limit; skipped",
    ]
    assert sorted(read) == ["good.md", "other.txt"]  # the size decides before any byte is read


NAMES = {
    b"with space.md": "with space",
    b"it's \"quoted\".txt": "it's \"quoted\"",
    b"bad\xff name.txt": "bad\\xff name",  # not UTF-8 at all
    "淄川政协.md".encode("gb18030"): "淄川政协",  # from an archive made on Chinese Windows: read as GB18030
}


@pytest.fixture
def odd_names(corpus) -> Path:
    for n, name in enumerate(NAMES, 10):
        with open(os.fsencode(corpus) + b"/" + name, "wb") as f:
            f.write(article(f"文件名测试{n}", n).encode())
    (corpus / "empty \udcfe.md").write_bytes(b"")  # a bad file with a bad name: its warning must print
    return corpus


def test_odd_file_names_are_read_and_referenced_as_printable_text(odd_names):
    report = load_corpus(odd_names)
    by_id = {a.id: a for a in report.articles}
    assert set(by_id) == {"good", "sub__other", *NAMES.values()}
    assert by_id["bad\\xff name"].path == "corpus/bad\\xff name.txt"
    assert by_id["bad\\xff name"].title == "文件名测试12"
    assert report.warnings == ("empty \\xfe.md: empty file; skipped",)
    assert encodable(report)


def test_an_index_over_odd_file_names_is_written_and_loaded(odd_names, tmp_path, fake_embedder):
    index, _ = build(Settings(corpus_dir=odd_names, index_dir=tmp_path / "idx"), quiet=True)
    loaded = load_index(tmp_path / "idx")
    assert dict(loaded.articles) == dict(index.articles) and set(loaded.articles) == {
        "good", "sub__other", *NAMES.values()}


def test_qa_build_check_prints_odd_names_on_a_strict_utf8_terminal(odd_names):
    # PYTHONIOENCODING=utf-8 makes stdout strict, as in an en_US.UTF-8 terminal: a lone surrogate
    # from a file name would raise UnicodeEncodeError there.
    done = subprocess.run([sys.executable, "-m", "qa", "build", "--check", "--corpus", str(odd_names)],
                          capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode == 1, err  # 1: problems were found, and listed
    assert out == "warning: empty \\xfe.md: empty file; skipped\n6 articles readable, 1 problem.\n"


def test_json_escapes_of_lone_surrogates_become_replacement_characters(corpus, tmp_path, fake_embedder):
    record = {"title": "标题\ud800", "source": "淄博日报\udfff", "text": BODY + "\udcff"}
    (corpus / "feed.jsonl").write_text(json.dumps(record) + "\n", encoding="ascii")  # \\ud800 escapes
    report = load_corpus(corpus)
    [feed] = [a for a in report.articles if a.id == "feed-1"]
    assert (feed.title, feed.source, feed.text) == ("标题\ufffd", "淄博日报\ufffd", BODY + "\ufffd")
    assert encodable(report)
    build(Settings(corpus_dir=corpus, index_dir=tmp_path / "idx"), quiet=True)


def test_hostile_corpus_copies_read_the_same_wherever_they_lie(odd_names, tmp_path):
    """The corpus's own content decides what is read, not where it lies: a copy reads the same."""
    copy = tmp_path / "copy" / "corpus"
    shutil.copytree(odd_names, copy, symlinks=True)
    assert load_corpus(copy) == load_corpus(odd_names)
