"""Question sets -> per-question results and metrics (`qa.evaluate.reports` writes them out)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa.errors import QAError
from qa.evaluate.metrics import cmrc_em, cmrc_f1, recall_curve, summarise
from qa.records import Article, Hit, Traced
from qa.retrieve import Retriever
from qa.retrieve.reprints import story

# Chunks ranked per question: deep enough for recall@10 at the article level (an article has
# several chunks) and for the recall@k curve up to k=20.
DEPTH = 50


class TracingAnswerer(Protocol):
    """What evaluation asks of an answerer (`qa.pipeline.Answerer` is one): its retriever, and an
    answer traced back to the ranked hits. The pipeline hands answerers in; evaluation never makes one."""

    retriever: Retriever

    def ask_traced(self, question: str, top_k: int | None = None, allowed: Collection[str] | None = None,
                   depth: int = 0) -> Traced: ...


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None
    # An article searched without: its gold paragraph removed, the question has no answer left.
    exclude: str | None = None


def dropped_gold(items: list[Item], n: int) -> list[Item]:
    """``n`` answerable items spread evenly over ``items``, asked again with their gold article
    removed from the search: the corpus no longer holds their answer, so they should abstain."""
    answerable = [i for i in items if i.answers and i.article_id]
    if n <= 0 or not answerable:
        return []
    step = max(1, len(answerable) // n)
    return [Item(f"{i.id}#dropped", i.question, (), None, i.article_id) for i in answerable[::step][:n]]


def load_questions(path: Path) -> tuple[list[Item], list[str]]:
    """Items of a JSON Lines question file; a bad line is reported with its number and skipped."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"The question file {path} does not exist; pass --questions FILE.jsonl.")
    items: list[Item] = []
    warnings: list[str] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not a JSON object")
                question = rec["question"]
                answers = rec.get("answers", [])
                if not isinstance(question, str) or not isinstance(answers, list):
                    raise ValueError('"question" must be a string and "answers" a list')
                qid = str(rec.get("id") or f"line{n}")
                if qid in seen:
                    raise ValueError(f"id {qid!r} used twice")
            except (json.JSONDecodeError, KeyError, ValueError) as err:
                warnings.append(f"{path.name} line {n}: {err}; skipped")
                continue
            seen.add(qid)
            items.append(Item(qid, question, tuple(str(a) for a in answers), rec.get("article_id")))
    return items, warnings


def ranked_articles(hits: tuple[Hit, ...] | list[Hit], articles: Mapping[str, Article] | None = None) -> list[str]:
    """Distinct stories in the order their best chunk was retrieved: article ids, each reprint counted
    as its story's canonical article when ``articles`` are given (a reprint is never another source)."""
    return list(dict.fromkeys(story(h.chunk.article_id, articles or {}) for h in hits))


def search_depth(answerer: TracingAnswerer) -> int:
    """How many chunks to rank per question: the hybrid retriever's own candidate depth, so the
    answer is drawn from exactly what `qa ask` would retrieve."""
    return max(DEPTH, int(getattr(answerer.retriever, "depth", 0)))


def run_item(answerer: TracingAnswerer, item: Item, depth: int | None = None,
             everything: frozenset[str] | None = None) -> dict:
    """The `qa ask` object for one item, plus id, expected, correct, em, f1, gold_rank (rank of the
    gold article among the retrieved ones, None when not retrieved) and latency_ms."""
    depth = search_depth(answerer) if depth is None else depth
    articles = getattr(getattr(answerer, "index", None), "articles", None)
    started = time.perf_counter()
    ranked: list[str] = []
    read: list[str] = []
    try:
        allowed = (everything or frozenset()) - {item.exclude} if item.exclude else None
        traced = answerer.ask_traced(item.question, allowed=allowed, depth=depth)
        result = traced.answer.to_dict()
        ranked = ranked_articles(traced.hits, articles)
        read = ranked_articles(traced.hits[:traced.read], articles)
    except QAError as err:  # a question the answerer refuses counts as an abstention
        result = {"question": item.question, "answer": str(err), "abstained": True, "confidence": 0.0,
                  "quotes": [], "closest": [], "error": str(err)}
    latency = (time.perf_counter() - started) * 1000
    first = result["quotes"][0]["text"] if result["quotes"] else ""
    answered = not result["abstained"]
    correct = bool(item.answers) and answered and any(g in result["answer"] or g in first for g in item.answers)
    prediction = result["answer"] if answered else ""  # an abstention scores 0
    gold = story(item.article_id, articles or {})
    gold_rank = ranked.index(gold) + 1 if gold in ranked else None
    return {**result, "id": item.id, "expected": list(item.answers), "gold_article_id": item.article_id,
            "correct": correct,
            "em": cmrc_em(prediction, item.answers) if item.answers else None,
            "f1": round(cmrc_f1(prediction, item.answers), 4) if item.answers else None,
            "gold_rank": gold_rank,
            # Whether the gold article was among the chunks the answer was drawn from.
            "gold_read": gold in read if item.article_id else None,
            "latency_ms": round(latency, 2)}


def run_label(answerer: TracingAnswerer) -> str:
    """What a run is called in reports: its retriever (runs side by side differ in their retriever)."""
    return answerer.retriever.name


def run_name(metrics: dict) -> str:
    """The name of the run these metrics belong to (reports written before runs had labels: the retriever)."""
    return metrics.get("run") or metrics.get("retriever", "run")


def evaluate(answerer: TracingAnswerer, items: list[Item], article_text: dict[str, str], *,
             progress: bool = True, label: str | None = None) -> dict:
    """Run every item; return {"metrics": ..., "questions": [...], "recall_curve": [...]}.

    The progress bar goes to stderr and hides itself when stderr is not a terminal."""
    from tqdm import tqdm

    depth = search_depth(answerer)
    everything = frozenset(article_text)
    label = label or run_label(answerer)
    rows = [run_item(answerer, item, depth, everything)
            for item in tqdm(items, desc=label, unit="q", file=sys.stderr,
                             disable=None if progress else True, dynamic_ncols=True)]
    metrics = summarise(rows, article_text)
    metrics["retriever"] = answerer.retriever.name
    metrics["run"] = label
    return {"metrics": metrics, "questions": rows, "recall_curve": recall_curve(rows)}


def compare(answerers: list[TracingAnswerer], items: list[Item], article_text: dict[str, str], *,
            progress: bool = True) -> dict:
    """The same items through several answerers (one per retriever) over one index.

    The first answerer's run is the report's "metrics" and "questions" (the shape of a single
    run); with more than one, "compare" holds every run's metrics side by side and
    "compare_questions" the other runs' rows."""
    runs = {run_label(a): evaluate(a, items, article_text, progress=progress) for a in answerers}
    first = next(iter(runs.values()))
    report = {"metrics": first["metrics"], "questions": first["questions"],
              "recall_curve": {name: run["recall_curve"] for name, run in runs.items()}}
    if len(runs) > 1:
        report["compare"] = {name: run["metrics"] for name, run in runs.items()}
        report["compare_questions"] = {name: run["questions"] for name, run in list(runs.items())[1:]}
    return report
