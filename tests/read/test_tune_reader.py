"""Choosing the reading policy, threshold and calibration on news (scripts/tune_reader.py): the
simulation answers as the product does, the threshold keeps false abstentions within the bound, the
calibration follows the outcomes, and held-out news becomes a corpus the product reads."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from tune_reader import (  # noqa: E402
    MIN_ONE_PASSAGE,
    SETTLE_STEPS,
    calibrate,
    choose,
    choose_undated,
    cross_fitted,
    curve_text,
    holdout_corpus,
    isotonic,
    outcomes,
    pick,
    simulate,
)

from qa.ingest.corpus import load_corpus  # noqa: E402
from qa.read.reader import confidence_on  # noqa: E402


def _c(margin: float, rank: int, right: bool) -> dict:
    return {"margin": margin, "rank": rank, "right": right, "f1": 1.0 if right else 0.0}


def _row(rid: str, answerable: bool, cands: list[dict], key: str | None = None) -> dict:
    return {"set": "t", "id": rid, "answerable": answerable, "fold_key": key or rid,
            "modes": {"title": cands, "title_date": [dict(c, margin=c["margin"] - 1) for c in cands]}}


def test_the_first_passage_answers_when_it_clears_else_the_best_of_the_next() -> None:
    cands = [_c(-1, 0, False), _c(3, 1, True), _c(9, 3, False)]
    assert pick(cands, -5, more=1)["rank"] == 0  # the first clears: its (wrong) answer stands
    assert pick(cands, 0, more=1)["rank"] == 1  # it does not: the best of the next one
    assert pick(cands, 0, more=3)["rank"] == 3  # reading further finds a higher margin
    assert pick(cands, 10, more=3) is None


def test_settle_reads_on_past_a_first_passage_that_only_just_clears() -> None:
    cands = [_c(-1, 0, False), _c(3, 1, True), _c(9, 3, False)]
    assert pick(cands, -5, more=1, settle=-5)["rank"] == 0
    assert pick(cands, -5, more=1, settle=0)["rank"] == 1  # under settle: the surer next passage wins
    assert pick(cands, -5, more=1, settle=-3)["rank"] == 0  # at or over settle: the first stands


def test_a_span_that_fails_the_checks_never_answers_as_in_the_product() -> None:
    first = dict(_c(9, 0, False), fits=False)  # e.g. a year the article never speaks of
    cands = [first, _c(3, 1, True), _c(-2, 2, False)]
    assert pick(cands, 0, more=1)["rank"] == 1  # the next passage's span answers
    assert pick(cands, 0, more=1, settle=5)["rank"] == 1  # a vetoed first passage never settles
    assert pick([first], 0, more=3) is None
    assert pick(cands, 4, more=2) is None  # over the threshold only the vetoed one: "not found"
    below = dict(_c(-3, 0, False), fits=False)
    assert pick([below, _c(-4, 1, True)], 0, more=1) is None  # nothing clears: "not found" either way


def test_settle_never_changes_what_is_declined() -> None:
    rows = _population(2)
    policy = choose(rows, 0.04)
    for step in SETTLE_STEPS:
        s = simulate(rows, policy["mode"], policy["threshold"], policy["more"], policy["threshold"] + step)
        assert (s["declined"], s["false_abstain"]) == (policy["declined"], policy["false_abstain"])


def test_settle_is_chosen_for_correct_answers_while_most_questions_read_one_passage() -> None:
    # First passages that only just clear are wrong and a surer second passage is right; the rest
    # clear far and are right.
    rows = [_row(f"n{i}", True, [_c(1, 0, False), _c(4, 1, True)]) for i in range(10)]
    rows += [_row(f"f{i}", True, [_c(12, 0, True), _c(-3, 1, False)]) for i in range(30)]
    policy = choose(rows, 0.04)
    assert policy["correct"] == 1.0 and policy["one_passage"] >= MIN_ONE_PASSAGE
    assert pick(rows[0]["modes"][policy["mode"]], policy["threshold"], policy["more"], policy["settle"])["rank"] == 1
    # When reading on would be needed for most questions, the first passage is trusted as it was.
    crowded = rows[:10] * 4 + rows[10:12]
    policy = choose(crowded, 0.04)
    assert policy["settle"] == policy["threshold"]


def _population(seed: int = 0, n: int = 200) -> list[dict]:
    """Answerable questions whose right answers score high, near misses that score lower."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        answerable = i % 3 != 0
        margin = rng.gauss(4 if answerable else -2, 2)
        rows.append(_row(f"q{i}", answerable, [_c(margin, 0, answerable and rng.random() < 0.9),
                                               _c(margin - 1, 1, False)], key=f"a{i // 4}"))
    return rows


def test_the_chosen_threshold_keeps_false_abstentions_within_the_bound() -> None:
    rows = _population()
    policy = choose(rows, 0.04)
    assert policy["false_abstain"] <= 0.04
    # A threshold one step higher would abstain on more answerable questions than the bound allows.
    higher = simulate(rows, policy["mode"], policy["threshold"] + 0.25, policy["more"])
    assert higher["false_abstain"] > 0.04 or higher["declined"] == policy["declined"]
    assert policy["mode"] == "title"  # the other mode only lowers every margin: never better


def test_the_calibration_follows_the_outcomes() -> None:
    rows = _population(1, 400)
    policy = choose(rows, 0.04)
    fits = calibrate(rows, policy)
    got = outcomes(rows, policy)
    for key, answered in (("calibration", True), ("calibration_abstain", False)):
        xs, ps = zip(*fits[key])
        assert all(a < b for a, b in zip(xs, xs[1:])) and all(a <= b for a, b in zip(ps, ps[1:]))  # rises
        assert all(0 < p < 1 for p in ps)  # never certain, never hopeless
        part = [(abs(e), r) for e, a, r in got if a == answered]
        shown_mean = np.mean([confidence_on(np.array(fits[key]).T, d) for d, _ in part])
        assert abs(shown_mean - np.mean([r for _, r in part])) < 0.05  # the curve matches the rate
    estimate = cross_fitted(rows, 0.04)
    assert len(estimate["per_fold"]) == 4 and 0 <= estimate["pooled"]["calibration_error"] < 0.15
    assert set(estimate["calibration_error_by_set"]) == {"t"}


def test_a_block_always_right_is_shown_below_certainty() -> None:
    far = np.arange(20, dtype=float)
    curve = isotonic(far, np.ones(20))
    assert curve == [[pytest.approx(9.5), pytest.approx(21 / 22)]]  # one block: (20 + 1) / (20 + 2)
    curve = isotonic(np.arange(6, dtype=float), np.array([0, 0, 1, 0, 1, 1.0]))
    assert [p for _, p in curve] == sorted(p for _, p in curve)  # smoothing never makes it fall


def test_stored_curves_are_what_the_reader_accepts(weights_with) -> None:
    curve = [[0.1, 0.3], [0.10001, 0.4], [2.0, 0.9]]  # two distances that round alike
    reader = weights_with(calibration=curve_text(curve), calibration_abstain=curve_text([[1.0, 0.7]]))
    assert reader.confidence(2.0) == pytest.approx(0.9) and reader.confidence(-5.0) == pytest.approx(0.7)


def test_held_out_news_becomes_a_corpus_with_titles_dates_and_questions(tmp_path) -> None:
    squad = {"data": [{"title": "內政部公布人口統計", "source": "內政部", "date": "2025-07-17",
                       "paragraphs": [{"context": "內政部今（17）日公布，全國人口為2340萬人。", "qas": [
                           {"id": "x1", "question": "全國人口多少？", "is_impossible": False,
                            "answers": [{"text": "2340萬人", "answer_start": 14}]},
                           {"id": "x2", "question": "台北市人口多少？", "answers": [], "is_impossible": True}]}]}]}
    path = tmp_path / "holdout.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    folder = holdout_corpus(path, tmp_path / "h")
    articles = load_corpus(folder / "corpus").articles
    assert len(articles) == 1
    a = articles[0]
    assert (a.title, a.source, a.date) == ("內政部公布人口統計", "內政部", "2025-07-17")
    lines = [json.loads(x) for x in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["answers"], x["article_id"]) for x in lines] == [("x1", ["2340萬人"], a.id), ("x2", [], None)]
    assert "2340萬人" in a.text


def test_the_undated_threshold_keeps_the_wikipedia_slice_within_the_bound_at_the_news_policy() -> None:
    news = _population()
    policy = choose(news, 0.04)
    # Reference text, all answerable, scores lower than news: the news threshold would decline too many.
    rng = random.Random(5)
    wiki = [_row(f"w{i}", True, [_c(rng.gauss(1, 2), 0, True), _c(-6, 1, False)]) for i in range(200)]
    assert simulate(wiki, policy["mode"], policy["threshold"], policy["more"])["false_abstain"] > 0.04
    undated = choose_undated(wiki, policy, 0.04)
    assert undated["false_abstain"] <= 0.04 < simulate(wiki, policy["mode"], undated["threshold"] + 0.25,
                                                       policy["more"])["false_abstain"]
    assert (undated["mode"], undated["more"]) == (policy["mode"], policy["more"])
    assert undated["settle"] - undated["threshold"] == pytest.approx(policy["settle"] - policy["threshold"])
