"""`qa build | ask | eval | serve`: argument parsing and printing only."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from qa.cli_options import add_location_options, add_page_options, bound_settings, run
from qa.config import MAX_TOP_K, Settings
from qa.errors import QAError
from qa.records import NOT_FOUND
from qa.retrieve import RETRIEVERS

# `qa serve` finds the chat page through this entry point, which pyproject.toml declares for app.py:
# the page sits above qa (it imports gradio and qa), so qa never imports it by name.
PAGE_ENTRY_POINTS = "qa.pages"
PAGE = "chat"


def _name_list(choices: tuple[str, ...], what: str) -> Callable[[str], list[str]]:
    """An argparse type for a comma-separated list of ``choices``, each once, in the order given."""

    def parse(value: str) -> list[str]:
        names = list(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
        unknown = [n for n in names if n not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown) or value!r}; "
                                             f"choose from {', '.join(choices)}")
        return names

    return parse


def _worker_count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of workers; give a whole number of 1 or more")
    return int(value)


def _top_k(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_TOP_K:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of passages; give a whole number from 1 "
                                         f"to {MAX_TOP_K}")
    return int(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="Ask questions of a collection of Chinese news articles; "
                                "every answer quotes its source.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build or refresh the index of the corpus")
    add_location_options(b)
    b.add_argument("--full", action="store_true", help="re-embed every chunk instead of reusing unchanged ones")
    b.add_argument("--quiet", action="store_true", help="no progress bar, messages or summary line")
    b.add_argument("--json", action="store_true",
                   help="print the build summary as one JSON object on stdout (progress stays on stderr)")
    b.add_argument("--check", action="store_true",
                   help="list problems with the corpus files without building; exit status 1 if there are any")
    # nargs="?": `--ray` alone starts a local Ray instance, `--ray HEAD:6379` joins a cluster.
    b.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="embed on Ray: a local Ray instance, or the cluster at ADDRESS (e.g. HEAD:6379); "
                        'needs `pip install -e ".[ray]"`')
    b.add_argument("--ray-workers", type=_worker_count, metavar="N",
                   help="--ray: actors embedding at once, one CPU each (default: one per CPU Ray has)")
    b.add_argument("--device", choices=("auto", "cpu", "cuda"),
                   help="where to embed: a CUDA GPU when torch sees one (auto, the default), the CPU, or the "
                        "GPU (cuda: an error when there is none); with --ray, each actor asks Ray for a GPU")

    a = sub.add_parser("ask", help="answer one question")
    a.add_argument("question", help="the question, e.g. 淄川区政协会议应到委员多少名？")
    add_location_options(a)
    a.add_argument("--json", action="store_true", help="print the answer as a JSON object")
    a.add_argument("--top-k", type=_top_k, metavar="N", help="number of passages to retrieve (default 5)")
    a.add_argument("--retriever", choices=RETRIEVERS, help="retrieval method (default: hybrid)")

    e = sub.add_parser("eval", help="evaluate against a question set; write report.json, report.md and plots")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--questions", metavar="FILE.jsonl", help="JSON Lines question file over --corpus")
    source.add_argument("--squad", metavar="FILE.json",
                        help="SQuAD-format benchmark (e.g. CMRC 2018 dev): every paragraph becomes an article")
    add_location_options(e)
    e.add_argument("--out", metavar="DIR", default="reports", help="where the report goes (default: reports/)")
    e.add_argument("--top-k", type=_top_k, metavar="N", help="number of passages to retrieve (default 5)")
    e.add_argument("--retriever", choices=RETRIEVERS, help="retrieval method (default: hybrid)")
    e.add_argument("--compare", metavar="LIST", type=_name_list(RETRIEVERS, "retriever"),
                   help="comma-separated retrievers to run side by side, e.g. hybrid,dense,bm25")
    e.add_argument("--drop-gold", type=int, metavar="N", default=0,
                   help="--squad only: also ask N questions (spread over the set) with their gold paragraph "
                        "removed from the search, as questions the corpus cannot answer")
    e.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    e.add_argument("--cache", metavar="DIR", help="where --squad indexes are cached (default: ~/.cache/qa)")
    e.add_argument("--worst", type=int, default=10, metavar="N",
                   help="failed questions listed per kind in report.md (default 10)")

    s = sub.add_parser("serve", help="open the chat page (builds the index first when missing or stale)")
    add_location_options(s)
    add_page_options(s)
    return p


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from qa.index import build, plural
    from qa.ingest import load_corpus

    if args.check:
        # Reads the corpus only: nothing is embedded and nothing is written to the index directory.
        report = load_corpus(settings.corpus_dir)
        if args.json:
            print(json.dumps({"articles": len(report.articles), "warnings": list(report.warnings)},
                             ensure_ascii=False))
        else:
            for w in report.warnings:
                print(f"warning: {w}")
            print(f"{plural(len(report.articles), 'article')} readable, "
                  f"{plural(len(report.warnings), 'problem')}.")
        return 1 if report.warnings else 0
    ray = None
    if args.ray is not None:
        from qa.index.ray_embedding import ray_options

        ray = ray_options(args.ray, args.ray_workers)  # a missing Ray stops here, before any index work
    elif args.ray_workers is not None:
        raise QAError("--ray-workers applies to Ray builds only; add --ray, or leave --ray-workers out.")
    # With --json, stdout carries the one JSON object and nothing else: whatever a library prints
    # goes to stderr with the progress bar.
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        _, summary = build(settings, full=args.full, quiet=args.quiet, ray=ray)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
        return 0
    for w in summary.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(summary.line())
    return 0


def format_answer(result: dict) -> str:
    """The human-readable form of an answer, for the terminal."""
    lines = []
    if result["abstained"]:
        lines.append(f"{NOT_FOUND} (confidence {result['confidence']:.2f})")
        if result["closest"]:
            lines.append("\nClosest passages (not an answer):")
    else:
        lines.append(f"答案: {result['answer']}   (confidence {result['confidence']:.2f})")
        lines.append("\nQuotes:")
    for n, q in enumerate(result["quotes"] or result["closest"], 1):
        ref = " · ".join(x for x in (q["title"], q["source"], q["date"]) if x)
        lines.append(f"[{n}] “{q['text']}”")
        page = f", page {q['page']}" if q.get("page") else ""
        lines.append(f"    — {ref}  ({q['path']}{page}, characters {q['start']}–{q['end']})")
        if q.get("also_in"):
            lines.append(f"    also in: {', '.join(q['also_in'])}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa.pipeline import open_answerer
    from qa.questions import validate

    question = validate(args.question)  # a bad question fails before any index work
    answerer = open_answerer(settings)
    result = answerer.ask(question, top_k=settings.top_k).to_dict()
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_answer(result))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from qa.evaluate import compare, load_questions, metrics_table, run_name, write_outputs
    from qa.pipeline import answerer_for

    run: dict = {"date": time.strftime("%Y-%m-%d"), "cpu_cores": os.cpu_count()}
    if args.squad:
        from qa.evaluate import cached_index, dropped_gold, load_squad

        squad = load_squad(Path(args.squad), args.limit)
        cache = Path(args.cache).expanduser() if args.cache else None
        cached = cached_index(Path(args.squad), squad, settings, root=cache)
        index, settings, items, warnings = cached.index, cached.settings, list(squad.items), []
        items += dropped_gold(items, args.drop_gold)
        build_seconds: float | None = cached.build_seconds
        run.update(dataset=Path(args.squad).name, index_reused=cached.reused)
    else:
        from qa.index import ensure_index, live_dir

        if args.drop_gold:
            raise QAError("--drop-gold needs --squad: a question file has no gold paragraphs to remove.")
        items, warnings = load_questions(Path(args.questions))
        items = items[: args.limit] if args.limit is not None else items
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        before = live_dir(settings.index_dir)
        started = time.perf_counter()
        index = ensure_index(settings)
        reused = before is not None and live_dir(settings.index_dir) == before
        # Only a build this run timed is reported; an index that was already current took none.
        build_seconds = None if reused else round(time.perf_counter() - started, 2)
        run.update(dataset=Path(args.questions).name, index_reused=reused)
    names = args.compare or [settings.retriever]
    run.update(n_articles=len(index.articles), n_chunks=len(index.chunks), model=index.meta.get("embedder"),
               top_k=settings.top_k, retrievers=", ".join(names), dropped_gold=args.drop_gold if args.squad else 0)
    answerers = [answerer_for(index, settings, name) for name in names]  # each run is named by its retriever
    texts = {aid: a.text for aid, a in index.articles.items()}
    report = compare(answerers, items, texts)
    for metrics in report.get("compare", {"": report["metrics"]}).values():
        metrics["index_build_seconds"] = build_seconds
    report.update(run=run, warnings=warnings)
    paths = write_outputs(report, Path(args.out), worst=args.worst)
    print(metrics_table(report.get("compare") or {run_name(report["metrics"]): report["metrics"]}))
    print("Report: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from importlib.metadata import entry_points

    pages = entry_points(group=PAGE_ENTRY_POINTS, name=PAGE)
    if not pages:
        raise QAError("The chat page is not installed; run `pip install -e .` in the project directory.")
    serve = next(iter(pages)).load()
    return serve(settings, host=args.host, port=args.port, fetch_links=args.fetch_links)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    args = parser().parse_args(argv)
    commands = {"build": cmd_build, "ask": cmd_ask, "eval": cmd_eval, "serve": cmd_serve}
    return run(lambda: commands[args.command](args, bound_settings(args, rebuild=args.command == "build")))
