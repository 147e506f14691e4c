"""How the index scales: build, size on disk, page-ready load, memory and query time at 10^4..10^6 chunks.

    python bench/scale_bench.py                        # 10^4, 10^5 and 10^6 chunks (the last takes long)
    python bench/scale_bench.py --max-chunks 100000    # a quicker run: sizes above it are left out
    python bench/scale_bench.py --files 100000         # checking an archive of one file per article
    python bench/scale_bench.py --real-vectors --sizes 20000   # vectors from the real encoder (slow)

Text: articles made of real sentences (the paragraphs of the training sets under
../shared/datasets/train and the bundled corpus), drawn at random and recombined, so BM25 sees a
realistic vocabulary and document frequencies at every size; chunked by the real chunker.
Vectors do not come from the model (10^6 chunks would take days to embed here): they are random
unit vectors drawn from a Gaussian fitted to the real vectors of the bundled index (its mean
direction and covariance) plus isotropic noise, so they are as anisotropic as e5-small's; questions
get vectors from the same distribution. (Uniform random unit vectors are no test of a nearest-
neighbour index: in 384 dimensions all of them are about equally far from a question.)
With --real-vectors the chunks and the questions are embedded by the bundled model as `qa build`
embeds them (on the device `--device` names; the time is reported as chunks/s), and the vector
index is HNSW at every size, so its recall@10 against exact search is measured on real vectors.
`--vectors-cache DIR` keeps those vectors (named by a hash of the chunks' text), so a second run
measures other index settings without embedding again.

For each size the script writes the articles as a corpus of JSON Lines files (1,000 articles each),
builds BM25 and the vector index the build would choose (exact below `qa.index.vectors.APPROX_MIN`
chunks, HNSW from there), writes the index as `qa build` does (with its record of the corpus
files, `qa.index.freshness`), then in a fresh process opens it (load_index + a hybrid retriever)
and times questions, and in another opens the whole chat page on it as `qa serve` does
(`ensure_index`, the answerer with the reader, `app.build_demo`). The baseline for the page's start
in the same run: reading the whole corpus and hashing it, which every start paid before the record.
Baselines in the same run: exact (flat) search over the same vectors, for dense query time and as
the truth for recall@10. Question embedding is timed once with the bundled model and is not in the
dense and hybrid times (it does not depend on the size of the archive).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.config import Settings  # noqa: E402
from qa.ingest import CHUNKER_VERSION, load_corpus  # noqa: E402
from qa.ingest.chunking import chunk_article  # noqa: E402
from qa.records import Article, Chunk  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets" / "train"
SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]")
DIM = 384
N_QUESTIONS = 200


def real_text() -> tuple[list[str], list[str]]:
    """Sentences of real news and encyclopaedia paragraphs, and real questions about them."""
    sentences: list[str] = []
    questions: list[str] = []
    for path in sorted(DATASETS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data["data"]:
            for para in item["paragraphs"]:
                sentences.extend(s.strip() for s in SENTENCE.findall(para["context"]) if len(s.strip()) > 6)
                questions.extend(q["question"] for q in para.get("qas", []))
    for article in load_corpus(ROOT / "corpus").articles:
        sentences.extend(s.strip() for s in SENTENCE.findall(article.text) if len(s.strip()) > 6)
    return list(dict.fromkeys(sentences)), questions


def synthetic_articles(sentences: list[str], n_chunks: int, seed: int = 0) -> tuple[list[Article], list[Chunk]]:
    """Articles of 3 to 12 random real sentences until the real chunker has given ``n_chunks`` chunks
    (the last article may add a few more)."""
    rng = random.Random(seed)
    articles: list[Article] = []
    chunks: list[Chunk] = []
    while len(chunks) < n_chunks:
        n = len(articles)
        text = "".join(rng.choice(sentences) for _ in range(rng.randint(3, 12)))
        date = f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        article = Article(f"a{n:07d}", rng.choice(sentences)[:24].rstrip("。！？!?"), text, f"archive/a{n:07d}.md",
                          rng.choice(OUTLETS), date)
        articles.append(article)
        chunks.extend(chunk_article(article, Settings.chunk_chars, Settings.overlap_sentences, first_id=len(chunks)))
    return articles, chunks


OUTLETS = ["人民日报", "新华社", "聊城日报", "淄博日报", "南方周末", "财新", "澎湃新闻", "北京青年报"]


def vector_model() -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, covariance factor and noise scale fitted to the bundled index's real vectors."""
    from qa.index import build, load_index, vectors_of

    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=Path(tempfile.mkdtemp(prefix="scale-bundled-")))
    build(settings, quiet=True)
    real = vectors_of(load_index(settings.index_dir))
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    mean = real.mean(0)
    _, s, vt = np.linalg.svd(real - mean, full_matrices=False)
    factor = (s / np.sqrt(len(real) - 1))[:, None] * vt
    noise = float(np.sqrt((s ** 2).sum() / (len(real) - 1) / DIM * 0.25))
    return mean, factor, noise


def draw_vectors(model, n: int, seed: int) -> np.ndarray:
    mean, factor, noise = model
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), np.float32)
    for a in range(0, n, 100_000):
        b = min(n, a + 100_000)
        x = mean + rng.standard_normal((b - a, len(factor)), np.float32) @ factor
        x += rng.standard_normal((b - a, DIM), np.float32) * noise
        out[a:b] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The true 10 nearest chunks of each question (blocks of the matrix product, no second copy)."""
    best_s = np.full((len(queries), 10), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 10), np.int64)
    for a in range(0, len(vectors), 200_000):
        s = queries @ vectors[a:a + 200_000].T
        keep = min(10, s.shape[1])  # the last block may hold fewer than 10 chunks
        i = np.argpartition(-s, keep - 1, axis=1)[:, :keep]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, i, 1)], 1)
        cand_i = np.concatenate([best_i, i + a], 1)
        top = np.argsort(-cand_s, axis=1)[:, :10]
        best_s, best_i = np.take_along_axis(cand_s, top, 1), np.take_along_axis(cand_i, top, 1)
    return best_i


CORPUS_FILE_ARTICLES = 1_000


def write_corpus(articles: list[Article], corpus: Path) -> None:
    """The articles as JSON Lines files, as an archive would hand them over."""
    corpus.mkdir(parents=True, exist_ok=True)
    for a in range(0, len(articles), CORPUS_FILE_ARTICLES):
        lines = (json.dumps({"id": x.id, "title": x.title, "source": x.source, "date": x.date, "text": x.text},
                            ensure_ascii=False) for x in articles[a:a + CORPUS_FILE_ARTICLES])
        (corpus / f"archive-{a // CORPUS_FILE_ARTICLES:05d}.jsonl").write_text("\n".join(lines) + "\n",
                                                                              encoding="utf-8")


def embed_chunks(texts: list[str], embedder, cache: Path | None) -> tuple[np.ndarray, dict]:
    """The chunks' vectors and the embedding figures; from ``cache`` when it holds these texts' vectors."""
    import hashlib

    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    kept = cache / f"vectors-{len(texts)}-{digest}.npy" if cache else None
    if kept and kept.exists():
        return np.load(kept), {"embedded": f"cached ({kept.name})"}
    t = time.perf_counter()
    vectors = embedder.embed_passages(texts)
    seconds = time.perf_counter() - t
    if kept:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(kept, vectors)
    return vectors, {"embed_s": round(seconds, 1), "embed_chunks_per_s": round(len(texts) / seconds, 1)}


def build_row(n: int, sentences: list[str], model, root: Path, corpus: Path, real: list[str] | None = None,
              device: str = "cpu", cache: Path | None = None) -> dict:
    """Build and write an index of ``n`` chunks under ``root`` (its articles in ``corpus``); returns
    the build figures. ``real``: the questions, when chunks and questions are embedded by the model
    (their vectors kept in ``cache`` when given)."""
    import bm25s

    from qa.index.builder import tokenizer_version
    from qa.index.freshness import corpus_fingerprint, remember_fresh
    from qa.index.store import FORMAT_VERSION, Index, chunk_key, save_index
    from qa.index.vectors import FLAT, HNSW, add_vectors, choose_kind, new_vector_index, search_vectors
    from qa.records import date_range, sources
    from qa.text.tokens import tokenize

    articles, chunks = synthetic_articles(sentences, n)
    by_id = {a.id: a for a in articles}
    write_corpus(articles, corpus)
    cached = lru_cache(maxsize=None)(tokenize)
    t = time.perf_counter()
    # Tokenised sentence by sentence, each distinct sentence once: the archive recombines a
    # finite pool, and tokenising is the same work per chunk at every size (timed below).
    tokens = [[*cached(by_id[c.article_id].title), *(tok for s in SENTENCE.findall(c.text) or [c.text]
                                                     for tok in cached(s))] or [""] for c in chunks]
    tokenize_s = time.perf_counter() - t
    t = time.perf_counter()
    sample = [chunk_key(by_id[c.article_id], c) for c in chunks[:2_000]]
    for key in sample:
        tokenize(key)
    tokenize_rate = len(sample) / (time.perf_counter() - t)

    t = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(tokens, show_progress=False)
    bm25_s = time.perf_counter() - t
    del tokens

    embedded: dict = {}
    if real is None:
        vectors = draw_vectors(model, len(chunks), seed=n)
        queries = draw_vectors(model, N_QUESTIONS, seed=n + 1)
    else:
        from qa.index import load_embedder

        embedder = load_embedder(None, device)
        vectors, embedded = embed_chunks([chunk_key(by_id[c.article_id], c) for c in chunks], embedder, cache)
        embedded["device"] = device
        queries = embedder.embed_queries(real)
    kind = HNSW if real else choose_kind(len(chunks))  # real vectors: HNSW at every size, to measure it
    t = time.perf_counter()
    index = new_vector_index(kind, DIM)
    add_vectors(index, vectors, 0)
    vector_s = time.perf_counter() - t

    truth = exact_top10(vectors, queries)
    exact = new_vector_index(FLAT, DIM)  # the baseline: exact search, run as the retriever runs it
    add_vectors(exact, vectors, 0)
    t_exact = []
    for q in queries[:50]:
        t0 = time.perf_counter()
        search_vectors(exact, FLAT, q[None], 10)
        t_exact.append(time.perf_counter() - t0)
    del exact
    _, found = search_vectors(index, kind, queries, 10)
    recall_built = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))

    meta = {"format_version": FORMAT_VERSION, "embedder": "synthetic" if real is None else "real", "dim": DIM,
            "vector_index": kind.to_meta(),
            "n_articles": len(articles), "n_chunks": len(chunks), "chunk_chars": Settings.chunk_chars,
            "overlap_sentences": Settings.overlap_sentences, "chunker": CHUNKER_VERSION,
            "tokenizer": tokenizer_version(), "corpus_dir": str(corpus.resolve()), "outlets": sources(articles),
            "dates": list(date_range(articles) or []) or None}
    fingerprint = corpus_fingerprint(corpus)
    t = time.perf_counter()
    where = save_index(Index(meta, by_id, chunks, index, bm25), root)
    write_s = time.perf_counter() - t
    remember_fresh(root, where, corpus, fingerprint)  # as `qa build` records the corpus it read
    np.save(root / "queries.npy", queries)
    np.save(root / "truth.npy", truth)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) - (root / "queries.npy").stat().st_size \
        - (root / "truth.npy").stat().st_size
    return {"chunks": len(chunks), "articles": len(articles), "kind": kind.describe(),
            "tokenize_s": round(tokenize_s, 1), "tokenize_chunks_per_s": round(tokenize_rate),
            "bm25_build_s": round(bm25_s, 1), "vector_build_s": round(vector_s, 1), "write_s": round(write_s, 1),
            "disk_mb": round(size / 2**20), "exact_dense_p50_ms": round(1000 * float(np.median(t_exact)), 2),
            "recall_at_10_built": round(recall_built, 4), **embedded}


def measure_child(root: str, questions_file: str) -> dict:
    """In a fresh process: open the index as the page does, then time questions."""

    def rss_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    from qa.index import load_index
    from qa.retrieve import make_retriever
    from qa.retrieve.retrievers import BM25Retriever, DenseRetriever, HybridRetriever

    queries = np.load(Path(root) / "queries.npy")
    truth = np.load(Path(root) / "truth.npy")
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    vectors = {q: queries[i % len(queries)][None] for i, q in enumerate(questions)}

    class QuestionVectors:
        """Stands in for the model: each question gets its drawn vector."""

        name, dim = "synthetic", DIM

        def embed_queries(self, texts):
            return np.vstack([vectors[t] for t in texts])

    rss_before = rss_mb()
    t = time.perf_counter()
    index = load_index(Path(root))
    hybrid = make_retriever("hybrid", index, QuestionVectors())
    load_s = time.perf_counter() - t
    rss_load = rss_mb()
    assert isinstance(hybrid, HybridRetriever)
    dense: DenseRetriever = hybrid.dense
    bm25: BM25Retriever = hybrid.bm25

    def timed(search) -> list[float]:
        out = []
        for q in questions:
            t0 = time.perf_counter()
            search(q, 10)
            out.append(1000 * (time.perf_counter() - t0))
        return out

    times = {name: timed(r.search) for name, r in (("bm25", bm25), ("dense", dense), ("hybrid", hybrid))}
    found = [[h.chunk.id for h in dense.search(q, 10)] for q in questions[: len(queries)]]
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))
    row = {"load_s": round(load_s, 2), "rss_load_mb": round(rss_load), "rss_start_mb": round(rss_before),
           "rss_after_queries_mb": round(rss_mb()),
           "recall_at_10": round(recall, 4)}
    for name, ms in times.items():
        row[f"{name}_p50_ms"] = round(float(np.percentile(ms, 50)), 1)
        row[f"{name}_p95_ms"] = round(float(np.percentile(ms, 95)), 1)
    return row


def page_child(root: str, corpus: str) -> dict:
    """In a fresh process: open the chat page as `qa serve` does, then, as the baseline, read the
    corpus as every start did before the record of its files (`qa.index.freshness`)."""
    import qa.pipeline

    class NoQuestions:  # the synthetic index has no model; the page embeds nothing to open
        name, dim = "synthetic", DIM

    qa.pipeline.load_embedder = lambda name=None: NoQuestions()
    t = time.perf_counter()
    import app  # gradio's import is part of what a start costs
    from qa.index.chunk_store import ArticleTable
    from qa.page import LiveAnswerer

    import_s = time.perf_counter() - t
    settings = Settings(corpus_dir=Path(corpus), index_dir=Path(root))
    t = time.perf_counter()
    live = LiveAnswerer(settings, quiet=True)
    demo = app.build_demo(live)
    page_s = time.perf_counter() - t
    assert live.current().index.path.parent == Path(root) and isinstance(live.current().index.articles, ArticleTable)
    rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    demo.close()
    from qa.index.store import corpus_hash

    t = time.perf_counter()
    corpus_hash(load_corpus(Path(corpus)).articles)
    read_s = time.perf_counter() - t
    return {"page_s": round(page_s, 2), "gradio_import_s": round(import_s, 1), "page_rss_mb": round(rss),
            "corpus_read_s": round(read_s, 1)}


def listing_row(n_files: int, sentences: list[str], work: Path) -> dict:
    """An archive of one file per article (1,000 to a directory): how long the check of an unchanged
    corpus takes (listing and stat, `qa.index.freshness`) beside reading it (the check before)."""
    from qa.index.freshness import corpus_fingerprint

    articles, _ = synthetic_articles(sentences, n_files * 2)  # about two chunks an article
    corpus = work / f"files-{n_files}"
    shutil.rmtree(corpus, ignore_errors=True)
    for i, a in enumerate(articles[:n_files]):
        path = corpus / f"{i // 1000:04d}" / f"{a.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {a.title}\nsource: {a.source}\ndate: {a.date}\n---\n{a.text}\n", encoding="utf-8")
    corpus_fingerprint(corpus)  # the directory entries in the kernel's cache, as after a build
    t = time.perf_counter()
    corpus_fingerprint(corpus)
    check_s = time.perf_counter() - t
    t = time.perf_counter()
    n = len(load_corpus(corpus).articles)
    read_s = time.perf_counter() - t
    shutil.rmtree(corpus, ignore_errors=True)
    return {"files": n_files, "articles": n, "check_s": round(check_s, 2), "read_s": round(read_s, 1)}


def question_embedding_ms(questions: list[str]) -> float:
    from qa.index.embedders import load_embedder

    embedder = load_embedder(None)
    embedder.embed_queries(questions[:1])
    times = []
    for q in questions[:20]:
        t0 = time.perf_counter()
        embedder.embed_queries([q])
        times.append(1000 * (time.perf_counter() - t0))
    return round(float(np.median(times)), 1)


COLUMNS = [("chunks", "chunks"), ("kind", "vector index"), ("bm25_build_s", "BM25 build s"),
           ("vector_build_s", "vector build s"), ("disk_mb", "disk MB"), ("load_s", "index load s"),
           ("rss_load_mb", "RSS after load MB"), ("bm25_p50_ms", "BM25 p50/p95 ms"),
           ("dense_p50_ms", "dense p50/p95 ms"), ("exact_dense_p50_ms", "exact dense p50 ms"),
           ("hybrid_p50_ms", "hybrid p50/p95 ms"), ("recall_at_10", "recall@10"), ("page_s", "chat page open s"),
           ("page_rss_mb", "page RSS MB"), ("corpus_read_s", "reading the corpus s (before)")]


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(label for _, label in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        cells = []
        for key, _ in COLUMNS:
            value = r.get(key, "")
            if key.endswith("_p50_ms") and key != "exact_dense_p50_ms":
                value = f"{value} / {r.get(key.replace('p50', 'p95'), '')}"
            cells.append(f"{value:,}" if isinstance(value, int) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="chunk counts, comma separated")
    parser.add_argument("--max-chunks", type=int, default=None, help="leave out sizes above this")
    parser.add_argument("--work", type=Path, default=None, help="where to write the indexes (a temporary "
                        "directory by default, removed afterwards)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--page-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=int, default=None, help="only time checking an unchanged archive of "
                        "this many one-article files against reading it")
    parser.add_argument("--real-vectors", action="store_true", help="embed the chunks and questions with the "
                        "bundled model (HNSW at every size) instead of drawing vectors")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="--real-vectors: where to embed, as `qa build --device`")
    parser.add_argument("--vectors-cache", type=Path, default=None,
                        help="--real-vectors: keep the embedded vectors here and reuse them in later runs")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_child(*args.child)))
        return 0
    if args.page_child:
        print(json.dumps(page_child(*args.page_child)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    sizes = [s for s in sizes if args.max_chunks is None or s <= args.max_chunks]
    work = args.work or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    sentences, questions = real_text()
    print(f"{len(sentences):,} distinct real sentences, {len(questions):,} questions", file=sys.stderr)
    if args.files:
        row = listing_row(args.files, sentences, work)
        print(f"{row['files']:,} files, {row['articles']:,} articles: checking the unchanged corpus "
              f"{row['check_s']} s, reading it {row['read_s']} s (what every start did before)")
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    model = vector_model()
    embed_ms = question_embedding_ms(questions)
    qfile = work / "questions.json"
    work.mkdir(parents=True, exist_ok=True)
    distinct = list(dict.fromkeys(questions))
    asked = random.Random(5).sample(distinct, N_QUESTIONS)
    qfile.write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    rows = []
    try:
        for n in sizes:
            root, corpus = work / f"index-{n}", work / f"corpus-{n}"
            for d in (root, corpus):
                shutil.rmtree(d, ignore_errors=True)
            if args.real_vectors:
                from qa.encoder.devices import resolve_device

                row = build_row(n, sentences, model, root, corpus, asked, resolve_device(args.device, n),
                                args.vectors_cache)
            else:
                row = build_row(n, sentences, model, root, corpus)
            print(f"built {n:,}: {row}", file=sys.stderr, flush=True)
            for flag, arg in (("--child", qfile), ("--page-child", corpus)):
                child = subprocess.run([sys.executable, __file__, flag, str(root), str(arg)],
                                       capture_output=True, text=True, check=True)
                row.update(json.loads(child.stdout.strip().splitlines()[-1]))
            print(f"measured {n:,}: {row}", file=sys.stderr, flush=True)
            rows.append(row)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
            if args.work is None:
                for d in (root, corpus):
                    shutil.rmtree(d, ignore_errors=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    print(f"\nEmbedding a question with the bundled model (not in the times above): p50 {embed_ms} ms.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
