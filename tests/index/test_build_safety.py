"""A build killed at any moment leaves the previous index live and unchanged; the next build
removes its leftovers; a second build at the same time refuses; a running answerer follows
rebuilds and never reads a half-written index."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.index import CURRENT, LOCK, build, live_dir, load_index, vectors_of
from qa.index.freshness import SEEN
from qa.page import LiveAnswerer

CHILD = Path(__file__).parents[1] / "build_child.py"  # beside conftest.py, whose fake embedder it imports
NEW_ARTICLE = "新文章\n聊城市向彭水捐赠价值50万元的抗疫物资。物资由二十辆卡车运抵彭水县。"


@pytest.fixture
def settings(small_corpus, tmp_path, fake_embedder) -> Settings:
    s = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "idx")
    build(s, quiet=True)
    return s


def start_child(settings: Settings, stage: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), stage, "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir),
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(child: subprocess.Popen, marker: str) -> None:
    line = child.stdout.readline().strip()  # the child prints the marker once it got there
    assert line == marker, f"child said {line!r}; stderr: {child.stderr.read() if child.poll() is not None else ''}"


def kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    child.stderr.close()


def snapshot(root: Path) -> tuple:
    index = load_index(root)
    return index.path, index.meta, index.chunks, index.articles, vectors_of(index)


def assert_same(a: tuple, b: tuple) -> None:
    assert a[:4] == b[:4]
    np.testing.assert_array_equal(a[4], b[4])


@pytest.mark.parametrize("stage", ["embed", "save", "publish"])
def test_killed_build_leaves_previous_index_and_next_build_cleans_up(settings, stage):
    before = snapshot(settings.index_dir)
    live = LiveAnswerer(settings, "bm25", quiet=True)
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")

    child = start_child(settings, stage)
    wait_for(child, {"embed": "embedding", "save": "saving", "publish": "publishing"}[stage])
    kill(child)

    assert_same(snapshot(settings.index_dir), before)
    assert live.current().index.path == before[0]
    names = {p.name for p in settings.index_dir.iterdir()}
    if stage == "save":
        assert any(n.startswith(".tmp-v-") for n in names)  # a half-written version, never pointed to
    if stage == "publish":
        assert len([n for n in names if n.startswith("v-")]) == 2  # complete, but never made live

    log = io.StringIO()
    _, summary = build(settings, out=log)
    assert summary.added == 1 and summary.unchanged == 3
    assert ("Removed what an interrupted build left behind" in log.getvalue()) == (stage != "embed")
    after = load_index(settings.index_dir)
    assert "new" in after.articles
    # Left: the pointer, the lock, the new version and the one before it; nothing from the killed build.
    assert sorted(p.name for p in settings.index_dir.iterdir()) == sorted([CURRENT, LOCK, SEEN, before[0].name,
                                                                           after.path.name])
    assert live.current().index.path == after.path and "new" in live.current().index.articles


def test_second_build_at_the_same_time_refuses_with_one_sentence(settings):
    before = snapshot(settings.index_dir)
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    first = start_child(settings, "embed")
    wait_for(first, "embedding")
    try:
        second = subprocess.run([sys.executable, str(CHILD), "none", "--corpus", str(settings.corpus_dir),
                                 "--index", str(settings.index_dir)], capture_output=True, text=True, timeout=60)
    finally:
        kill(first)  # kill -9 releases the lock: the kernel drops it with the process
    assert second.returncode == 2
    assert second.stdout == ""
    assert second.stderr == (f"qa: Another build of {settings.index_dir} is running (process {first.pid}); "
                             "wait for it to finish and try again.\n")
    assert_same(snapshot(settings.index_dir), before)
    _, summary = build(settings, quiet=True)
    assert summary.added == 1


def test_live_answerer_follows_a_rebuild_with_a_changed_corpus(settings):
    live = LiveAnswerer(settings, "bm25", quiet=True)
    first = live.current()
    assert "new" not in first.index.articles
    (settings.corpus_dir / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    next(settings.corpus_dir.glob("*.md")).unlink()
    rebuilt, _ = build(settings, quiet=True)

    served = live.current()
    assert served is not first
    assert served.index.path == rebuilt.path == live_dir(settings.index_dir)
    assert served.index.articles == rebuilt.articles and served.index.chunks == rebuilt.chunks
    assert served.retriever.search("聊城市向彭水捐赠物资", 1)[0].chunk.article_id == "new"
    assert live.current() is served  # no reload while nothing changes


def test_live_answerer_keeps_serving_when_the_new_version_is_broken(settings, capsys):
    live = LiveAnswerer(settings, "bm25", quiet=True)
    first = live.current()
    # A version that CURRENT names but that is incomplete (as if written by a buggy tool).
    broken = settings.index_dir / "v-99999999-999999-999999999"
    broken.mkdir()
    (settings.index_dir / CURRENT).write_text(broken.name + "\n", encoding="utf-8")
    assert live.current() is first
    assert "not switching to the new index" in capsys.readouterr().err
