"""`qa eval`: SQuAD-format benchmarks with a cached index, comparisons, report files, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.evaluate import Item, cache_dir, failure_kind, load_squad, render, run_item

SQUAD = {
    "version": "v1.0",
    "data": [
        {"id": "A", "title": "临淄古城", "paragraphs": [
            {"id": "A_0",
             "context": "临淄古城是齐国的都城，位于山东省淄博市。古城始建于公元前九世纪，城墙周长约二十一公里。",
             "qas": [{"id": "A_0_Q0", "question": "临淄古城位于哪个省？",
                      "answers": [{"text": "山东省", "answer_start": 12}]},
                     {"id": "A_0_Q1", "question": "临淄古城的城墙周长约多少公里？",
                      "answers": [{"text": "二十一公里", "answer_start": 35}]}]},
            {"id": "A_1", "context": "齐国故城遗址博物馆于2015年开馆，馆藏文物三千余件。",
             "qas": [{"id": "A_1_Q0", "question": "齐国故城遗址博物馆哪一年开馆？",
                      "answers": [{"text": "2015年", "answer_start": 9}]}]},
        ]},
        {"id": "B", "title": "周村烧饼", "paragraphs": [
            {"id": "B_0", "context": "周村烧饼是山东淄博周村区的传统名吃，以薄、香、酥、脆著称，已有一百多年历史。",
             "qas": [{"id": "B_0_Q0", "question": "周村烧饼以什么著称？",
                      "answers": [{"text": "薄、香、酥、脆", "answer_start": 20}]}]},
        ]},
    ],
}
METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "em", "f1", "answer_in_quote", "citation_validity",
           "abstain_rate_unanswerable", "false_abstain_rate", "latency_ms_p50", "latency_ms_p95",
           "index_build_seconds", "n")


@pytest.fixture
def squad_file(tmp_path) -> Path:
    path = tmp_path / "tiny_squad.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    return path


def test_every_paragraph_becomes_an_article_with_its_questions(squad_file):
    squad = load_squad(squad_file)
    assert [p.id for p in squad.paragraphs] == ["A_0", "A_1", "B_0"]
    assert [p.title for p in squad.paragraphs] == ["临淄古城（1）", "临淄古城（2）", "周村烧饼（1）"]
    assert [(i.id, i.article_id) for i in squad.items][2] == ("A_1_Q0", "A_1")
    limited = load_squad(squad_file, limit=2)
    assert len(limited.items) == 2 and len(limited.paragraphs) == 3  # the corpus stays whole


def test_squad_eval_compares_retrievers_and_reuses_its_cached_index(squad_file, tmp_path, fake_embedder,
                                                                     monkeypatch):
    cache, out = tmp_path / "cache", tmp_path / "out"
    argv = ["eval", "--squad", str(squad_file), "--cache", str(cache), "--out", str(out),
            "--compare", "hybrid,dense,bm25"]
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["compare"]) == {"hybrid", "dense", "bm25"}
    for metrics in report["compare"].values():
        assert set(METRICS) <= set(metrics)
        assert metrics["n"] == 4 and metrics["citation_validity"] == 1.0
    assert report["metrics"]["retriever"] == "hybrid"
    assert set(report["compare_questions"]) == {"dense", "bm25"}
    row = report["questions"][0]
    for key in ("question", "answer", "abstained", "quotes", "id", "expected", "correct", "em", "f1",
                "gold_rank", "latency_ms"):
        assert key in row
    assert len(report["recall_curve"]["bm25"]) == 20
    assert report["run"]["index_reused"] is False
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | hybrid | dense | bm25 |" in md and "recall@5" in md
    assert (out / "recall_at_k.png").stat().st_size > 1000 and (out / "latency.png").stat().st_size > 1000
    built = report["metrics"]["index_build_seconds"]

    # Second run: same file, same embedder -> the cached index is reused, nothing is built.
    import qa.index.builder

    def no_build(*args, **kwargs):
        raise AssertionError("the cached index should have been reused")

    monkeypatch.setattr(qa.index.builder, "build", no_build)
    assert main(["eval", "--squad", str(squad_file), "--cache", str(cache), "--out", str(out), "--limit", "2"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["index_reused"] is True
    assert report["metrics"]["n"] == 2
    assert report["metrics"]["index_build_seconds"] == built
    assert len(list((cache / "squad").iterdir())) == 1


def test_cache_is_keyed_by_file_content_and_embedder(squad_file, tmp_path):
    first = cache_dir(squad_file, "model-a", tmp_path)
    assert cache_dir(squad_file, "model-b", tmp_path) != first
    squad_file.write_text(squad_file.read_text(encoding="utf-8").replace("二十一", "二十二"), encoding="utf-8")
    assert cache_dir(squad_file, "model-a", tmp_path) != first


def test_questions_eval_writes_a_compatible_report(tmp_path, small_corpus, fake_embedder):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "x1", "question": "会议在哪天开幕？", "answers": ["2月7日"]}\n'
                         '{"id": "x2", "question": "火星上有多少座城市？", "answers": []}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["eval", "--questions", str(questions), "--corpus", str(small_corpus),
                 "--index", str(tmp_path / "idx"), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in report["questions"]] == ["x1", "x2"]
    assert report["metrics"]["n"] == 2 and "compare" not in report
    assert report["metrics"]["index_build_seconds"] is not None  # built in this run
    assert report["questions"][1]["gold_rank"] is None and report["questions"][1]["em"] is None


def test_bad_question_source_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "--squad", str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(("row", "kind"), [
    ({"expected": [], "abstained": True, "answer": ""}, None),
    ({"expected": [], "abstained": False, "answer": "x"}, "answered_unanswerable"),
    ({"expected": ["宋磊"], "abstained": True, "answer": ""}, "false_abstain"),
    ({"expected": ["宋磊"], "abstained": False, "answer": "由宋磊作报告", "gold_read": False}, None),
    ({"expected": ["宋磊"], "abstained": False, "answer": "李明", "gold_read": False}, "not_retrieved"),
    ({"expected": ["宋磊"], "abstained": False, "answer": "李明", "gold_read": True}, "span_missed"),
])
def test_failure_kinds(row, kind):
    assert failure_kind(row) == kind


def test_report_markdown_lists_failures_with_question_expected_got_and_quote():
    row = {"id": "q9", "question": "谁作了报告？", "expected": ["宋磊"], "abstained": False, "answer": "李明",
           "confidence": 0.8, "f1": 0.0, "gold_rank": 1, "gold_read": True,
           "quotes": [{"text": "李明主持会议。", "title": "临淄新闻"}], "closest": []}
    md = render({"metrics": {"retriever": "hybrid", "n": 1}, "questions": [row]})
    assert "Retrieved but answer span missed (1; worst 1)" in md
    assert "谁作了报告" in md and "expected: 宋磊" in md and "got: 李明" in md and "“李明主持会议。”" in md


def test_traced_answer_is_the_plain_answer_and_ranks_the_gold_article(bundled_answerer):
    question = "淄川区政协会议应到委员多少名？"
    traced = bundled_answerer.ask_traced(question, depth=50)
    assert traced.answer == bundled_answerer.ask(question)
    assert len(traced.hits) >= traced.read
    gold = traced.hits[0].chunk.article_id
    row = run_item(bundled_answerer, Item("t1", question, ("248名",), gold))
    assert row["gold_rank"] == 1 and row["gold_read"] is True
    assert row["latency_ms"] > 0


def test_drop_gold_asks_again_without_the_gold_paragraph_and_compares_retrievers(squad_file, tmp_path,
                                                                                   fake_embedder):
    out = tmp_path / "out"
    argv = ["eval", "--squad", str(squad_file), "--cache", str(tmp_path / "cache"), "--out", str(out),
            "--compare", "hybrid,bm25", "--drop-gold", "2"]
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["compare"]) == {"hybrid", "bm25"}
    assert report["run"]["dropped_gold"] == 2
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| metric | hybrid | bm25 |" in md and "## Failures (hybrid)" in md
    runs = {"hybrid": report["questions"], **report["compare_questions"]}
    for name, rows in runs.items():
        metrics = report["compare"][name]
        assert metrics["n"] == 6 and metrics["n_unanswerable"] == 2, name
        dropped = [r for r in rows if r["id"].endswith("#dropped")]
        assert len(dropped) == 2 and all(r["expected"] == [] for r in dropped)
        originals = {r["id"]: r for r in rows}
        for r in dropped:
            gold = originals[r["id"].removesuffix("#dropped")]["gold_article_id"]
            # The gold paragraph was out of the search: nothing the answer shows comes from it.
            assert all(q["article_id"] != gold for q in r["quotes"] + r["closest"]), (name, r["id"])


def test_drop_gold_needs_a_squad_file(tmp_path, capsys):
    assert main(["eval", "--questions", str(tmp_path / "q.jsonl"), "--drop-gold", "3"]) == 2
    assert "--drop-gold needs --squad" in capsys.readouterr().err
