"""Choose how the hybrid retriever fuses dense and BM25 rankings, on training data only.

Two steps, so the slow part (searching) runs once and the choice can be re-run in seconds:

    python scripts/tune_fusion.py collect   # dense and BM25 top-100, with scores, per question
    python scripts/tune_fusion.py tune      # every fusion candidate on the tuning sets

The tuning sets are the ones we may train on: CMRC 2018 trial and DRCD test (under
``../shared/datasets/train/``) and our own ``eval/questions.jsonl``. CMRC 2018 dev is collected too,
but only so ``tune`` can print the chosen method's figures on it next to the others; it never takes
part in the choice (``--report-only``).

A candidate wins when, on every tuning set, it is at least as good as the better single retriever on
recall@1, recall@5 and MRR@10 (article level, as ``qa eval`` ranks them); among those, the best
recall@1 pooled over all their questions. The winner's parameters go into ``qa/retrieve/fusion.py`` by hand.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.evaluate.metrics import mrr_at, recall_at  # noqa: E402
from qa.retrieve.fusion import FUSION_DEPTH, FusionParams, fuse  # noqa: E402

TRAIN = ROOT.parent / "shared" / "datasets" / "train"
SETS = {  # name: (kind, file)
    "cmrc_trial": ("squad", TRAIN / "cmrc2018_trial.json"),
    "drcd_test": ("squad", TRAIN / "drcd_test.json"),
    "ours": ("questions", ROOT / "eval" / "questions.jsonl"),
    "cmrc_dev": ("squad", ROOT.parent / "shared" / "datasets" / "cmrc2018" / "cmrc2018_dev.json"),
}
REPORT_ONLY = ("cmrc_dev",)
DEPTH = 100
OUT = ROOT / "runs" / "fusion"
BEFORE = FusionParams("rrf", 0.5, 60)  # the fusion the hybrid retriever used before this tuning


def collect(names: list[str]) -> None:
    """Dense and BM25 top-DEPTH chunk ids and scores for every question with a gold article."""
    from qa.config import default_settings
    from qa.evaluate import cached_index, load_questions, load_squad
    from qa.index import ensure_index
    from qa.index.embedders import load_embedder
    from qa.retrieve.retrievers import BM25Retriever, DenseRetriever

    OUT.mkdir(parents=True, exist_ok=True)
    settings = default_settings()
    for name in names:
        kind, path = SETS[name]
        if kind == "squad":
            squad = load_squad(path)
            index, items = cached_index(path, squad, settings).index, list(squad.items)
        else:
            index = ensure_index(settings.with_(index_dir=OUT / "ours-index"))
            items = load_questions(path)[0]
        dense = DenseRetriever(index, load_embedder(index.meta["embedder"]))
        bm25 = BM25Retriever(index)
        rows = []
        for n, item in enumerate(items):
            if not item.article_id:
                continue  # unanswerable: no gold article to rank
            rows.append({"id": item.id, "gold": item.article_id, "runs": {
                r.name: [[h.chunk.id, h.chunk.article_id, round(h.score, 5)] for h in r.search(item.question, DEPTH)]
                for r in (dense, bm25)}})
            if n % 200 == 0:
                print(f"{name}: {n}/{len(items)}", flush=True)
        (OUT / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        print(f"{name}: {len(rows)} questions written", flush=True)


def metrics(rows: list[dict], ranking) -> dict[str, float]:
    """recall@1, recall@5 and MRR@10 of the gold article in ``ranking(row)`` (article ids, best first,
    an article's first place counting), as `qa eval` computes them."""
    ranks = []
    for row in rows:
        articles = list(dict.fromkeys(ranking(row)))  # distinct, in the order of their best chunk
        ranks.append(articles.index(row["gold"]) + 1 if row["gold"] in articles else None)
    return {"r1": recall_at(ranks, 1), "r5": recall_at(ranks, 5), "mrr": mrr_at(ranks, 10)}


def single(name: str):
    return lambda row: [a for _, a, _ in row["runs"][name]]


def fused(params: FusionParams):
    """Chunks fused as the hybrid retriever fuses them, then ranked by article (best chunk first)."""
    def ranking(row: dict) -> list[str]:
        article = {c: a for hits in row["runs"].values() for c, a, _ in hits}
        runs = {name: ([c for c, _, _ in hits[:FUSION_DEPTH]], [s for _, _, s in hits[:FUSION_DEPTH]])
                for name, hits in row["runs"].items()}
        return [article[c] for c, _ in fuse(runs["dense"], runs["bm25"], params)]
    return ranking


def candidates() -> list[FusionParams]:
    out = [FusionParams("rrf", weight=w, k=k) for w in (0.3, 0.4, 0.5, 0.6, 0.7) for k in (10, 30, 60)]
    out += [FusionParams("convex", weight=w) for w in (0.3, 0.4, 0.5, 0.6, 0.7)]
    out += [FusionParams("confidence", weight=w, k=k, sharpness=s)
            for w, k, s in itertools.product((0.4, 0.5, 0.6), (10, 30, 60), (0.5, 1.0, 2.0, 4.0))]
    return out


def tune(names: list[str]) -> None:
    data = {n: json.loads((OUT / f"{n}.json").read_text(encoding="utf-8")) for n in names
            if (OUT / f"{n}.json").exists()}
    tuning = [n for n in data if n not in REPORT_ONLY]
    base = {n: {r: metrics(rows, single(r)) for r in ("dense", "bm25")} for n, rows in data.items()}
    best_single = {n: {m: max(b["dense"][m], b["bm25"][m]) for m in ("r1", "r5", "mrr")} for n, b in base.items()}
    results = []
    for params in candidates():
        scores = {n: metrics(data[n], fused(params)) for n in tuning}
        margin = min(scores[n][m] - best_single[n][m] for n in tuning for m in ("r1", "r5", "mrr"))
        # Pooled over the questions, not averaged over sets: one question of our 138 must not weigh
        # as much as 25 of DRCD's 3,486.
        mean_r1 = sum(scores[n]["r1"] * len(data[n]) for n in tuning) / sum(len(data[n]) for n in tuning)
        results.append((margin >= 0, mean_r1, margin, params, scores))
    results.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    print("tuning sets:", ", ".join(tuning), "| best single (r1/r5/mrr):",
          "; ".join(f"{n} {v['r1']:.4f}/{v['r5']:.4f}/{v['mrr']:.4f}" for n, v in best_single.items()))
    for ok, mean_r1, margin, params, scores in results[:15]:
        per_set = " ".join(f"{n} {v['r1']:.4f}" for n, v in scores.items())
        print(f"{'ok ' if ok else 'no '} pooled r1 {mean_r1:.4f} margin {margin:+.4f} [{per_set}] {params}")
    chosen = results[0][3]
    print(f"\nchosen: {chosen}\n")
    print("| set | metric | hybrid | dense | bm25 | hybrid before (equal-weight RRF) |\n|---|---|---:|---:|---:|---:|")
    for n, rows in data.items():
        hybrid, before = metrics(rows, fused(chosen)), metrics(rows, fused(BEFORE))
        for m, label in (("r1", "recall@1"), ("r5", "recall@5"), ("mrr", "MRR@10")):
            print(f"| {n}{' (not tuned on)' if n in REPORT_ONLY else ''} | {label} | {hybrid[m]:.4f} | "
                  f"{base[n]['dense'][m]:.4f} | {base[n]['bm25'][m]:.4f} | {before[m]:.4f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=("collect", "tune"))
    p.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    args = p.parse_args()
    names = [n for n in args.sets.split(",") if n]
    collect(names) if args.step == "collect" else tune(names)


if __name__ == "__main__":
    main()
