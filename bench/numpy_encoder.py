"""The encoder's layers as a NumPy pass: the baseline the benchmarks measure ONNX Runtime against
(`bench/embed_bench.py`, `bench/reader_bench.py`). It was the product's forward pass until ONNX
Runtime, on the same weights with the same output, ran it about twice as fast.
"""

from __future__ import annotations

import numpy as np

from qa.encoder.model import Encoder, prepared_layers


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis; overwrites ``x`` (every caller passes a temporary)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("...i,...i->...", x, x)[..., None]
    var *= np.float32(1.0 / x.shape[-1])
    var += np.float32(eps)
    x *= 1.0 / np.sqrt(var)
    x *= weight
    x += bias
    return x


# Abramowitz & Stegun 7.1.26: erf(z) = 1 - (a1 t + ... + a5 t^5) exp(-z^2), t = 1 / (1 + p z), z >= 0,
# absolute error below 1.5e-7 (float32 rounding is 6e-8). scipy's erf costs 60% of a forward pass;
# this costs a quarter of that, and it runs block by block so each pass over the data stays in cache.
_P = np.float32(0.3275911)
_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_GELU_BLOCK = 16384


def _gelu_block(x: np.ndarray, out: np.ndarray) -> None:
    z = np.abs(x)
    z *= np.float32(0.7071067811865476)
    t = z * _P
    t += 1
    np.reciprocal(t, out=t)
    tail = _A[4] * t  # Horner: ((((a5 t + a4) t + a3) t + a2) t + a1) t
    for a in (_A[3], _A[2], _A[1], _A[0]):
        tail += a
        tail *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z
    tail *= np.float32(0.5)  # tail = (1 - erf(|x| / sqrt 2)) / 2 = Phi(-|x|)
    np.multiply(x, np.where(x >= 0, 1 - tail, tail), out=out)  # x * Phi(x)


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x), the erf form of GELU that BERT and e5 use (not the tanh approximation)."""
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    out = np.empty_like(flat)
    for a in range(0, flat.size, _GELU_BLOCK):
        _gelu_block(flat[a : a + _GELU_BLOCK], out[a : a + _GELU_BLOCK])
    return out.reshape(x.shape)


class NumpyLayers:
    """``run(x, bias)`` as `qa.encoder.onnx_forward.OnnxLayers.run`, computed with NumPy (BLAS) from
    ``encoder``'s weights; put it in ``encoder.layers`` to run that encoder on NumPy."""

    def __init__(self, encoder: Encoder, weights=None):
        """``weights``: the encoder's weights when it can no longer read them (a closed reader file)."""
        self.config = encoder.config
        self.w = encoder.w
        self.layers = list(prepared_layers(encoder.config, weights if weights is not None else encoder.weights))

    def run(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        cfg, w = self.config, self.w
        batch, length, _ = x.shape
        heads, head_dim, hidden = cfg.heads, cfg.hidden // cfg.heads, cfg.hidden
        x = _layer_norm(x, w["emb.ln.w"], w["emb.ln.b"], cfg.eps)
        for lw in self.layers:
            qkv = x @ lw["qkv.w"]
            qkv += lw["qkv.b"]
            # [batch, length, 3, heads, head_dim] -> three [batch, heads, length, head_dim] views
            q, k, v = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores *= 1.0 / scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            attn = context @ lw["ao.w"]
            attn += lw["ao.b"]
            attn += x
            x = _layer_norm(attn, lw["aln.w"], lw["aln.b"], cfg.eps)
            mid = x @ lw["fi.w"]
            mid += lw["fi.b"]
            out = gelu(mid) @ lw["fo.w"]
            out += lw["fo.b"]
            out += x
            x = _layer_norm(out, lw["oln.w"], lw["oln.b"], cfg.eps)
        return x

