"""Where a build embeds (`qa build --device`): the CPU unless a GPU is there and asked for or worth
it; "cuda" without one is one sentence and leaves the index as it was; the CPU path imports no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import qa.encoder.devices as devices
from qa.cli import main
from qa.errors import ModelError, SettingsError


def test_auto_takes_a_gpu_only_for_a_large_build_and_cpu_never(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    assert devices.resolve_device("auto", 10**6) == "cuda" and devices.resolve_device("cuda", 1) == "cuda"
    assert devices.resolve_device("auto", devices.GPU_MIN_CHUNKS - 1) == "cpu"
    assert devices.resolve_device("cpu", 10**6) == "cpu" and devices.resolve_device("auto", 0) == "cpu"
    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    assert devices.resolve_device("auto", 10**6) == "cpu"
    with pytest.raises(ModelError, match=r"^--device cuda needs torch with a CUDA GPU.*--device cpu") as err:
        devices.resolve_device("cuda", 10)
    assert "\n" not in str(err.value)
    with pytest.raises(SettingsError, match="not a device"):
        devices.resolve_device("tpu", 10)


def test_choosing_the_cpu_or_a_small_build_never_imports_torch():
    code = ("import sys\nfrom qa.encoder.devices import resolve_device\n"
            "assert resolve_device('cpu', 10**6) == 'cpu' and resolve_device('auto', 10) == 'cpu'\n"
            "assert 'torch' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


def test_build_on_a_missing_gpu_is_one_sentence_and_changes_nothing(small_corpus, tmp_path, monkeypatch, capsys,
                                                                   fake_embedder):
    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    index = tmp_path / "index"
    assert main(["build", "--corpus", str(small_corpus), "--index", str(index), "--device", "cpu", "--quiet"]) == 0
    before = sorted(p.name for p in index.rglob("*"))
    (small_corpus / "new.md").write_text("---\ntitle: 新文章\n---\n青石镇召开新闻发布会，会议由镇长主持。\n",
                                         encoding="utf-8")
    assert main(["build", "--corpus", str(small_corpus), "--index", str(index), "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("qa: --device cuda needs torch with a CUDA GPU")
    assert sorted(p.name for p in index.rglob("*")) == before
