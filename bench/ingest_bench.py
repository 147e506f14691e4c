"""Benchmark ingestion: reading each format (news page, Word, PDF against plain text), and recognising
reprints (MinHash LSH) at 10^4 and 10^6 articles against reading plain text, all in the same run.

    nice -n 19 python bench/ingest_bench.py                       # formats, 10^4 txt files, 10^4 and 10^6
    python bench/ingest_bench.py --sizes 10000 --per-format 50    # a quick look

Articles are synthetic: sentences of the bundled corpus/ and of the training sets' paragraphs
(shared/datasets/train/*.json) recombined at random into articles of about 1,200 characters, 5% of
them a reprint of a recent one (another outlet's copy: a credit line added, a sentence dropped,
commas half-width), so that the groups found can be checked against the ones planted. Reprint
detection streams the texts (none is kept), so 10^6 articles need memory only for signatures and
LSH bands; the peak resident memory is reported. Not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sample_files import html_page, write_docx, write_pdf  # noqa: E402

from qa.ingest import load_corpus  # noqa: E402
from qa.ingest.corpus import read_file  # noqa: E402
from qa.ingest.reprints import ReprintFinder, mark_reprints  # noqa: E402
from qa.text import sentence_spans  # noqa: E402

TRAIN = ROOT.parent / "shared" / "datasets" / "train"
OUTLETS = ["大众日报", "淄博日报", "齐鲁晚报", "鲁中晨报", "新华社", "人民网", "中国新闻网", "闪电新闻"]
REPRINT_RATE = 0.05


def sentences() -> list[str]:
    """Every sentence of the bundled articles and of the training sets' paragraphs (6 to 120 chars)."""
    texts = [a.text for a in load_corpus(ROOT / "corpus").articles]
    for path in sorted(TRAIN.glob("*.json")):
        for doc in json.loads(path.read_text(encoding="utf-8"))["data"]:
            texts.extend(p["context"] for p in doc["paragraphs"])
    out = [t[s:e] for t in texts for s, e in sentence_spans(t)]
    return [s for s in out if 6 <= len(s) <= 120]


class Articles:
    """A deterministic stream of synthetic articles: (cluster, title, outlet, paragraphs); a reprint
    shares its original's cluster number."""

    def __init__(self, pool: list[str], seed: int = 0) -> None:
        self.pool, self.rng = pool, random.Random(seed)
        self.recent: deque[tuple[int, str, list[str]]] = deque(maxlen=1000)

    def next(self, n: int) -> tuple[int, str, str, list[str]]:
        rng = self.rng
        if self.recent and rng.random() < REPRINT_RATE:
            cluster, title, paragraphs = rng.choice(self.recent)
            copy = [p.replace("，", ",") for p in paragraphs]
            drop = rng.randrange(len(copy))
            copy[drop] = "".join(s for i, s in enumerate(copy[drop].split("。")) if i != 1)
            outlet = rng.choice(OUTLETS)
            return cluster, title, outlet, [f"（来源：{outlet}）", *copy, "（责任编辑：王明）"]
        paragraphs, size = [], 0
        while size < 1200:
            paragraph = "".join(rng.choice(self.pool) for _ in range(rng.randint(2, 5)))
            paragraphs.append(paragraph)
            size += len(paragraph)
        title = rng.choice(self.pool)[:24].rstrip("。！？!?")
        self.recent.append((n, title, paragraphs))
        return n, title, rng.choice(OUTLETS), paragraphs


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_formats(where: Path, stream: Articles, count: int) -> dict[str, list[Path]]:
    """``count`` articles written in each format (the same articles in each)."""
    files: dict[str, list[Path]] = {fmt: [] for fmt in ("txt", "html", "docx", "pdf")}
    for n in range(count):
        _, title, outlet, paragraphs = stream.next(n)
        date = f"2021-{1 + n % 12:02d}-{1 + n % 28:02d}"
        txt = where / f"a{n:05d}.txt"
        txt.write_text(f"{title}\n" + "\n\n".join(paragraphs), encoding="utf-8")
        page = where / f"a{n:05d}.html"
        page.write_text(html_page(title, paragraphs, site=outlet, date=date), encoding="utf-8")
        files["txt"].append(txt)
        files["html"].append(page)
        files["docx"].append(write_docx(where / f"a{n:05d}.docx", title, paragraphs))
        files["pdf"].append(write_pdf(where / f"a{n:05d}.pdf", title, paragraphs, meta_title=title))
    return files


def bench_formats(count: int, pool: list[str]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write_formats(root, Articles(pool, seed=1), count)
        for fmt, paths in files.items():
            chars, started = 0, time.perf_counter()
            for path in paths:
                articles, _ = read_file(path, root)
                chars += sum(len(a.text) for a in articles)
            seconds = time.perf_counter() - started
            rows.append({"format": fmt, "files": len(paths), "seconds": round(seconds, 3),
                         "ms_per_file": round(1000 * seconds / len(paths), 2),
                         "chars_per_s": round(chars / seconds)})
    return rows


def bench_plain_text(count: int, pool: list[str]) -> dict:
    """Reading ``count`` txt files (what a build does before anything else), then grouping reprints."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stream = Articles(pool, seed=2)
        for n in range(count):
            _, title, outlet, paragraphs = stream.next(n)
            (root / f"a{n:06d}.txt").write_text(f"{title}\n" + "\n\n".join(paragraphs), encoding="utf-8")
        started = time.perf_counter()
        articles = [a for path in sorted(root.glob("*.txt")) for a in read_file(path, root)[0]]
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        grouped = mark_reprints(articles)
        group_s = time.perf_counter() - started
        started = time.perf_counter()
        load_corpus(root)
        load_s = time.perf_counter() - started
    return {"articles": count, "read_txt_s": round(read_s, 2), "read_txt_us_per_article": round(1e6 * read_s / count),
            "reprints_s": round(group_s, 2), "reprints_us_per_article": round(1e6 * group_s / count),
            "load_corpus_s": round(load_s, 2), "in_groups": sum(1 for a in grouped if a.reprints)}


def bench_reprints(size: int, pool: list[str], say) -> dict:
    """Stream ``size`` synthetic articles through a ReprintFinder; time only the finder's work."""
    stream, finder = Articles(pool, seed=3), ReprintFinder()
    clusters = []
    spent = 0.0
    before = peak_mb()
    for n in range(size):
        cluster, title, _, paragraphs = stream.next(n)
        text = "\n".join(paragraphs)
        clusters.append(cluster)
        started = time.perf_counter()
        finder.add(text)
        spent += time.perf_counter() - started
        if (n + 1) % 100_000 == 0:
            say(f"  {n + 1:,} articles, {spent:.0f} s in the finder, peak {peak_mb():,.0f} MB")
    started = time.perf_counter()
    groups = finder.groups()
    spent += time.perf_counter() - started
    planted = sum(1 for n, c in enumerate(clusters) if c != n)
    found_with_original = sum(1 for g in groups for n in g if clusters[n] != n and clusters[n] in g)
    pure = sum(1 for g in groups if len({clusters[n] for n in g}) == 1)
    return {"articles": size, "seconds": round(spent, 1), "us_per_article": round(1e6 * spent / size),
            "groups": len(groups), "planted_reprints": planted,
            "recall": round(found_with_original / planted, 4) if planted else None,
            "groups_of_one_story": round(pure / len(groups), 4) if groups else None,
            "peak_rss_mb": round(peak_mb()), "peak_rss_mb_before": round(before)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--per-format", type=int, default=200, help="files of each format to read")
    parser.add_argument("--txt-files", type=int, default=10_000, help="txt files read against reprint grouping")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    pool = sentences()
    say(f"{len(pool):,} sentences to recombine")
    results: dict = {"formats": bench_formats(args.per_format, pool)}
    say(json.dumps(results["formats"], ensure_ascii=False))
    results["plain_text"] = bench_plain_text(args.txt_files, pool)
    say(json.dumps(results["plain_text"], ensure_ascii=False))
    results["reprints"] = []
    for size in args.sizes:
        results["reprints"].append(bench_reprints(size, pool, say))
        say(json.dumps(results["reprints"][-1], ensure_ascii=False))
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
