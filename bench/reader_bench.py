"""Warm `qa ask` latency with the learned reader, beside its floor, measured in one run.

    python bench/reader_bench.py [--questions eval/questions.jsonl] [--index embeddings] [--rounds 1]

Prints, for the questions of the set asked in the same process, with the encoder layers of the
query embedder and of the reader on each runtime (ONNX Runtime, which ships, and the NumPy pass it
replaced, bench/numpy_encoder.py): the p50/p95 of a whole warm `ask`, the p50 of embedding the
question alone, the p50 of one reader pass over the passage the ask reads first (its best retrieved
chunk, after its article's headline and date, as the ask reads it), and the ask's p50 over their sum
(the floor a reader answer cannot go under); then the share of questions answered after reading one
passage; whether torch was imported; and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from numpy_encoder import NumpyLayers  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.evaluate import load_questions  # noqa: E402
from qa.index import ensure_index, load_embedder  # noqa: E402
from qa.pipeline import answerer_for  # noqa: E402
from qa.questions import analyse  # noqa: E402


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    p.add_argument("--corpus", default=str(ROOT / "corpus"))
    p.add_argument("--index", default=str(ROOT / "embeddings"))
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()

    settings = Settings(corpus_dir=Path(args.corpus), index_dir=Path(args.index))
    index = ensure_index(settings, quiet=True)
    items, _ = load_questions(Path(args.questions))
    questions = [i.question for i in items] * args.rounds
    reader = answerer_for(index, settings)
    embedder = load_embedder(index.meta["embedder"])
    learned = reader.reader
    for q in questions[:3]:  # warm-up: first calls load jieba, the reader's weights, caches
        reader.ask(q)

    # What each ask reads first: the first of its own hits (same search depth, reprints collapsed).
    firsts = [(analyse(q), list(reader.ask_traced(q).hits[:1])) for q in questions]
    encoders = [embedder._model.encoder, learned.reader.encoder]
    from safetensors.numpy import load_file

    reader_weights = {k: v.astype("float32") for k, v in load_file(str(learned.reader.path)).items()}
    runtimes = {"onnxruntime": [e.layers for e in encoders],
                "numpy": [NumpyLayers(encoders[0]), NumpyLayers(encoders[1], reader_weights)]}
    result: dict = {"questions": len(questions)}
    for name, layers in runtimes.items():
        for encoder, runner in zip(encoders, layers, strict=True):
            encoder.layers = runner
        reader.ask(questions[0])
        ask_reader = [timed(lambda q=q: reader.ask(q)) for q in questions]
        embed = [timed(lambda q=q: embedder.embed_queries([q])) for q in questions]
        one_pass = [timed(lambda f=f: learned.read_passages(*f)) for f in firsts]
        result[name] = {"ask_p50_ms": pct(ask_reader, 0.5), "ask_p95_ms": pct(ask_reader, 0.95),
                        "query_embedding_p50_ms": pct(embed, 0.5), "one_reader_pass_p50_ms": pct(one_pass, 0.5),
                        "ask_over_floor": round(pct(ask_reader, 0.5) / (pct(embed, 0.5) + pct(one_pass, 0.5)), 2)}
    for encoder, runner in zip(encoders, runtimes["onnxruntime"], strict=True):
        encoder.layers = runner
    first_only = 0
    for q in questions:
        hits = reader.retriever.search(q, 8)
        found = learned.candidates(analyse(q), hits)
        first_only += all(c.hit is hits[0] for c in found)
    result.update({
        "answered_after_one_passage": round(first_only / len(questions), 3),
        "torch_imported": "torch" in sys.modules,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
