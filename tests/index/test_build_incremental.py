"""Incremental builds: what is embedded again and what is reused, the counts the summary reports,
the no-change shortcut, `--full`, another model or chunk settings, `--json` and the progress bar."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import FakeEmbedder

import qa.index.builder
from qa.cli import main
from qa.config import Settings
from qa.index import LOCK, build, live_dir, load_index, vectors_of
from qa.ingest import chunk_corpus, load_corpus

EXTRA = "\n补充报道：会后各代表团分组讨论了政府工作报告。"


@pytest.fixture
def settings(small_corpus, tmp_path, fake_embedder) -> Settings:
    return Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")


@pytest.fixture
def embedded(fake_embedder, monkeypatch) -> list[str]:
    """The texts the build sends to the embedder, in order."""
    texts: list[str] = []
    embed = fake_embedder.embed_passages

    def recording(batch, progress=None):
        texts.extend(batch)
        return embed(batch, progress)

    monkeypatch.setattr(fake_embedder, "embed_passages", recording)
    return texts


@pytest.fixture
def tokenized(monkeypatch) -> list[str]:
    """The chunk keys the build tokenises for BM25."""
    keys: list[str] = []
    tokenize_many = qa.index.builder.tokenize_many

    def recording(texts: list[str], processes: int = 1) -> list[list[str]]:
        keys.extend(texts)
        return tokenize_many(texts, processes)

    monkeypatch.setattr(qa.index.builder, "tokenize_many", recording)
    return keys


def n_chunks(settings: Settings) -> int:
    return len(chunk_corpus(load_corpus(settings.corpus_dir).articles, settings.chunk_chars,
                            settings.overlap_sentences))


def test_first_build_embeds_everything_and_a_rebuild_without_change_touches_nothing(settings, embedded):
    index, first = build(settings, quiet=True)
    assert (first.added, first.changed, first.removed, first.unchanged) == (3, 0, 0, 0)
    assert first.chunks_embedded == len(index.chunks) == n_chunks(settings) == len(embedded) > 3
    assert first.chunks_reused == 0 and first.written

    def index_files() -> dict:  # all but the lock file, which records who holds the lock
        return {p: p.stat().st_mtime_ns for p in settings.index_dir.rglob("*") if p.name != LOCK}

    files = index_files()
    embedded.clear()
    again, second = build(settings, quiet=True)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 3)
    assert (second.chunks_embedded, second.chunks_reused) == (0, len(index.chunks))
    assert not second.written and embedded == []
    assert again.path == index.path == live_dir(settings.index_dir)
    assert index_files() == files  # nothing rewritten


def test_added_changed_removed_articles_reembed_only_their_new_chunks(settings, embedded, tokenized):
    before, _ = build(settings, quiet=True)
    a, b, _c = sorted(settings.corpus_dir.glob("*.md"))
    with open(a, "a", encoding="utf-8") as f:
        f.write(EXTRA)
    b.unlink()
    (settings.corpus_dir / "new.txt").write_text("新文章\n聊城市向彭水捐赠物资。物资已运抵。", encoding="utf-8")
    old_keys = {f"{before.articles[c.article_id].title}\n{c.text}" for c in before.chunks}

    embedded.clear()
    tokenized.clear()
    after, summary = build(settings, quiet=True)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (1, 1, 1, 1)
    new_keys = [f"{after.articles[c.article_id].title}\n{c.text}" for c in after.chunks]
    expected = [k for k in new_keys if k not in old_keys]
    assert embedded == expected and summary.chunks_embedded == len(expected)
    assert tokenized == expected  # BM25 tokens are reused the same way
    assert summary.chunks_reused == len(after.chunks) - len(expected) > 0
    titles = {after.articles[a.stem].title, after.articles["new"].title}
    assert all(k.split("\n")[0] in titles for k in embedded)  # only the changed and the new article

    # The incremental result equals a full build of the same corpus.
    full, _ = build(replace(settings, index_dir=settings.index_dir.parent / "full"), full=True, quiet=True)
    loaded = load_index(settings.index_dir)
    assert loaded.chunks == full.chunks and loaded.articles == full.articles
    np.testing.assert_allclose(vectors_of(loaded), vectors_of(full), atol=1e-6)


def test_full_reembeds_everything(settings, embedded):
    index, _ = build(settings, quiet=True)
    embedded.clear()
    _, summary = build(settings, full=True, quiet=True)
    assert summary.chunks_embedded == len(index.chunks) == len(embedded) and summary.chunks_reused == 0
    assert summary.unchanged == 3 and summary.written and summary.rebuilt_because == "--full was given"


def test_new_tokenizer_rebuilds_bm25_but_reuses_every_vector(settings, embedded, tokenized, monkeypatch):
    index, _ = build(settings, quiet=True)
    embedded.clear()
    tokenized.clear()
    monkeypatch.setattr(qa.index.builder, "tokenizer_version", lambda: "another")
    again, summary = build(settings, quiet=True)
    assert summary.written and summary.chunks_embedded == 0 and embedded == []
    assert len(tokenized) == len(index.chunks)
    assert load_index(settings.index_dir).meta["tokenizer"] == "another"


def test_a_new_file_reader_rereads_the_corpus_but_reuses_unchanged_vectors(settings, embedded, monkeypatch):
    index, _ = build(settings, quiet=True)
    embedded.clear()
    monkeypatch.setattr(qa.index.builder, "INGEST_VERSION", 999)
    again, summary = build(settings, quiet=True)
    assert summary.written and summary.chunks_embedded == 0 and embedded == []
    assert load_index(settings.index_dir).meta["ingest"] == 999 and again.chunks == index.chunks


def test_a_damaged_index_is_rebuilt_from_scratch(settings, embedded):
    index, _ = build(settings, quiet=True)
    (live_dir(settings.index_dir) / "chunks.sqlite").write_text("{broken\n", encoding="utf-8")
    embedded.clear()
    out = io.StringIO()
    _, summary = build(settings, out=out)
    assert summary.chunks_embedded == len(index.chunks) == len(embedded) and summary.added == 3
    assert f"Re-embedding every chunk: the index in {settings.index_dir} is damaged" in out.getvalue()
    assert load_index(settings.index_dir).chunks == index.chunks


def test_other_chunk_settings_rebuild_everything_with_a_message(settings, embedded):
    build(settings, quiet=True)
    embedded.clear()
    out = io.StringIO()
    smaller = replace(settings, chunk_chars=120)
    index, summary = build(smaller, out=out)
    assert summary.chunks_embedded == len(index.chunks) == len(embedded) and summary.chunks_reused == 0
    assert "Re-embedding every chunk: the index was built with other chunk settings." in out.getvalue()
    assert load_index(settings.index_dir).meta["chunk_chars"] == 120


def test_another_model_rebuilds_everything_with_a_message(settings, fake_embedder, monkeypatch):
    class OtherEmbedder(FakeEmbedder):
        name = "fake-other-32"
        dim = 32

    models = {fake_embedder.name: fake_embedder, OtherEmbedder.name: OtherEmbedder()}
    monkeypatch.setattr(qa.index.builder, "canonical_model_name", lambda name=None: name or fake_embedder.name)
    monkeypatch.setattr(qa.index.builder, "load_embedder",
                        lambda name=None, device="cpu": models[name or fake_embedder.name])
    build(settings, quiet=True)

    out = io.StringIO()
    index, summary = build(replace(settings, model=OtherEmbedder.name), out=out)
    assert summary.chunks_embedded == len(index.chunks) and summary.chunks_reused == 0
    assert "the index was built with another embedding model" in out.getvalue()
    meta = load_index(settings.index_dir).meta
    assert (meta["embedder"], meta["dim"]) == ("fake-other-32", 32)
    # Without --model, the next build keeps the model the index has.
    _, again = build(settings, quiet=True)
    assert not again.written and again.model == "fake-other-32"


def test_build_json_prints_exactly_one_object_on_stdout(settings, capfd):
    assert main(["build", "--json", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]) == 0
    out = capfd.readouterr().out
    assert out.count("\n") == 1
    summary = json.loads(out)
    assert {"added", "changed", "removed", "unchanged", "chunks_embedded", "chunks_reused", "warnings",
            "seconds"} <= summary.keys()
    assert summary["added"] == 3 and summary["chunks_reused"] == 0 and summary["warnings"] == []
    assert isinstance(summary["seconds"], float)

    (settings.corpus_dir / "empty.txt").write_bytes(b"")
    assert main(["build", "--json", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]) == 0
    again = json.loads(capfd.readouterr().out)
    assert again["unchanged"] == 3 and again["chunks_embedded"] == 0
    assert again["warnings"] == ["empty.txt: empty file; skipped"]


def test_build_prints_one_summary_line_for_people(settings, capfd):
    assert main(["build", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]) == 0
    out = capfd.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("Index ready: 3 articles")
    assert "3 added, 0 changed, 0 removed, 0 unchanged" in out[0] and "chunks embedded" in out[0]
    assert main(["build", "--quiet", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]) == 0
    assert capfd.readouterr() == ("", "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_never_when_quiet(settings):
    tty = Terminal()
    build(settings, out=tty)
    assert "Embedding" in tty.getvalue() and "chunk/s" in tty.getvalue()  # tqdm's bar: rate and ETA

    pipe = io.StringIO()
    build(settings, full=True, out=pipe)
    assert "chunk/s" not in pipe.getvalue()  # messages, but no bar in a log
    assert "Embedding" in pipe.getvalue()

    quiet = Terminal()
    build(settings, full=True, quiet=True, out=quiet)
    assert quiet.getvalue() == ""


def test_no_change_rebuild_with_the_real_model_embeds_nothing(bundled_settings):
    index = load_index(bundled_settings.index_dir)
    same, summary = build(bundled_settings, quiet=True)
    assert not summary.written and summary.chunks_embedded == 0
    assert summary.unchanged == summary.articles == len(index.articles)
    assert same.path == index.path
