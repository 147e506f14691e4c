"""Averaging readers' weights (scripts/average_readers.py): a weight of 1 on one reader gives that
reader bit for bit, others give the element-wise weighted mean, and the result is a reader `qa` can
load and read with exactly as with its ingredients when they are the same."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import average_readers  # noqa: E402
import weights_file  # noqa: E402

from qa.read import Reader  # noqa: E402
from qa.read.reader import default_weights, tensors_sha256  # noqa: E402


def _tensors(path: Path) -> dict[str, np.ndarray]:
    return weights_file.load(path)[0]


def _readers(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(5)
    a = {"x": rng.normal(size=(4, 3)).astype(np.float16), "y": rng.normal(size=7).astype(np.float16)}
    out = []
    for i, (scale, shift) in enumerate([(1, 0), (3, 1), (-2, 0.5)]):
        path = tmp_path / f"r{i}.safetensors"
        save_file({k: (v * scale + shift).astype(np.float16) for k, v in a.items()}, str(path),
                  metadata={"step": str(10 + i), "threshold": str(-2 - i)})
        out.append(path)
    return out


@pytest.mark.parametrize("weights", [None, [1, 0, 0], [0, 0, 2], [0.7, 0.3, 0], [1, 2, 3]])
def test_each_tensor_is_the_weighted_mean(tmp_path: Path, weights: list[float] | None) -> None:
    paths = _readers(tmp_path)
    out = tmp_path / "mix.safetensors"
    given = ["--weights", *map(str, weights)] if weights else []
    assert average_readers.main([*map(str, paths), *given, "--out", str(out)]) == 0
    inputs, mix = [_tensors(p) for p in paths], _tensors(out)
    w = np.array(weights or [1, 1, 1], dtype=np.float64)
    w /= w.sum()
    for name in inputs[0]:
        assert mix[name].dtype == np.float16
        want = sum(wi * t[name].astype(np.float32) for wi, t in zip(w, inputs))
        np.testing.assert_allclose(mix[name].astype(np.float32), want, rtol=2e-3, atol=2e-3)
    if weights and np.count_nonzero(w) == 1:  # all weight on one reader: that reader, bit for bit
        only = inputs[int(np.flatnonzero(w)[0])]
        assert all(np.array_equal(mix[k], only[k]) for k in only)
    with safe_open(str(out), framework="numpy") as f:
        assert f.metadata()["threshold"] == "-2"  # the first's, until tune_reader.py chooses again
    assert not list(tmp_path.glob("*.tmp"))


def test_readers_that_do_not_match_are_refused(tmp_path: Path) -> None:
    a = _readers(tmp_path)[0]
    other = tmp_path / "other.safetensors"
    save_file({"x": np.zeros((4, 3), np.float16)}, str(other))
    out = tmp_path / "mix.safetensors"
    with pytest.raises(SystemExit, match="different tensors"):
        average_readers.main([str(a), str(other), "--out", str(out)])
    save_file({"x": np.zeros((3, 4), np.float16), "y": np.zeros(7, np.float16)}, str(other))
    with pytest.raises(SystemExit, match="shapes differ"):
        average_readers.main([str(a), str(other), "--out", str(out)])
    with pytest.raises(SystemExit, match="one non-negative number per reader"):
        average_readers.main([str(a), str(a), "--weights", "1", "--out", str(out)])
    with pytest.raises(SystemExit, match="at least two"):
        average_readers.main([str(a), "--out", str(out)])
    assert not out.exists()


def test_the_shipped_reader_averaged_with_itself_reads_the_same(tmp_path: Path) -> None:
    shipped = default_weights()
    out = tmp_path / "self.safetensors"
    average_readers.main([str(shipped), str(shipped), "--weights", "0.4", "0.6", "--out", str(out)])
    passages = ["本次会议应到委员248名，实到231名，符合规定人数。", "区政协主席孙月东作常务委员会工作报告。"]
    want = Reader(shipped).read("会议实到委员多少名？", passages)
    got = Reader(out).read("会议实到委员多少名？", passages)
    assert [(r.start, r.end) for r in got] == [(r.start, r.end) for r in want]
    np.testing.assert_allclose([r.margin for r in got], [r.margin for r in want], rtol=0, atol=1e-6)


def test_the_tensors_digest_ignores_the_header_but_not_a_weight(tmp_path: Path) -> None:
    path = _readers(tmp_path)[0]
    tensors, before = _tensors(path), tensors_sha256(path)
    for i, meta in enumerate([{"threshold": "-2", "step": "10", "x": "1"}, {}]):
        again = tmp_path / f"again{i}.safetensors"
        save_file(tensors, str(again), metadata=meta)
        assert tensors_sha256(again) == before
    tensors["y"][3] += np.float16(0.5)
    save_file(tensors, str(tmp_path / "changed.safetensors"))
    assert tensors_sha256(tmp_path / "changed.safetensors") != before
