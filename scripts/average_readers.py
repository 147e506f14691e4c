"""Average the weights of fine-tuned readers that share their starting point (a "model soup").

Wortsman et al., "Model soups: averaging weights of multiple fine-tuned models improves accuracy
without increasing inference time" (ICML 2022), and "Robust fine-tuning of zero-shot models"
(WiSE-FT, CVPR 2022): models fine-tuned from the same weights lie in one basin, and a weighted
average of them often keeps what each does well. Here the readers are one run and the same run
trained further with more "no answer" examples: the average trades between answering and
abstaining without another training run, at no cost when answering.

    python scripts/average_readers.py A.safetensors B.safetensors [C.safetensors ...] \
        [--weights 1 1 ...] --out OUT.safetensors

Every tensor becomes the weighted mean of the inputs' (weights normalised to sum to 1; equal by
default), computed in float32 and stored as float16 like the inputs. The threshold is not averaged:
choose it again with scripts/tune_reader.py --write.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from weights_file import load, save


def average(readers: list[dict[str, np.ndarray]], shares: list[float]) -> dict[str, np.ndarray]:
    """Each tensor's mean over the readers, reader i counting ``shares[i]`` (they sum to 1)."""
    first = readers[0]
    for other in readers[1:]:
        if other.keys() != first.keys():
            raise SystemExit(f"the readers hold different tensors: {sorted(first.keys() ^ other.keys())[:5]}")
        for name, x in first.items():
            if other[name].shape != x.shape:
                raise SystemExit(f"{name}: shapes differ ({x.shape} vs {other[name].shape})")
    out = {}
    for name, x in first.items():
        mixed = sum(share * r[name].astype(np.float32) for r, share in zip(readers, shares))
        out[name] = mixed.astype(x.dtype)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("readers", type=Path, nargs="+", help="float16 safetensors written by train_reader.py --export")
    p.add_argument("--weights", type=float, nargs="+", help="one per reader (default: equal)")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    weights = args.weights or [1.0] * len(args.readers)
    if len(args.readers) < 2:
        raise SystemExit("give at least two readers to average")
    if len(weights) != len(args.readers) or min(weights) < 0 or sum(weights) <= 0:
        raise SystemExit("--weights needs one non-negative number per reader, not all zero")
    shares = [w / sum(weights) for w in weights]
    loaded = [load(path) for path in args.readers]
    meta = {"averaged": " + ".join(f"{share:.3g} x {path} (step {m.get('step', '?')})"
                                   for path, share, (_, m) in zip(args.readers, shares, loaded)),
            "threshold": loaded[0][1].get("threshold", "0.0")}
    save(args.out, average([t for t, _ in loaded], shares), meta)
    print(f"{args.out}: {meta['averaged']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
