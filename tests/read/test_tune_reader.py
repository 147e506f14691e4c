"""Choosing the reader's threshold (scripts/tune_reader.py): the simulation answers as the product
does (the first passage when it clears the threshold, else the best of the first 1 + more), and the
sweep starts low enough that any reader can reach its false-abstention bound."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from tune_reader import cross_fitted, highest_ok, simulate, sweep_of, thresholds  # noqa: E402


def _c(margin: float, rank: int, em: float) -> dict:
    return {"margin": margin, "answer": "x", "em": em, "f1": em, "rank": rank}


def _rows(shift: float) -> list[dict]:
    """Two answerable questions and their dropped twins; margins shifted to mimic a cautious reader."""
    a_first, a_second = _c(-1 + shift, 0, 0.0), _c(3 + shift, 1, 1.0)
    b_first = _c(5 + shift, 0, 1.0)
    return [
        {"id": "a", "dropped": False, "first": a_first, "all": [a_first, a_second]},
        {"id": "b", "dropped": False, "first": b_first, "all": [b_first]},
        {"id": "a", "dropped": True, "first": _c(-4 + shift, 0, 0.0), "all": [_c(-4 + shift, 0, 0.0)]},
        {"id": "b", "dropped": True, "first": None, "all": []},
    ]


def test_the_first_passage_answers_when_it_clears_else_the_best_of_the_next() -> None:
    rows = _rows(0.0)
    low = simulate(rows, -5.0, more=1)  # a's first clears: its (wrong) answer stands
    assert (low["em"], low["false_abstain"], low["dropped_abstain"]) == (0.5, 0.0, 0.5)
    mid = simulate(rows, 0.0, more=1)  # a's first does not: the second passage's right answer
    assert (mid["em"], mid["false_abstain"], mid["dropped_abstain"]) == (1.0, 0.0, 1.0)
    assert simulate(rows, 0.0, more=0)["false_abstain"] == 0.5  # no further passage: a abstains
    assert simulate(rows, 6.0, more=1)["false_abstain"] == 1.0


def test_the_sweep_reaches_below_every_margin_seen() -> None:
    for shift in (0.0, -20.0):
        rows = _rows(shift)
        ts = thresholds(rows)
        lowest = min(x["margin"] for r in rows for x in r["all"])
        assert ts[0] < lowest and ts[-1] >= 16.0
        assert np.allclose(np.diff(ts), 0.25)
        # at the lowest threshold nothing that has a candidate is abstained
        assert simulate(rows, float(ts[0]), more=1)["false_abstain"] == 0.0


def _fold(name: str) -> int:
    import hashlib

    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 2


def test_cross_fitting_measures_each_half_at_the_threshold_the_other_half_chose() -> None:
    # Two paragraphs in different halves: one whose answers score high, one whose answers score low.
    names = [f"p{i}" for i in range(20)]
    high = names[0]
    low = next(n for n in names if _fold(n) != _fold(high))
    rows = []
    for article, margin in ((high, 10.0), (low, -5.0)):
        right = _c(margin, 0, 1.0)
        rows.append({"id": article, "article": article, "dropped": False, "first": right, "all": [right]})
        rows.append({"id": article, "article": article, "dropped": True, "first": None, "all": []})
    # On both together, a threshold under -5 keeps every answer.
    assert highest_ok(sweep_of(rows, 1), 0.0)["false_abstain"] == 0.0
    honest = cross_fitted(rows, 1, 0.0)
    # Chosen on the high half alone, the threshold lies above the low half's answers: it abstains.
    assert sorted(honest["thresholds"]) == [-5.0, 10.0]
    assert honest["false_abstain"] == 0.5 and honest["f1"] == 0.5 and honest["dropped_abstain"] == 1.0


def test_traditional_writes_its_threshold_at_the_stored_read_more_and_keeps_the_rest(tmp_path) -> None:
    """--traditional with kept readings (--rows): the threshold is chosen at the weights' read_more
    and stored as threshold_traditional; the other metadata and the tensors stay as they were."""
    import json

    from safetensors.numpy import load_file, save_file
    from tune_reader import main
    from weights_file import metadata

    rows = [{**r, "article": r["id"]} for r in _rows(0.0)]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    weights = tmp_path / "w.safetensors"
    tensors = {"head.b": np.array([0.5, -0.5], dtype=np.float16)}
    save_file(tensors, str(weights), metadata={"threshold": "-11.25", "read_more": "1"})
    assert main([str(tmp_path / "unused.json"), "--weights", str(weights), "--rows", str(tmp_path / "rows.json"),
                 "--traditional", "--max-false", "0.0", "--write"]) == 0
    meta = metadata(weights)
    expected = highest_ok(sweep_of(rows, 1), 0.0)["threshold"]
    assert float(meta["threshold_traditional"]) == expected
    assert (meta["threshold"], meta["read_more"]) == ("-11.25", "1")
    assert np.array_equal(load_file(str(weights))["head.b"], tensors["head.b"])
