"""The multilingual-e5-small encoder as a NumPy forward pass (BERT-style, post-LayerNorm).

Weights come from a dict of float32 arrays named as in the bundled file (`l{i}.q.w` [out, in], ...),
so the same code runs the bundled weights and a fine-tuned reader's. The 250k-row token table stays
4-bit and is dequantised row by row on lookup: a float32 copy would cost 384 MB of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from qa.encoder.bundle import LAYER_MATRICES, LAYER_VECTORS, Bundle, Config, dequantize
from qa.encoder.threads import apply_threads, compute_lock


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


def pad_rows(rows: Sequence[Sequence[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token-id rows as one [rows, longest] batch padded with ``pad``, and its mask (True = real token)."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=bool)
    for j, row in enumerate(rows):
        ids[j, : len(row)] = row
        mask[j, : len(row)] = True
    return ids, mask


def weight_names(layers: int) -> list[str]:
    names = ["emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for layer in range(layers):
        names += [f"l{layer}.{m}.w" for m in LAYER_MATRICES] + [f"l{layer}.{v}" for v in LAYER_VECTORS]
    return names


class LazyWeights(Mapping):
    """name -> float32 array, made when asked for. The encoder lays each weight out once in the form
    it computes with; materialising them all first would hold a second 85 MB copy, which the
    allocator then keeps (freed blocks of a few MB go back to the heap, not to the system)."""

    def __init__(self, names: list[str], load: Callable[[str], np.ndarray]):
        self._names, self._load = names, load

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        return np.asarray(self._load(name), dtype=np.float32)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def layer_weights(bundle: Bundle) -> LazyWeights:
    """The bundled encoder's float32 weights, token table excluded (it stays 4-bit)."""
    return LazyWeights(weight_names(bundle.config.layers), bundle.dense)


class Encoder:
    """Token ids -> final hidden states, [batch, length, hidden]."""

    def __init__(self, config: Config, word_blocks: np.ndarray, weights: Mapping[str, np.ndarray]):
        apply_threads()
        self.config = config
        self.word_blocks = word_blocks  # Q4_0 blocks [vocab, hidden / 32, 18]
        self.w = {name: weights[name] for name in ("emb.pos", "emb.type", "emb.ln.w", "emb.ln.b")}
        # Per layer, matrices stored once as [in, out] so the pass is x @ w without copies; q, k and v
        # as one [hidden, 3 * hidden] product (one BLAS call instead of three, which matters for
        # short queries), with the attention scale 1/sqrt(head_dim) folded into q's weights.
        scale = np.float32(1.0 / np.sqrt(config.hidden // config.heads))
        self.layers: list[dict[str, np.ndarray]] = []
        for i in range(config.layers):
            p = f"l{i}."
            self.layers.append({
                "qkv.w": np.ascontiguousarray(
                    np.concatenate([weights[p + "q.w"] * scale, weights[p + "k.w"], weights[p + "v.w"]]).T
                ),
                "qkv.b": np.concatenate([weights[p + "q.b"] * scale, weights[p + "k.b"], weights[p + "v.b"]]),
                **{m + ".w": np.ascontiguousarray(weights[p + m + ".w"].T) for m in ("ao", "fi", "fo")},
                **{v: weights[p + v] for v in ("ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")},
            })

    def embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        flat = ids.reshape(-1)
        return dequantize(self.word_blocks[flat]).reshape(*ids.shape, self.config.hidden)

    def forward(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """ids [batch, length] int; mask [batch, length] bool (True = real token). Concurrent calls
        take turns on the cores (`qa.encoder.threads.compute_lock`)."""
        with compute_lock():
            return self._forward(ids, mask)

    def _forward(self, ids: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cfg, w = self.config, self.w
        batch, length = ids.shape
        heads, head_dim, hidden = cfg.heads, cfg.hidden // cfg.heads, cfg.hidden
        x = self.embed_tokens(ids)
        x += w["emb.pos"][:length]
        x += w["emb.type"][0]
        x = _layer_norm(x, w["emb.ln.w"], w["emb.ln.b"], cfg.eps)
        bias = None
        if mask is not None and not mask.all():
            bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for lw in self.layers:
            qkv = x @ lw["qkv.w"]
            qkv += lw["qkv.b"]
            # [batch, length, 3, heads, head_dim] -> three [batch, heads, length, head_dim] views
            q, k, v = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2)
            if bias is not None:
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
