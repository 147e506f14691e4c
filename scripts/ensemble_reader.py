"""Measure a logit ensemble of readers with the project's own tools: `tune_reader.py`, `qa eval` or
`bench/reader_bench.py`, run with a reader whose start and end logits are the mean of several
weight files' (then the usual span search and margin over "no answer").

    python scripts/ensemble_reader.py A.safetensors B.safetensors [...] -- tune HELD_OUT.json --weights A.safetensors
    python scripts/ensemble_reader.py A.safetensors B.safetensors [...] -- qa eval --squad FILE.json ...
    python scripts/ensemble_reader.py A.safetensors B.safetensors [...] -- bench [--rounds N]

The first file's metadata (threshold, read_more) is the ensemble's: tune with --weights on it.
Averaging predictions of independently trained networks calibrates them better than any one
(Lakshminarayanan et al., "Simple and scalable predictive uncertainty estimation using deep
ensembles", NeurIPS 2017); unlike a weight average (`average_readers.py`), it costs one encoder
pass per member. A research tool: the answerer ships one reader (models/README.md says why).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qa.read.reader_answers as reader_answers  # noqa: E402
from qa.read.reader import Reader  # noqa: E402


class EnsembleReader(Reader):
    """The first file's reader (and metadata), reading with every member's mean logits."""

    def __init__(self, paths: list[Path]):
        super().__init__(paths[0])
        self.others = [Reader(p) for p in paths[1:]]

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        own = super().logits(ids, mask)
        return (own + sum(other.logits(ids, mask) for other in self.others)) / (1 + len(self.others))


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == 0 or len(argv) <= argv.index("--") + 1:
        raise SystemExit(__doc__)
    cut = argv.index("--")
    paths = [Path(p) for p in argv[:cut]]
    mode, rest = argv[cut + 1], argv[cut + 2 :]

    if mode not in ("tune", "qa", "bench"):
        raise SystemExit(f"unknown mode {mode!r}: tune, qa or bench")
    if mode == "tune":
        given = rest[rest.index("--weights") + 1] if "--weights" in rest[:-1] else None
        if given is None or Path(given).resolve() != paths[0].resolve():
            # --write stores the threshold in --weights, and the ensemble reads it from its first member
            raise SystemExit(f"tune needs --weights {paths[0]} (the first member, whose metadata the ensemble reads)")

    def ensemble(_weights=None) -> EnsembleReader:  # every reader built from here on is the ensemble
        return EnsembleReader(paths)

    reader_answers.Reader = ensemble
    if mode == "tune":
        sys.path.insert(0, str(ROOT / "scripts"))
        import tune_reader

        tune_reader.Reader = ensemble
        return tune_reader.main(rest)
    if mode == "qa":
        from qa.cli import main as qa_main

        return qa_main(rest)
    sys.argv = ["reader_bench.py", *rest]
    runpy.run_path(str(ROOT / "bench" / "reader_bench.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
