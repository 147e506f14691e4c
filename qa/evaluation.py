"""Question sets -> per-question results and metrics -> report.json."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from qa.answering import Answerer
from qa.errors import QAError
from qa.metrics import summarise


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None


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


def run_item(answerer: Answerer, item: Item) -> dict:
    """The `qa ask` object for one item, plus id, expected, correct and latency_ms."""
    started = time.perf_counter()
    try:
        result = answerer.ask(item.question).to_dict()
    except QAError as err:  # a question the answerer refuses counts as an abstention
        result = {"question": item.question, "answer": str(err), "abstained": True, "confidence": 0.0,
                  "quotes": [], "closest": [], "error": str(err)}
    latency = (time.perf_counter() - started) * 1000
    first = result["quotes"][0]["text"] if result["quotes"] else ""
    correct = bool(item.answers) and not result["abstained"] and any(
        g in result["answer"] or g in first for g in item.answers)
    return {**result, "id": item.id, "expected": list(item.answers), "gold_article_id": item.article_id,
            "correct": correct, "latency_ms": round(latency, 2)}


def evaluate(answerer: Answerer, items: list[Item], article_text: dict[str, str]) -> dict:
    """Run every item; return {"metrics": ..., "questions": [...]}."""
    rows = [run_item(answerer, item) for item in items]
    return {"metrics": summarise(rows, article_text), "questions": rows}


def write_report(report: dict, out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
