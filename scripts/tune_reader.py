"""Choose the reader's abstention threshold, and how many passages it reads after the first, on
held-out TRAINING questions (never on a test set).

For each held-out question, the hybrid retriever ranks the open corpus of held-out paragraphs
twice: as is, and with the question's own paragraph removed (its answer is then not in the
corpus). The reader reads the first five passages of each ranking. For each number of further
passages (1 to 4, `read_more` with the weights), the threshold is the highest margin
that keeps false abstentions on answerable questions at or under --max-false (default 4%): above
it every extra point of abstention would be paid with answerable questions. Of those, the one that
abstains most where the answer is absent is chosen (then the higher F1, then fewer passages).

    python scripts/tune_reader.py runs/reader/cmrc_train_holdout.json --weights WEIGHTS [--write]
    python scripts/tune_reader.py runs/reader/drcd_holdout.json --weights WEIGHTS --traditional [--write]

With --write the threshold and the number of further passages are stored in the weights file's
metadata (`threshold`, `read_more`; tensors unchanged): the answerer reads both from there.
--traditional chooses, by the same false-abstention bound and at the stored `read_more`, the
threshold for traditional-script passages (`threshold_traditional`): the reader learnt mostly from
simplified text and its margins on traditional text sit lower. The held-out traditional questions
are also the ones the traditional-script F1 is reported on, so it prints an honest estimate too:
two folds split by paragraph, each measured at the threshold the other chose. --rows keeps the
readings, so other bounds can be tried without reading again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from qa.config import default_settings
from qa.evaluate.metrics import cmrc_em, cmrc_f1
from qa.evaluate.squad import cached_index, load_squad
from qa.index import load_embedder
from qa.questions import analyse
from qa.read.reader import Reader
from qa.read.reader_answers import LearnedReader
from qa.retrieve import make_retriever

MORE = (1, 2, 3, 4)  # passages read after the first, tried


def readings(data: Path, weights: Path, limit: int | None, context: int | None = None) -> list[dict]:
    squad = load_squad(data, limit)
    cached = cached_index(data, squad, default_settings(), quiet=True)
    index = cached.index
    retriever = make_retriever("hybrid", index, load_embedder(index.meta["embedder"]))
    reader = LearnedReader(index.articles, Reader(weights), threshold=0.0, more=max(MORE), context=context)
    everything = set(index.articles)
    rows = []
    for n, item in enumerate(squad.items):
        q = analyse(item.question)
        for dropped in (False, True):
            allowed = everything - {item.article_id} if dropped else None
            hits = retriever.search(q.text, 8, allowed)
            found = reader.candidates(q, hits, stop_early=False)
            first = [c for c in found if c.hit is hits[0]] if hits else []
            rows.append({
                "id": item.id, "article": item.article_id, "dropped": dropped,
                "first": _row(first[0], index, item.answers, hits) if first else None,
                "all": [_row(c, index, item.answers, hits) for c in found],
            })
        if n % 50 == 0:
            print(f"{n}/{len(squad.items)}", file=sys.stderr, flush=True)
    return rows


def _row(c, index, answers, hits) -> dict:
    text = index.articles[c.hit.chunk.article_id].text[c.start:c.end]
    return {"margin": c.reading.margin, "answer": text, "em": cmrc_em(text, answers), "f1": cmrc_f1(text, answers),
            "rank": next(i for i, h in enumerate(hits) if h is c.hit)}


def simulate(rows: list[dict], threshold: float, more: int) -> dict:
    """What the answerer would do at this threshold: the first passage if it clears it, else the best
    of the first 1 + ``more``."""
    ans = [r for r in rows if not r["dropped"]]
    drop = [r for r in rows if r["dropped"]]

    def pick(r):
        if r["first"] and r["first"]["margin"] >= threshold:
            return r["first"]
        best = max((x for x in r["all"] if x["rank"] <= more), key=lambda x: x["margin"], default=None)
        return best if best and best["margin"] >= threshold else None

    picks = [pick(r) for r in ans]
    return {
        "more": more,
        "threshold": round(threshold, 3),
        "f1": round(float(np.mean([p["f1"] if p else 0.0 for p in picks])), 4),
        "em": round(float(np.mean([p["em"] if p else 0.0 for p in picks])), 4),
        "false_abstain": round(float(np.mean([p is None for p in picks])), 4),
        "dropped_abstain": round(float(np.mean([pick(r) is None for r in drop])), 4),
    }


def thresholds(rows: list[dict], step: float = 0.25) -> np.ndarray:
    """The margins tried: from below the lowest margin seen (a reader trained on many "no answer"
    examples can score right answers far under 0; every reader must reach its false-abstention
    bound) up to 16, where nearly everything is abstained."""
    margins = [x["margin"] for r in rows for x in r["all"]]
    low = min(-8.0, float(np.floor(min(margins, default=0.0))) - step)
    return np.arange(low, 16.0 + step / 2, step)


def sweep_of(rows: list[dict], more: int) -> list[dict]:
    """The answerer simulated at every threshold tried, reading ``more`` passages after the first."""
    return [simulate(rows, t, more) for t in thresholds(rows)]


def highest_ok(part: list[dict], max_false: float) -> dict:
    """Of one read_more's sweep, the highest threshold whose false abstentions stay within
    ``max_false`` (else the fewest)."""
    ok = [s for s in part if s["false_abstain"] <= max_false]
    return max(ok, key=lambda s: s["threshold"]) if ok else min(part, key=lambda s: s["false_abstain"])


def cross_fitted(rows: list[dict], more: int, max_false: float) -> dict:
    """An honest estimate of choosing the threshold on these questions: two folds split by paragraph,
    each measured at the threshold chosen on the other (pooled over both)."""
    fold = {r["article"]: int(hashlib.sha1(r["article"].encode()).hexdigest(), 16) % 2 for r in rows}
    pooled: dict[str, float] = {}
    chosen = []
    for f in (0, 1):
        mine = [r for r in rows if fold[r["article"]] == f]
        other = [r for r in rows if fold[r["article"]] != f]
        threshold = highest_ok(sweep_of(other, more), max_false)["threshold"]
        chosen.append(threshold)
        got = simulate(mine, threshold, more)
        n_ans = sum(not r["dropped"] for r in mine)
        n_drop = len(mine) - n_ans
        for key, n in (("f1", n_ans), ("em", n_ans), ("false_abstain", n_ans), ("dropped_abstain", n_drop)):
            pooled[key] = pooled.get(key, 0.0) + got[key] * n
    n_ans = sum(not r["dropped"] for r in rows)
    n_drop = len(rows) - n_ans
    return {"more": more, "thresholds": chosen,
            **{k: round(v / (n_drop if k == "dropped_abstain" else n_ans), 4) for k, v in pooled.items()}}


def traditional(rows: list[dict], args: argparse.Namespace) -> int:
    """--traditional: only the threshold for traditional-script passages, at the stored read_more."""
    from weights_file import metadata

    more = int(metadata(args.weights).get("read_more") or max(MORE))
    chosen = highest_ok(sweep_of(rows, more), args.max_false)
    report = json.dumps({"chosen": chosen, "cross_fitted": cross_fitted(rows, more, args.max_false)}, indent=1)
    print(report)
    if args.out:
        args.out.write_text(report)
    if args.write:
        store(args.weights, threshold_traditional=chosen["threshold"])
    return 0


def store(weights: Path, **keys) -> None:
    """Write ``keys`` into the weights file's metadata (tensors unchanged) and say so."""
    from weights_file import load, save

    tensors, meta = load(weights)
    meta.update({k: str(v) for k, v in keys.items()})
    save(weights, tensors, meta)
    print(", ".join(f"{k} {v}" for k, v in keys.items()), f"written to {weights}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path, help="held-out SQuAD-format file (written by train_reader.py)")
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--max-false", type=float, default=0.04)
    p.add_argument("--write", action="store_true", help="store the threshold and read_more in the weights' metadata")
    p.add_argument("--out", type=Path, help="write the sweep as JSON here")
    p.add_argument("--context-chars", type=int,
                   help="read each passage widened by whole sentences of its article to this many characters "
                   "(default: as the weights say, else the chunk alone); stored with --write")
    p.add_argument("--traditional", action="store_true",
                   help="the questions are in traditional script: choose only the threshold for traditional-script "
                   "passages (stored as threshold_traditional), at the weights' read_more, and print a cross-fitted "
                   "estimate of it")
    p.add_argument("--rows", type=Path, help="keep the readings (margins, answers, scores) as JSON here, and reuse "
                   "them when the file exists: other thresholds are then tried without reading again")
    args = p.parse_args(argv)
    if args.rows and args.rows.is_file():
        rows = json.loads(args.rows.read_text())
    else:
        rows = readings(args.data, args.weights, args.limit, args.context_chars)
        if args.rows:
            args.rows.write_text(json.dumps(rows, ensure_ascii=False))
    if args.traditional:
        return traditional(rows, args)
    sweep, best = [], []
    for more in MORE:
        part = sweep_of(rows, more)
        best.append(highest_ok(part, args.max_false))
        sweep += part
    chosen = max(best, key=lambda s: (s["dropped_abstain"], s["f1"], -s["more"]))
    for s in sweep:
        print(json.dumps(s), "<- chosen" if s is chosen else "<- best of its read_more" if s in best else "")
    if args.out:
        args.out.write_text(json.dumps({"chosen": chosen, "sweep": sweep}, indent=1))
    if args.write:
        extra = {} if args.context_chars is None else {"context_chars": args.context_chars}
        store(args.weights, threshold=chosen["threshold"], read_more=chosen["more"], **extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
