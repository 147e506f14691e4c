"""A logit ensemble of readers (scripts/ensemble_reader.py): its logits are the mean of its members',
its spans are read from those means, and the first member's metadata is the ensemble's."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import ensemble_reader  # noqa: E402
import weights_file  # noqa: E402

import qa.read.reader_answers as reader_answers  # noqa: E402
from qa.encoder.model import pad_rows  # noqa: E402
from qa.read.reader import Reader, default_weights  # noqa: E402

QUESTION = "淄博市人大常委会主任是谁？"
PASSAGES = ["淄博市十六届人大常委会第十五次会议召开，市人大常委会主任刘曙光主持会议。", "聊城市今年征兵工作全面展开。"]


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped reader with another head (halved, shifted): a second member that reads differently."""
    tensors, meta = weights_file.load(default_weights())
    tensors = dict(tensors)
    tensors["head.w"] = (tensors["head.w"].astype(np.float32) * 0.5).astype(np.float16)
    tensors["head.b"] = (tensors["head.b"].astype(np.float32) + np.float32([1.0, -2.0])).astype(np.float16)
    path = tmp_path_factory.mktemp("ensemble") / "other.safetensors"
    weights_file.save(path, tensors, {**meta, "threshold": "3.5", "read_more": "4"})
    return path


def _batch(reader: Reader) -> tuple[np.ndarray, np.ndarray]:
    q_ids = list(reader.tokenizer.encode(QUESTION).ids)
    rows = [w[0] for p in PASSAGES for w in reader._windows(q_ids, p)]
    return pad_rows(rows, reader.tokenizer.pad)


def test_logits_are_the_members_mean_and_spans_come_from_them(other: Path) -> None:
    first, second = Reader(default_weights()), Reader(other)
    ensemble = ensemble_reader.EnsembleReader([default_weights(), other])
    ids, mask = _batch(first)
    want = (first.logits(ids, mask) + second.logits(ids, mask)) / 2
    np.testing.assert_allclose(ensemble.logits(ids, mask), want, rtol=1e-5, atol=1e-4)
    assert not np.allclose(first.logits(ids, mask), second.logits(ids, mask), atol=0.1)  # members differ
    readings = ensemble.read(QUESTION, PASSAGES)
    assert [r.passage for r in readings] == [0, 1]
    for r in readings:  # the reported margin is the mean logits' span score over their "no answer"
        assert PASSAGES[r.passage][r.start : r.end]
        assert r.margin == pytest.approx(r.score - r.null)
    # the first member's metadata is the ensemble's, not the second's
    assert (ensemble.threshold, ensemble.read_more) == (first.threshold, first.read_more)


def test_an_ensemble_of_one_reads_as_that_reader() -> None:
    alone = Reader(default_weights()).read(QUESTION, PASSAGES)
    ensemble = ensemble_reader.EnsembleReader([default_weights()]).read(QUESTION, PASSAGES)
    assert [(r.passage, r.start, r.end) for r in ensemble] == [(r.passage, r.start, r.end) for r in alone]
    assert [r.margin for r in ensemble] == pytest.approx([r.margin for r in alone], abs=1e-4)


def test_usage_without_members_or_mode_says_how() -> None:
    for argv in ([], ["a.safetensors"], ["a.safetensors", "--"]):
        with pytest.raises(SystemExit) as stop:
            ensemble_reader.main(argv)
        assert "ensemble_reader.py" in str(stop.value)
    with pytest.raises(SystemExit, match="unknown mode 'train'"):
        ensemble_reader.main(["a.safetensors", "--", "train"])


def test_tuning_must_write_to_the_first_member(other: Path) -> None:
    """The threshold --write stores is read from the first member: tuning another file is refused."""
    first = str(default_weights())
    for weights in ([], ["--weights", str(other)]):
        with pytest.raises(SystemExit) as stop:
            ensemble_reader.main([first, str(other), "--", "tune", "held_out.json", *weights])
        assert f"--weights {first}" in str(stop.value)
    assert reader_answers.Reader is Reader  # refused before anything was patched
