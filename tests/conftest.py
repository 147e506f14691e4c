"""Shared fixtures: a deterministic fake embedder for unit tests, and the bundled corpus built
once per test session with the real default model for end-to-end tests."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.config import ROOT, Settings

CORPUS = ROOT / "corpus"
SEEDS = ROOT.parent / "shared" / "seeds"
QUESTIONS = ROOT / "eval" / "questions.jsonl"
CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright in the page's browser tests
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
# An article no bundled one resembles, and a question only it answers: tests add it to a corpus
# to see whether an index holds it.
LIBRARY_ARTICLE = """---
title: 青石镇新建图书馆开放
source: 青石日报
date: 2024-03-02
---
青石镇新建的图书馆于3月1日正式开放，馆长是林秀云。图书馆藏书八万册，设有少儿阅览室。
"""
LIBRARY_QUESTION = "青石镇图书馆的馆长是谁？"


class FakeEmbedder:
    """Bag of hashed character bigrams: similar texts get similar unit vectors; no model needed."""

    name = "fake-bigram-64"
    dim = 64

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for a, b in zip(text, text[1:]):
            v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts):
        return np.vstack([self._one(t) for t in texts])

    def embed_passages(self, texts, progress=None):
        out = np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if progress:
            progress(len(texts))
        return out


@pytest.fixture
def fake_embedder(monkeypatch):
    """Route every model name to the fake embedder (unit tests of build and retrieval)."""
    fake = FakeEmbedder()
    import qa.index.builder
    import qa.index.embedders
    import qa.pipeline

    monkeypatch.setattr(qa.index.embedders, "load_embedder", lambda name=None, device="cpu": fake)
    monkeypatch.setattr(qa.index.builder, "load_embedder", lambda name=None, device="cpu": fake)
    monkeypatch.setattr(qa.pipeline, "load_embedder", lambda name=None, device="cpu": fake)
    monkeypatch.setattr(qa.index.builder, "canonical_model_name", lambda name=None: fake.name)
    return fake


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A copy of three bundled articles, to build quickly and change freely."""
    d = tmp_path / "corpus"
    d.mkdir()
    for name in sorted(p.name for p in CORPUS.glob("*.md"))[:3]:
        shutil.copy(CORPUS / name, d / name)
    return d


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory) -> Settings:
    """Settings whose index of the bundled corpus is built once, with the real default model."""
    from qa.index import build

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("embeddings"))
    build(settings, quiet=True)
    return settings


@pytest.fixture(scope="session")
def bundled_answerer(bundled_settings):
    from qa.pipeline import open_answerer

    return open_answerer(bundled_settings, quiet=True)


@pytest.fixture(scope="session")
def chat_url(bundled_settings):
    """The chat page (app.py) over the bundled index, served on a free local port."""
    import socket

    import app
    from qa.page import LiveAnswerer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo(LiveAnswerer(bundled_settings, quiet=True))
    _, url, _ = app.launch(demo, port=port, block=False)
    yield url
    demo.close()


@pytest.fixture
def weights_with(tmp_path):
    """A Reader over a copy of the shipped weights whose metadata is changed: key=value sets a key,
    key=None removes it. The tensors are the shipped ones."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    from qa.read import Reader
    from qa.read.reader import default_weights

    def make(**changes: str | None) -> Reader:
        with safe_open(str(default_weights()), framework="numpy") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}
            meta = dict(f.metadata() or {})
        for key, value in changes.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        path = tmp_path / "reader.safetensors"
        save_file(tensors, str(path), metadata=meta)
        return Reader(path)

    return make


@pytest.fixture
def local_site():
    """A web server on 127.0.0.1 serving ``pages`` (path -> (content type, bytes)); its base URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages: dict[str, tuple[str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            if self.path.startswith("/moved"):
                self.send_response(302)
                self.send_header("Location", self.path.removeprefix("/moved"))
                self.end_headers()
                return
            kind, body = pages.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.pages = pages
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Chromium through Playwright. No skip when it is missing: a launch failure fails the test, as
    it should."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

