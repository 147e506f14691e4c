"""The multilingual-e5-small encoder (BERT-style, post-LayerNorm) from its weights.

Weights come from a dict of float32 arrays named as in the bundled file (`l{i}.q.w` [out, in], ...),
so the same code runs the bundled weights and a fine-tuned reader's. The 250k-row token table stays
4-bit and is dequantised row by row on lookup: a float32 copy would cost 384 MB of memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from qa.encoder.bundle import LAYER_MATRICES, LAYER_VECTORS, Bundle, Config, dequantize
from qa.encoder.threads import apply_threads, compute_lock


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


def prepared_layers(config: Config, weights: Mapping[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
    """Each layer's weights as the forward pass computes with them, one layer at a time: matrices as
    [in, out] so the pass is x @ w; q, k and v as one [hidden, 3 * hidden] product (one matrix
    product instead of three, which matters for short queries), with the attention scale
    1/sqrt(head_dim) folded into q's weights."""
    scale = np.float32(1.0 / np.sqrt(config.hidden // config.heads))
    for i in range(config.layers):
        p = f"l{i}."
        yield {
            "qkv.w": np.ascontiguousarray(
                np.concatenate([weights[p + "q.w"] * scale, weights[p + "k.w"], weights[p + "v.w"]]).T
            ),
            "qkv.b": np.concatenate([weights[p + "q.b"] * scale, weights[p + "k.b"], weights[p + "v.b"]]),
            **{m + ".w": np.ascontiguousarray(weights[p + m + ".w"].T) for m in ("ao", "fi", "fo")},
            **{v: weights[p + v] for v in ("ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")},
        }


class Encoder:
    """Token ids -> final hidden states, [batch, length, hidden]: the token lookup here, the layers
    on ONNX Runtime (`qa.encoder.onnx_forward`), which was twice as fast as our NumPy pass on the
    same weights with the same output (bench/embed_bench.py)."""

    def __init__(self, config: Config, word_blocks: np.ndarray, weights: Mapping[str, np.ndarray]):
        from qa.encoder.onnx_forward import OnnxLayers

        apply_threads()
        self.config = config
        self.word_blocks = word_blocks  # Q4_0 blocks [vocab, hidden / 32, 18]
        self.w = {name: weights[name] for name in ("emb.pos", "emb.type", "emb.ln.w", "emb.ln.b")}
        self.weights = weights  # read again only for another runtime (torch on a GPU)
        self.layers = OnnxLayers(config, self.w, prepared_layers(config, weights))

    def embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        flat = ids.reshape(-1)
        return dequantize(self.word_blocks[flat]).reshape(*ids.shape, self.config.hidden)

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        """Token + position + type embeddings, before the embedding LayerNorm."""
        x = self.embed_tokens(ids)
        x += self.w["emb.pos"][: ids.shape[1]]
        x += self.w["emb.type"][0]
        return x

    def forward(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """ids [batch, length] int; mask [batch, length] bool (True = real token). Concurrent calls
        take turns on the cores (`qa.encoder.threads.compute_lock`)."""
        x = self.embeddings(ids)
        bias = padding_bias(np.ones(ids.shape, dtype=bool) if mask is None else mask)
        with compute_lock():
            return self.layers.run(x, bias)


def padding_bias(mask: np.ndarray) -> np.ndarray:
    """The additive attention mask, [batch, 1, 1, length]: 0 for real tokens, -1e9 for padding."""
    return np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
