"""`qa build` in a child process with the fake embedder, held still at one stage so that a test can
kill it there (tests/index/test_build_safety.py). Not a test module.

    python tests/build_child.py STAGE [qa build options...]

STAGE is where the child prints a marker line on stdout and then waits for a minute:
  none     nowhere: an ordinary build
  embed    while embedding the chunks
  save     half-way through writing the new version (vectors and chunks written, meta.json not)
  publish  after the new version is complete, before CURRENT points to it
"""

from __future__ import annotations

import sys
import time

import bm25s
from conftest import FakeEmbedder

import qa.index.builder
import qa.index.store
from qa.cli import main

STAGE = sys.argv[1]
WAIT_S = 60


def hold(marker: str) -> None:
    print(marker, flush=True)
    time.sleep(WAIT_S)


class HeldEmbedder(FakeEmbedder):
    def embed_passages(self, texts, progress=None):
        if STAGE == "embed":
            hold("embedding")
        return super().embed_passages(texts, progress)


fake = HeldEmbedder()
qa.index.builder.load_embedder = lambda name=None, device="cpu": fake
qa.index.builder.canonical_model_name = lambda name=None: fake.name

if STAGE == "save":
    bm25s.BM25.save = lambda self, *args, **kwargs: hold("saving")
if STAGE == "publish":
    point_to = qa.index.store.point_to

    def held_point_to(root, name):
        hold("publishing")
        point_to(root, name)

    qa.index.store.point_to = held_point_to

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[2:]]))
