"""The hybrid retriever, with the real default model over the bundled corpus, ranks the gold article
at least as well as the better of dense and BM25 alone on our own question set (the promise of the
README's retrieval table; the fusion was tuned on this set among others, so it must hold here)."""

from __future__ import annotations

from pathlib import Path

from qa.evaluate import load_questions
from qa.evaluate.metrics import mrr_at, recall_at
from qa.evaluate.runs import ranked_articles
from qa.index import load_index
from qa.retrieve import make_retriever

QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "questions.jsonl"


def test_hybrid_is_at_least_as_good_as_either_retriever_alone(bundled_settings):
    index = load_index(bundled_settings.index_dir)
    items = [i for i in load_questions(QUESTIONS)[0] if i.article_id]
    assert len(items) > 100
    figures = {}
    for name in ("hybrid", "dense", "bm25"):
        retriever = make_retriever(name, index)
        ranks = []
        for item in items:
            ranked = ranked_articles(retriever.search(item.question, 50))
            ranks.append(ranked.index(item.article_id) + 1 if item.article_id in ranked else None)
        figures[name] = (recall_at(ranks, 1), recall_at(ranks, 5), mrr_at(ranks, 10))
    for single in ("dense", "bm25"):
        assert all(h >= s for h, s in zip(figures["hybrid"], figures[single])), figures
