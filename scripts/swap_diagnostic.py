"""How often the reader declines a held-out question once a name, year, number or ordinal its
paragraph mentions is swapped for one the paragraph lacks (SQuAD 2.0's entity swap), and how often
it declines the original question; each read against its own paragraph alone, at the threshold
stored in the weights (scripts/tune_reader.py --write). Held-out TRAINING questions only.

    python scripts/swap_diagnostic.py runs/reader/cmrc_train_holdout.json WEIGHTS [WEIGHTS ...]

The swap-ins are drawn from the training questions' names, as in training, but the questions and
paragraphs swapped are held out, and the draw uses its own seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reader_data import load_sets, name_pool, swapped  # noqa: E402

from qa.read.reader import Reader  # noqa: E402


def swap_pairs(held: Path, data: Path, seed: int) -> tuple[list[tuple[str, str, str]], int]:
    """(paragraph, question, swapped question) for every held-out question that has something to swap."""
    _, questions, _ = load_sets(data, 300, 400, 13)  # the training split of train_reader.py's defaults
    pool = name_pool(questions)
    rng = random.Random(seed)
    pairs, total = [], 0
    for article in json.loads(held.read_text(encoding="utf-8"))["data"]:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                total += 1
                other = swapped(qa["question"], p["context"], pool, rng)
                if other is not None:
                    pairs.append((p["context"], qa["question"], other))
    return pairs, total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("held_out", type=Path, help="held-out SQuAD-format file (written by train_reader.py)")
    p.add_argument("weights", type=Path, nargs="+")
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/datasets/train")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    pairs, total = swap_pairs(args.held_out, args.data, args.seed)
    print(f"{len(pairs)} of {total} held-out questions have a name, year, number or ordinal to swap")
    for weights in args.weights:
        reader = Reader(weights)
        declined = [(reader.read(q, [c])[0].margin < reader.threshold_for(c),
                     reader.read(s, [c])[0].margin < reader.threshold_for(c)) for c, q, s in pairs]
        original = sum(d for d, _ in declined) / len(pairs)
        after = sum(d for _, d in declined) / len(pairs)
        print(f"{weights}: threshold {reader.threshold:g}, declined after the swap {after:.3f}, "
              f"originals declined {original:.3f}", flush=True)


if __name__ == "__main__":
    main()
