"""Example questions for the chat page, drawn from the question set about the bundled corpus."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

from qa.config import ROOT

QUESTIONS = ROOT / "eval" / "questions.jsonl"
# One of each kind reads as a tour of what can be asked; how-many first: it has a follow-up.
KINDS = ("how_many", "who", "when", "where", "what", "why")
# Shown first when its article is there: the page suggests "那实到多少人？" as its follow-up.
FEATURED = ("淄川区政协会议应到委员多少名？",)


def example_questions(article_ids: Collection[str], path: Path = QUESTIONS, n: int = 5) -> list[str]:
    """Up to ``n`` questions about articles in ``article_ids``, one per kind and per article, in
    simplified script; none when the question set is missing or is about other articles."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    items = []
    for line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if (isinstance(item, dict) and item.get("article_id") in article_ids and item.get("answers")
                and item.get("kind") in KINDS and item.get("script", "simplified") == "simplified"):
            items.append(item)
    items.sort(key=lambda item: item["question"] not in FEATURED)  # stable: featured first
    chosen: list[str] = []
    used_articles: set[str] = set()
    for kind in KINDS:
        for item in items:
            if item["kind"] == kind and item["article_id"] not in used_articles:
                chosen.append(item["question"])
                used_articles.add(item["article_id"])
                break
    return chosen[:n]
