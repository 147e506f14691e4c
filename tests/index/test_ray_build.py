"""`qa build --ray`: on a local Ray instance of 2 CPUs and with the real default embedder, its vectors,
chunks and ids equal a local build's; a driver killed with SIGKILL while its actors embed leaves the
previous index live, takes its Ray processes with it, and the next build succeeds; mistakes about Ray
are one sentence and write nothing."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS

from qa.cli import main
from qa.config import Settings
from qa.index import CURRENT, LOCK, build, load_index, vectors_of
from qa.index.freshness import SEEN
from qa.index.ray_embedding import RayOptions

# Short articles for the builds both ways (15 chunks: small batches, so they can come back out of order),
# and two long ones (34 chunks) that keep a killed build's actors busy for several seconds.
SMALL = ["2023-01-19-pengshui-donation", "2023-01-19-liaocheng-conscription", "2023-01-19-cppcc-new-year-letter",
         "2023-01-19-discipline-epidemic-control"]
LONG = ["2021-01-13-linzi-government-report", "2021-02-07-zichuan-cppcc-session"]
RAY = RayOptions(workers=2)
# Ray Data's DataContext warns about its own deprecated settings whenever it is created.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance of 2 CPUs for the module's in-process builds (they join it and leave it up)."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_build(tmp_path_factory) -> Settings:
    """The SMALL articles built the ordinary way, with the real default embedder."""
    root = tmp_path_factory.mktemp("ray-build")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / f"{name}.md", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "local")
    build(settings, quiet=True)
    return settings


def snapshot(root: Path) -> tuple:
    index = load_index(root)
    return index.path, index.meta, index.chunks, index.articles, vectors_of(index)


def test_ray_build_gives_the_local_build_s_chunks_and_vectors(local_build, ray_instance, tmp_path):
    ray_settings = Settings(corpus_dir=local_build.corpus_dir, index_dir=tmp_path / "ray")
    index, summary = build(ray_settings, quiet=True, ray=RAY)
    local = load_index(local_build.index_dir)

    assert summary.chunks_embedded == len(local.chunks) > 8  # more chunks than one batch per worker
    assert index.chunks == local.chunks and index.articles == local.articles
    assert index.meta["embedder"] == local.meta["embedder"] and index.meta["encoder"] == local.meta["encoder"]
    ours, theirs = vectors_of(load_index(ray_settings.index_dir)), vectors_of(local)
    # Same model, same texts; batches of another size pad differently, hence not bit for bit.
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


def session_processes(sid: int) -> list[str]:
    """Command lines of the live (not zombie) processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != sid:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):  # gone meanwhile
            continue
        if state != "Z":
            found.append(command)
    return found


def kill_session(sid: int) -> None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_killed_ray_build_leaves_previous_index_live_and_no_ray_behind(local_build, ray_instance, tmp_path):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    shutil.copytree(local_build.corpus_dir, settings.corpus_dir)
    shutil.copytree(local_build.index_dir, settings.index_dir)
    before = snapshot(settings.index_dir)
    for name in LONG:
        shutil.copy(CORPUS / f"{name}.md", settings.corpus_dir)

    log = tmp_path / "child.log"
    with log.open("w") as out:
        # Its own session: the driver and every Ray process it starts can be found, and killed, together.
        child = subprocess.Popen([sys.executable, "-m", "qa", "build", "--ray", "--ray-workers", "2", "--quiet",
                                  "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)],
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # An actor running a batch is titled "ray::MapWorker(MapBatches(EmbedderActor)).submit".
        wait_until(lambda: child.poll() is not None or any(
            p.startswith("ray::MapWorker(MapBatches(EmbedderActor)).submit") for p in session_processes(child.pid)),
            timeout=120, what="the child's actors to start embedding")
        assert child.poll() is None, f"the build ended before it was killed: {log.read_text()}"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert load_index(settings.index_dir).path == before[0]  # while its Ray may still be going down
    finally:
        kill_session(child.pid)
    wait_until(lambda: not session_processes(child.pid), timeout=30, what="the child's Ray processes to end")
    assert not any("raylet" in p for p in session_processes(child.pid))

    after_kill = snapshot(settings.index_dir)
    assert after_kill[:4] == before[:4]
    np.testing.assert_array_equal(after_kill[4], before[4])

    index, summary = build(settings, quiet=True, ray=RAY)
    assert (summary.added, summary.unchanged) == (len(LONG), len(SMALL))
    assert summary.chunks_reused == len(before[2]) and summary.chunks_embedded == len(index.chunks) - len(before[2])
    assert set(index.articles) == set(SMALL) | set(LONG)
    # The chunks that were there keep their vectors exactly; nothing of the killed build is left.
    place = {(c.article_id, c.start, c.end): i for i, c in enumerate(index.chunks)}
    vectors = vectors_of(load_index(settings.index_dir))
    for chunk, old in zip(before[2], before[4]):
        np.testing.assert_array_equal(vectors[place[chunk.article_id, chunk.start, chunk.end]], old)
    assert sorted(p.name for p in settings.index_dir.iterdir()) == sorted([CURRENT, LOCK, SEEN, before[0].name,
                                                                           index.path.name])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["not installed", "no cluster there", "workers without --ray"])
def test_ray_mistakes_are_one_sentence_and_write_nothing(case, local_build, tmp_path, capsys, monkeypatch):
    index_dir = tmp_path / "never"
    args = ["build", "--corpus", str(local_build.corpus_dir), "--index", str(index_dir)]
    if case == "not installed":
        monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets without the extra
        args += ["--ray"]
        expected = 'Ray is not installed; run `pip install -e ".[ray]"` in the project directory'
    elif case == "no cluster there":
        args += ["--ray", f"127.0.0.1:{free_port()}"]
        expected = "Cannot reach the Ray cluster at 127.0.0.1:"
    else:
        args += ["--ray-workers", "2"]
        expected = "--ray-workers applies to Ray builds only"
    started = time.monotonic()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qa: {expected}") and err.count("\n") == 1
    assert time.monotonic() - started < 10  # Ray itself would retry an absent head for minutes
    assert not index_dir.exists()


def test_qa_without_ray_never_imports_ray():
    code = ("import sys; import qa.cli, qa.index, qa.index.builder, qa.index.ray_embedding, qa.pipeline; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_a_gpu_build_on_a_cluster_without_gpus_is_one_sentence(ray_instance):
    from qa.config import DEFAULT_MODEL
    from qa.errors import RayError
    from qa.index.ray_embedding import RayEmbedder

    with pytest.raises(RayError, match=r"^The Ray cluster has no GPU for --device cuda; .*--device cpu\.$"):
        RayEmbedder(DEFAULT_MODEL, RAY, "cuda").embed_passages(["青石镇召开新闻发布会。"])
    assert ray_instance.is_initialized()  # a Ray the build joined stays up
