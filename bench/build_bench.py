"""Benchmark `qa build` with the real default model: a full build, a rebuild with no change and a
rebuild with one article changed, on the bundled corpus and on the CMRC 2018 dev paragraphs.

    python bench/build_bench.py                # both corpora (CMRC's full build takes minutes)
    python bench/build_bench.py --only bundled

Not a test: it prints chunks per second and how much faster a rebuild is than a full build,
all measured in the same run. Each corpus is copied to a temporary directory first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa.config import ROOT, Settings
from qa.index import BuildSummary, Index, build

CMRC = ROOT.parent / "shared" / "datasets" / "cmrc2018" / "cmrc2018_dev.json"
# Appended to one article to make the one-article change.
EXTRA = "本段为基准测试追加的一句话，用来改变这篇文章。"


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    summary: BuildSummary
    index: Index


def bundled_corpus(where: Path) -> Path:
    shutil.copytree(ROOT / "corpus", where)
    return where


def cmrc_corpus(where: Path, source: Path) -> Path:
    """Every CMRC paragraph as one article of a JSON Lines corpus."""
    where.mkdir(parents=True)
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    with open(where / "cmrc2018_dev.jsonl", "w", encoding="utf-8") as f:
        for doc in data:
            for p in doc["paragraphs"]:
                f.write(json.dumps({"id": p["id"], "title": doc.get("title") or p["id"], "text": p["context"]},
                                   ensure_ascii=False) + "\n")
    return where


def change_one_article(corpus: Path) -> str:
    """Append a sentence to one article (the first .md file, or the middle record of a .jsonl
    file) and return its id."""
    if files := sorted(corpus.glob("*.md")):
        with open(files[0], "a", encoding="utf-8") as f:
            f.write("\n" + EXTRA + "\n")
        return files[0].stem
    [jsonl] = corpus.glob("*.jsonl")
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[len(lines) // 2])
    rec["text"] += EXTRA
    lines[len(lines) // 2] = json.dumps(rec, ensure_ascii=False)
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rec["id"]


def timed(name: str, settings: Settings, full: bool = False) -> Run:
    started = time.perf_counter()
    index, summary = build(settings, full=full, quiet=True)
    run = Run(name, time.perf_counter() - started, summary, index)
    print(f"  {name:22} {run.seconds:9.2f} s   embedded {summary.chunks_embedded:5}  "
          f"reused {summary.chunks_reused:5}  changed {summary.changed}", flush=True)
    return run


def cli_seconds(settings: Settings) -> float:
    """Wall time of the `qa build` command itself (Python start and imports included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "build", "--quiet", "--corpus", str(settings.corpus_dir),
                    "--index", str(settings.index_dir)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def bench(label: str, corpus: Path, index: Path) -> dict:
    settings = Settings(corpus_dir=corpus, index_dir=index)
    print(f"{label}:", flush=True)
    full = timed("full build", settings, full=True)
    same = timed("no-change rebuild", settings)
    cli = cli_seconds(settings)
    print(f"  {'no-change `qa build`':22} {cli:9.2f} s   (a new process: Python start-up and imports)")
    changed = change_one_article(corpus)
    one = timed("one article changed", settings)
    own = sum(c.article_id == changed for c in one.index.chunks)
    print(f"  (the changed article has {own} chunks; the others were all reused)")
    assert one.summary.chunks_embedded <= own and one.summary.changed == 1
    return {
        "corpus": label,
        "articles": full.summary.articles,
        "chunks": full.summary.chunks,
        "full_s": round(full.seconds, 2),
        "full_chunks_per_s": round(full.summary.chunks_embedded / full.seconds, 2),
        "no_change_s": round(same.seconds, 3),
        "no_change_cli_s": round(cli, 2),
        "full_over_no_change": round(full.seconds / same.seconds, 1),
        "one_changed_s": round(one.seconds, 2),
        "one_changed_embedded": one.summary.chunks_embedded,
        "one_changed_reused": one.summary.chunks_reused,
        "one_changed_article_chunks": own,
        "full_over_one_changed": round(full.seconds / one.seconds, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["bundled", "cmrc"], help="benchmark one corpus only")
    p.add_argument("--cmrc", type=Path, default=CMRC, help="cmrc2018_dev.json (default: %(default)s)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results to FILE")
    args = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        tmp = Path(tmp)
        if args.only in (None, "bundled"):
            results.append(bench("bundled corpus", bundled_corpus(tmp / "bundled"), tmp / "bundled-index"))
        if args.only in (None, "cmrc"):
            if not args.cmrc.exists():
                print(f"{args.cmrc} not found; pass --cmrc PATH to cmrc2018_dev.json", file=sys.stderr)
                return 2
            results.append(bench("CMRC 2018 dev", cmrc_corpus(tmp / "cmrc", args.cmrc), tmp / "cmrc-index"))
    print()
    print("| corpus | articles | chunks | full build | chunks/s | no change (in-process / `qa build`) "
          "| full / no change | one article changed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['corpus']} | {r['articles']} | {r['chunks']} | {r['full_s']:.1f} s | "
              f"{r['full_chunks_per_s']:.1f} | {r['no_change_s']:.2f} s / {r['no_change_cli_s']:.2f} s | "
              f"{r['full_over_no_change']:.0f}x | {r['one_changed_s']:.2f} s, {r['one_changed_embedded']} of "
              f"{r['one_changed_article_chunks']} chunks embedded |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
