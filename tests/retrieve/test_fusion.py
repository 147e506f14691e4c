"""Fusion of a dense and a BM25 ranking: invariants of every method, and what each method is for."""

from __future__ import annotations

import random

import pytest

from qa.retrieve.fusion import FusionParams, fuse, standout

METHODS = [FusionParams("rrf", 0.5, 60), FusionParams("convex", 0.4), FusionParams("confidence", 0.5, 30, 2.0)]


def random_run(rng: random.Random, pool: int, n: int) -> tuple[list[int], list[float]]:
    ids = rng.sample(range(pool), n)
    scores = sorted((rng.uniform(0, 20) for _ in range(n)), reverse=True)
    return ids, scores


@pytest.mark.parametrize("params", METHODS, ids=lambda p: p.method)
def test_every_item_once_best_first(params: FusionParams) -> None:
    rng = random.Random(7)
    for _ in range(50):
        dense, bm25 = random_run(rng, 40, rng.randint(0, 15)), random_run(rng, 40, rng.randint(0, 15))
        fused = fuse(dense, bm25, params)
        assert sorted(i for i, _ in fused) == sorted(set(dense[0]) | set(bm25[0]))
        assert all(a[1] >= b[1] for a, b in zip(fused, fused[1:]))


@pytest.mark.parametrize("params", METHODS, ids=lambda p: p.method)
def test_rescaling_one_retrievers_scores_changes_nothing(params: FusionParams) -> None:
    """BM25 scores have no fixed scale (they grow with the query's length); no method may depend on it."""
    rng = random.Random(11)
    for _ in range(30):
        dense, (ids, scores) = random_run(rng, 30, 12), random_run(rng, 30, 12)
        scaled = (ids, [3.7 * s + 5 for s in scores])
        assert [i for i, _ in fuse(dense, (ids, scores), params)] == [i for i, _ in fuse(dense, scaled, params)]


def test_equal_weight_rrf_agrees_on_an_item_both_rank_first() -> None:
    fused = fuse(([1, 2, 3], [0.9, 0.8, 0.7]), ([1, 3, 4], [9.0, 5.0, 1.0]), FusionParams("rrf", 0.5, 60))
    assert fused[0][0] == 1
    assert fused[1][0] == 3  # ranked by both beats ranked by one


def test_a_first_hit_that_stands_out_wins_the_confidence_fusion() -> None:
    """Dense is unsure (near-equal cosines) and puts A first; BM25's first hit B stands far above its
    list. Plain RRF cannot tell the two cases apart and keeps A; confidence-weighted fusion takes B."""
    dense = (["A", "B", "C", "D"], [0.851, 0.850, 0.849, 0.848])
    bm25 = (["B", "A", "E", "F"], [30.0, 6.0, 5.5, 5.0])
    assert fuse(dense, bm25, FusionParams("rrf", 0.6, 10))[0][0] == "A"
    assert fuse(dense, bm25, FusionParams("confidence", 0.6, 10, 4.0))[0][0] == "B"


def test_standout_is_a_fraction() -> None:
    assert standout([]) == standout([3.0]) == standout([2.0, 2.0, 2.0]) == 0.0
    assert standout([10.0, 1.0, 0.0]) == pytest.approx(0.9)
    rng = random.Random(3)
    for _ in range(100):
        scores = sorted((rng.uniform(-1, 1) for _ in range(rng.randint(2, 12))), reverse=True)
        assert 0.0 <= standout(scores) <= 1.0


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fusion method"):
        fuse(([1], [1.0]), ([1], [1.0]), FusionParams("max"))
