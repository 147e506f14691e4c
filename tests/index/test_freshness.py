"""Starting on an unchanged corpus does not read it; any change to an article file is still found."""

from __future__ import annotations

import json
import os

import pytest

import qa.index.builder
from qa.config import Settings
from qa.index import build, ensure_index
from qa.index.freshness import SEEN, corpus_fingerprint


@pytest.fixture
def built(small_corpus, tmp_path, fake_embedder):
    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")
    index, _ = build(settings, quiet=True)
    return settings, index


@pytest.fixture
def reads(monkeypatch):
    """Counts how often the corpus is read (every article parsed and hashed)."""
    calls = []
    real = qa.index.builder.load_corpus

    def counting(root):
        calls.append(root)
        return real(root)

    monkeypatch.setattr(qa.index.builder, "load_corpus", counting)
    return calls


def test_an_unchanged_corpus_is_not_read_when_the_index_is_opened(built, reads):
    settings, index = built
    for _ in range(3):
        assert ensure_index(settings, quiet=True).path == index.path
    assert reads == []


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename"])
def test_every_change_to_the_article_files_is_still_found(built, reads, change):
    settings, index = built
    files = sorted(settings.corpus_dir.glob("*.md"))
    if change == "edit":
        with files[0].open("a", encoding="utf-8") as f:
            f.write("\n青石镇新建的图书馆于3月1日正式开放。\n")
    elif change == "add":
        (settings.corpus_dir / "new.txt").write_text("新文章\n聊城市向彭水捐赠价值50万元物资。", encoding="utf-8")
    elif change == "remove":
        files[0].unlink()
    else:
        files[0].rename(files[0].with_name("renamed.md"))
    fresh = ensure_index(settings, quiet=True)
    assert fresh.path != index.path  # rebuilt: the articles differ (read to see it, then to build)
    n = len(reads)
    assert ensure_index(settings, quiet=True).path == fresh.path and len(reads) == n  # and remembered


def test_a_touched_but_unchanged_file_is_read_once_then_remembered(built, reads):
    settings, index = built
    f = sorted(settings.corpus_dir.glob("*.md"))[0]
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert ensure_index(settings, quiet=True).path == index.path  # same articles: no rebuild
    assert ensure_index(settings, quiet=True).path == index.path
    assert len(reads) == 1


def test_a_record_of_another_version_or_corpus_is_not_trusted(built, reads):
    settings, index = built
    seen = settings.index_dir / SEEN
    record = json.loads(seen.read_text())
    assert record["version"] == index.path.name
    for forged in ({**record, "version": "v-0"}, {**record, "corpus_dir": "/elsewhere"}, "not json"):
        seen.write_text(forged if isinstance(forged, str) else json.dumps(forged))
        ensure_index(settings, quiet=True)
    assert len(reads) == 3


def test_other_settings_are_checked_without_the_record(built, reads, capsys):
    settings, index = built
    other = Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir, chunk_chars=120)
    assert ensure_index(other).path != index.path
    assert "other chunk settings" in capsys.readouterr().err


def test_the_fingerprint_follows_names_sizes_and_times_only(small_corpus):
    before = corpus_fingerprint(small_corpus)
    assert before == corpus_fingerprint(small_corpus)
    (small_corpus / "README.md").write_text("not an article", encoding="utf-8")
    (small_corpus / "notes.csv").write_text("not an article", encoding="utf-8")
    assert corpus_fingerprint(small_corpus) == before  # files that hold no articles do not count
    (small_corpus / "more.txt").write_text("标题\n正文。", encoding="utf-8")
    assert corpus_fingerprint(small_corpus) != before
