"""Fusing a dense and a BM25 ranking into one.

Three methods, chosen between on training data by ``scripts/tune_fusion.py``:

- ``rrf``: weighted reciprocal rank fusion (Cormack et al., SIGIR 2009), ``w / (k + rank)``; blind to
  how sure each retriever is.
- ``convex``: a convex combination of each list's scores, min-max normalised within the list
  (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", TOIS 2023).
- ``confidence``: RRF whose two weights are scaled, per query, by how far each retriever's first hit
  stands out from the rest of its list. A BM25 list whose top hit shares a rare name with the
  question stands out; one that matched only common words does not, and neither does a dense list
  of near-equal cosines. That is what equal weights missed on traditional-script Wikipedia, where
  BM25 alone beat the fusion.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T", bound=Hashable)
Ranked = tuple[Sequence[T], Sequence[float]]  # ids best first, and their scores


@dataclass(frozen=True)
class FusionParams:
    method: str = "rrf"  # "rrf", "convex" or "confidence"
    weight: float = 0.5  # the dense list's share; BM25 gets 1 - weight
    k: int = 60  # RRF's rank offset: larger flattens the difference between ranks
    sharpness: float = 1.0  # confidence: how strongly a standing-out first hit moves the weights


# Chosen by scripts/tune_fusion.py on CMRC 2018 trial, DRCD test and eval/questions.jsonl: the only
# candidate at least as good as the better single retriever on recall@1, recall@5 and MRR@10 on all
# three that also had the best mean recall@1 (README, "Retrieval quality").
HYBRID_FUSION = FusionParams("convex", 0.4)
# How many chunks each retriever hands to the fusion; min-max normalisation depends on it.
FUSION_DEPTH = 50


def standout(scores: Sequence[float], depth: int = 10) -> float:
    """How far the first score stands above the next ones, in [0, 1]: the gap to the second score
    over the spread of the first ``depth``. 0 for a list of one or of equal scores."""
    top = list(scores[:depth])
    if len(top) < 2 or top[0] == top[-1]:
        return 0.0
    return (top[0] - top[1]) / (top[0] - top[-1])


def _rrf(runs: Sequence[Sequence[T]], weights: Sequence[float], k: int) -> dict[T, float]:
    fused: dict[T, float] = {}
    for ranking, weight in zip(runs, weights):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def _convex(runs: Sequence[Ranked], weights: Sequence[float]) -> dict[T, float]:
    fused: dict[T, float] = {}
    for (ids, scores), weight in zip(runs, weights):
        if not ids:
            continue
        low, high = min(scores), max(scores)
        span = high - low or 1.0
        for item, score in zip(ids, scores):
            fused[item] = fused.get(item, 0.0) + weight * (score - low) / span
    return fused


def fuse(dense: Ranked, bm25: Ranked, params: FusionParams) -> list[tuple[T, float]]:
    """The items of both lists with their fused scores, best first (ties by first appearance)."""
    weights = [params.weight, 1.0 - params.weight]
    if params.method == "rrf":
        fused = _rrf([dense[0], bm25[0]], weights, params.k)
    elif params.method == "convex":
        fused = _convex([dense, bm25], weights)
    elif params.method == "confidence":
        sure = [math.exp(params.sharpness * standout(scores)) for _, scores in (dense, bm25)]
        fused = _rrf([dense[0], bm25[0]], [w * s for w, s in zip(weights, sure)], params.k)
    else:
        raise ValueError(f"unknown fusion method {params.method!r}; choose rrf, convex or confidence")
    first: dict[T, int] = {}
    for item in [*dense[0], *bm25[0]]:
        first.setdefault(item, len(first))
    return sorted(fused.items(), key=lambda kv: (-kv[1], first[kv[0]]))
