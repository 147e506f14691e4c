"""eval/questions.jsonl: well-formed, and every gold answer is quoted verbatim from its article."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, QUESTIONS

from qa.evaluate import load_questions
from qa.ingest import load_corpus


@pytest.fixture(scope="module")
def items():
    items, warnings = load_questions(QUESTIONS)
    assert warnings == []
    return items


@pytest.fixture(scope="module")
def articles():
    return {a.id: a for a in load_corpus(CORPUS).articles}


def test_question_set_size_and_unique_ids(items):
    assert len(items) >= 150
    assert len({i.id for i in items}) == len(items)
    assert sum(1 for i in items if not i.answers) >= 15


def test_every_gold_answer_occurs_verbatim_in_its_article(items, articles):
    missing = []
    for item in items:
        if not item.answers:
            continue
        assert item.article_id in articles, f"{item.id}: unknown article {item.article_id}"
        text = articles[item.article_id].text
        missing += [(item.id, a) for a in item.answers if a not in text]
    assert missing == []


def test_unanswerable_questions_name_no_article_and_no_answer():
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if not rec["answers"]:
            assert not rec.get("article_id"), rec["id"]
