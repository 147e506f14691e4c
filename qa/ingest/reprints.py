"""Reprints: one story run by several outlets (a wire copy, a press release), found among the articles
with MinHash LSH (datasketch) on their normalised text.

An article's text is normalised (NFKC, lower case, only letters and digits: outlets change punctuation,
spacing and credits), cut into character 5-shingles, and summarised by a MinHash signature of
128 values. datasketch's `MinHashLSH` (threshold 0.8: 9 bands of 13 values) proposes the articles
that share a band with an earlier one; a proposal becomes a pair when the signatures agree on at
least 80% of their values (the estimated Jaccard similarity of the shingle sets), and the pairs'
connected components are the reprint groups. The signatures are datasketch's own ("affine32":
MurmurHash3's finaliser, then ``a * h + b`` modulo 2^32 with its permutations), computed with
NumPy a whole article at a time instead of a Python call per shingle; a test checks they are equal.

Each group's canonical article is its earliest dated one (then the first read); every member's
``Article.reprints`` holds the group's ids, canonical first. The result depends only on the
articles, never on hash seeds or timing: an index's corpus hash covers it.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from qa.records import Article

SHINGLE = 5
NUM_PERM = 128
THRESHOLD = 0.8
SEED = 1
# Texts shorter than this (normalised) share boilerplate more often than a story: never grouped.
MIN_CHARS = 30
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_FNV_PRIME = np.uint32(16777619)
_FNV_OFFSET = np.uint32(2166136261)


@functools.lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane: the one it is folded to (NFKC, lower
    case), or 0 when it is not a letter or digit and is left out. One array lookup per character
    instead of string work: at 10^6 articles, normalising was half of the cost."""
    table = np.zeros(0x10000, dtype=np.uint32)
    for code in range(0x10000):
        folded = unicodedata.normalize("NFKC", chr(code)).lower()
        if len(folded) == 1 and folded.isalnum():
            table[code] = ord(folded)
    return table


def normalised_points(text: str) -> np.ndarray:
    """The code points of ``text`` that reprints share: NFKC, lower case, letters and digits only
    (characters beyond the Basic Multilingual Plane are kept as they are)."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    folded = np.where(points < 0x10000, _fold_table()[points & 0xFFFF], points)
    return folded[folded != 0]


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes (FNV-1a over code points) of the character ``SHINGLE``-grams of normalised ``text``."""
    points = normalised_points(text)
    n = len(points) - SHINGLE + 1
    if n < 1:
        return points[:0].copy()
    h = np.full(n, _FNV_OFFSET, dtype=np.uint32)
    for k in range(SHINGLE):
        h ^= points[k:k + n]
        h *= _FNV_PRIME  # wraps modulo 2^32, as intended
    return h


class ReprintFinder:
    """Articles' texts added one by one (``add``), their reprint groups at the end (``groups``).

    Memory per text: its signature (512 bytes) and its place in the LSH bands; the text itself is
    not kept, so a stream of 10^6 articles can be checked.
    """

    def __init__(self, threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> None:
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self.threshold = threshold
        self._perm = MinHash(num_perm=num_perm, seed=SEED).permutations  # (a, b), uint32, a odd
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._signatures = np.zeros((1024, num_perm), dtype=np.uint32)
        self._n = 0
        self._parent: dict[int, int] = {}

    def __len__(self) -> int:
        return self._n

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash signature of ``text`` (datasketch's affine32 values), None when it is too short."""
        hv = shingle_hashes(text)
        if len(hv) < MIN_CHARS - SHINGLE + 1:
            return None
        s1, m1, s2, m2, s3 = _FMIX
        hv = hv ^ (hv >> s1)
        hv *= m1
        hv ^= hv >> s2
        hv *= m2
        hv ^= hv >> s3
        a, b = self._perm
        return (hv[:, None] * a + b).min(axis=0)

    def add(self, text: str) -> int:
        """Add one text; returns its number (0, 1, ...), by which ``groups`` names it."""
        key, self._n = self._n, self._n + 1
        sig = self.signature(text)
        if sig is None:
            return key
        if key == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.zeros_like(self._signatures)])
        self._signatures[key] = sig
        minhash = self._minhash(hashvalues=sig, permutations=self._perm, scheme="affine32")
        for other in self._lsh.query(minhash):
            if np.count_nonzero(self._signatures[other] == sig) >= self.threshold * len(sig):
                self._union(other, key)
        self._lsh.insert(key, minhash, check_duplication=False)
        return key

    def _find(self, i: int) -> int:
        root = i
        while (up := self._parent.get(root, root)) != root:
            root = up
        while (up := self._parent.get(i, i)) != root:  # path compression
            self._parent[i] = root
            i = up
        return root

    def _union(self, i: int, j: int) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri != rj:
            self._parent[max(ri, rj)] = min(ri, rj)

    def groups(self) -> list[list[int]]:
        """The reprint groups (two texts or more), each in the order added, ordered by their first."""
        members: dict[int, list[int]] = {}
        for i in self._parent:  # every member but the root of its group (the root is its smallest number)
            members.setdefault(self._find(i), []).append(i)
        return sorted(sorted([root, *rest]) for root, rest in members.items())


def reprint_groups(texts: Iterable[str]) -> list[list[int]]:
    """Groups of positions in ``texts`` that are reprints of one story (two or more each)."""
    finder = ReprintFinder()
    for text in texts:
        finder.add(text)
    return finder.groups()


def mark_reprints(articles: Sequence[Article]) -> tuple[Article, ...]:
    """``articles`` with ``reprints`` set on each one that has any (canonical first: the earliest dated,
    then the first read); the others as they were."""
    out = list(articles)
    if len(out) < 2:
        return tuple(out)
    for group in reprint_groups(a.text for a in out):
        ordered = sorted(group, key=lambda i: (out[i].date is None, out[i].date or "", i))
        ids = tuple(out[i].id for i in ordered)
        for i in group:
            out[i] = replace(out[i], reprints=ids)
    return tuple(out)
