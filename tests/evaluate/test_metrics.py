"""CMRC 2018 EM/F1 and retrieval metrics, checked against hand-worked cases."""

from __future__ import annotations

import pytest

from qa.evaluate.metrics import (
    cmrc_em,
    cmrc_f1,
    cmrc_tokens,
    longest_common_run,
    mrr_at,
    percentile,
    recall_at,
    recall_curve,
    summarise,
)


def test_tokens_split_cjk_per_character_and_other_runs_into_words():
    assert cmrc_tokens("iPhone 6s 发布于2015年") == ["iphone", "6s", "发", "布", "于", "2015", "年"]
    assert cmrc_tokens("3.5亿元") == ["3.5", "亿", "元"]


def test_listed_punctuation_is_removed_without_splitting_a_run():
    # "-" is listed: removed, and "ω-force" stays one word, as in the official script.
    assert cmrc_tokens("光荣和ω-force") == ["光", "荣", "和", "ωforce"]
    assert cmrc_tokens("《战国无双3》") == ["战", "国", "无", "双", "3"]
    assert cmrc_tokens("“光荣”", remove_punct=False) == ["“", "光", "荣", "”"]


def test_em_ignores_case_whitespace_at_the_ends_and_listed_punctuation():
    assert cmrc_em("《战国无双3》", ["战国无双3"]) == 1.0
    assert cmrc_em(" Windows ", ["windows"]) == 1.0
    assert cmrc_em("光荣", ["光荣和ω-force"]) == 0.0
    assert cmrc_em("村雨城", ["任天堂游戏谜之村雨城", "村雨城"]) == 1.0  # any gold
    assert cmrc_em("", ["村雨城"]) == 0.0


def test_f1_of_a_longer_prediction():
    # prediction 光 荣 和 ωforce 开 发 (6 tokens), gold 光 荣 和 ωforce (4): run 4,
    # precision 4/6, recall 1 -> F1 = 2 * (2/3) / (5/3) = 0.8
    assert cmrc_f1("光荣和ω-force开发", ["光荣和ω-force"]) == pytest.approx(0.8)


def test_f1_counts_the_longest_contiguous_run_not_a_bag_of_tokens():
    # Same four characters in another order: bag-of-tokens F1 would be 1.0; the longest common
    # contiguous run is one token, so precision = recall = 1/4.
    assert cmrc_f1("北大京学", ["北京大学"]) == pytest.approx(0.25)
    assert longest_common_run(list("abxcd"), list("abcd")) == 2


def test_f1_mixed_chinese_and_ascii():
    # gold windows 10 系 统, prediction 使 用 windows 10: common run "windows 10" = 2 of 4 each
    assert cmrc_f1("使用Windows 10", ["Windows 10系统"]) == pytest.approx(0.5)
    # gold 2015 年 (2), prediction 于 2015 年 发 布 (5): run 2 -> p 0.4, r 1 -> 4/7
    assert cmrc_f1("于2015年发布", ["2015年"]) == pytest.approx(4 / 7)


def test_f1_takes_the_best_gold_and_scores_nothing_as_zero():
    assert cmrc_f1("村雨城", ["任天堂游戏谜之村雨城", "村雨城"]) == 1.0
    assert cmrc_f1("", ["村雨城"]) == 0.0
    assert cmrc_f1("东京", ["村雨城"]) == 0.0


def test_recall_and_mrr_of_gold_ranks():
    ranks = [1, 3, None, 12]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert recall_at(ranks, 10) == 0.5
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3) / 4, abs=1e-4)
    assert recall_at([], 5) is None


def test_recall_curve_only_counts_questions_with_a_known_gold_article():
    rows = [{"gold_article_id": "a", "gold_rank": 2}, {"gold_article_id": None, "gold_rank": None}]
    curve = recall_curve(rows, ks=(1, 2, 3))
    assert curve == [0.0, 1.0, 1.0]


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([], 95) == 0.0


def _row(expected, answer, abstained, em, f1, rank=None, gold="a", quote="", latency=10.0):
    quotes = [{"article_id": gold, "start": 0, "end": len(quote), "text": quote}] if quote else []
    return {"expected": expected, "answer": answer, "abstained": abstained, "em": em, "f1": f1,
            "gold_article_id": gold if expected else None, "gold_rank": rank, "quotes": quotes,
            "closest": [], "correct": bool(expected) and not abstained and em == 1.0, "latency_ms": latency}


def test_summarise_names_and_averages():
    texts = {"a": "宋磊作报告。"}
    rows = [
        _row(["宋磊"], "宋磊", False, 1.0, 1.0, rank=1, quote="宋磊作报告。"),
        _row(["宋磊"], "not found", True, None, None, rank=4),  # abstained: EM and F1 count 0
        _row([], "宋磊", False, None, None),  # unanswerable, answered
    ]
    rows[1]["em"], rows[1]["f1"] = 0.0, 0.0
    m = summarise(rows, texts)
    for name in ("recall@1", "recall@5", "recall@10", "mrr@10", "em", "f1", "answer_in_quote",
                 "citation_validity", "abstain_rate_unanswerable", "false_abstain_rate",
                 "latency_ms_p50", "latency_ms_p95", "n"):
        assert name in m
    assert m["n"] == 3
    assert m["recall@1"] == 0.5 and m["recall@5"] == 1.0
    assert m["mrr@10"] == pytest.approx(0.625)
    assert m["em"] == 0.5 and m["f1"] == 0.5
    assert m["answer_in_quote"] == 0.5
    assert m["citation_validity"] == 1.0
    assert m["abstain_rate_unanswerable"] == 0.0
    assert m["false_abstain_rate"] == 0.5


def test_a_quote_that_is_not_the_cited_slice_is_invalid():
    rows = [_row(["宋磊"], "宋磊", False, 1.0, 1.0, quote="宋磊作报")]
    rows[0]["quotes"][0]["text"] = "宋磊做报"
    assert summarise(rows, {"a": "宋磊作报告。"})["citation_validity"] == 0.0
