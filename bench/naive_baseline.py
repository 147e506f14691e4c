"""Naive baseline for the question set: the top BM25 sentence of the corpus is the answer.

    python bench/naive_baseline.py [--questions eval/questions.jsonl] [--corpus corpus]

Prints the share of answerable questions whose gold answer lies in that sentence (the same test
as `correct` in `qa eval`, which never abstains here), beside the same figure for `qa`'s answerer
on the same questions, measured in the same run. Also the warm latency of the answerer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.evaluate import load_questions  # noqa: E402
from qa.ingest import load_corpus  # noqa: E402
from qa.pipeline import open_answerer  # noqa: E402
from qa.text.sentences import sentence_spans  # noqa: E402
from qa.text.tokens import tokenize  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    p.add_argument("--corpus", default=str(ROOT / "corpus"))
    p.add_argument("--index", default=str(ROOT / "embeddings"))
    args = p.parse_args()

    import bm25s

    articles = load_corpus(Path(args.corpus)).articles
    sentences = [a.text[s:e] for a in articles for s, e in sentence_spans(a.text)]
    bm25 = bm25s.BM25()
    bm25.index([tokenize(s) or [""] for s in sentences], show_progress=False)
    items, _ = load_questions(Path(args.questions))
    answerable = [i for i in items if i.answers]

    naive_hits = 0
    for item in answerable:
        scores = bm25.get_scores(tokenize(item.question))
        top = sentences[int(scores.argmax())]
        naive_hits += any(g in top for g in item.answers)

    answerer = open_answerer(Settings(corpus_dir=Path(args.corpus), index_dir=Path(args.index)), quiet=True)
    answerer.ask(answerable[0].question)  # warm up
    ours, latencies = 0, []
    for item in answerable:
        started = time.perf_counter()
        answer = answerer.ask(item.question)
        latencies.append((time.perf_counter() - started) * 1000)
        first = answer.quotes[0].text if answer.quotes else ""
        ours += not answer.abstained and any(g in answer.answer or g in first for g in item.answers)

    n = len(answerable)
    print(f"answerable questions            {n}")
    print(f"naive top BM25 sentence correct {naive_hits / n:.3f} ({naive_hits}/{n})")
    print(f"qa hybrid answerer correct      {ours / n:.3f} ({ours}/{n})")
    print(f"qa warm ask latency ms          p50 {statistics.median(latencies):.1f}  "
          f"max {max(latencies):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
