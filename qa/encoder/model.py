"""The multilingual-e5-small encoder as a NumPy forward pass (BERT-style, post-LayerNorm).

Weights come from a dict of float32 arrays named as in the bundled file (`l{i}.q.w` [out, in], ...),
so the same code runs the bundled weights and a fine-tuned reader's. The 250k-row token table stays
4-bit and is dequantised row by row on lookup: a float32 copy would cost 384 MB of memory.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from qa.encoder.bundle import LAYER_MATRICES, LAYER_VECTORS, Bundle, Config, dequantize


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


def layer_weights(bundle: Bundle) -> dict[str, np.ndarray]:
    """The bundled encoder's float32 weights, token table excluded (it stays 4-bit)."""
    names = ["emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for layer in range(bundle.config.layers):
        names += [f"l{layer}.{m}.w" for m in LAYER_MATRICES] + [f"l{layer}.{v}" for v in LAYER_VECTORS]
    return {name: np.ascontiguousarray(bundle.dense(name), dtype=np.float32) for name in names}


class Encoder:
    """Token ids -> final hidden states, [batch, length, hidden]."""

    def __init__(self, config: Config, word_blocks: np.ndarray, weights: dict[str, np.ndarray]):
        self.config = config
        self.word_blocks = word_blocks  # Q4_0 blocks [vocab, hidden / 32, 18]
        # Matrices are stored transposed once, so the forward pass is x @ w without copies.
        self.w = {
            name: (np.ascontiguousarray(value.T) if name.endswith(".w") and value.ndim == 2 else value)
            for name, value in weights.items()
        }

    def embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        flat = ids.reshape(-1)
        return dequantize(self.word_blocks[flat]).reshape(*ids.shape, self.config.hidden)

    def forward(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """ids [batch, length] int; mask [batch, length] bool (True = real token)."""
        cfg, w = self.config, self.w
        batch, length = ids.shape
        heads, head_dim = cfg.heads, cfg.hidden // cfg.heads
        x = self.embed_tokens(ids) + w["emb.pos"][:length] + w["emb.type"][0]
        x = _layer_norm(x, w["emb.ln.w"], w["emb.ln.b"], cfg.eps).astype(np.float32)
        bias = None
        if mask is not None and not mask.all():
            bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in range(cfg.layers):
            p = f"l{layer}."

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(x @ w[p + "q.w"] + w[p + "q.b"])
            k = split(x @ w[p + "k.w"] + w[p + "k.b"])
            v = split(x @ w[p + "v.w"] + w[p + "v.b"])
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale
            if bias is not None:
                scores = scores + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, cfg.hidden)
            attn = context @ w[p + "ao.w"] + w[p + "ao.b"]
            x = _layer_norm(x + attn, w[p + "aln.w"], w[p + "aln.b"], cfg.eps)
            mid = x @ w[p + "fi.w"] + w[p + "fi.b"]
            mid = 0.5 * mid * (1.0 + erf(mid * np.float32(0.7071067811865476)))  # GELU, erf form
            out = mid @ w[p + "fo.w"] + w[p + "fo.b"]
            x = _layer_norm(x + out, w[p + "oln.w"], w[p + "oln.b"], cfg.eps).astype(np.float32)
        return x
