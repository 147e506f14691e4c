"""The year and unit checks: a span is vetoed only when the question pins a year the article never
speaks of, or asks a quantity in a kind of unit the span does not give; every answer shown passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.questions import analyse
from qa.read.checks import asked_kind, question_years, span_fits, unit_fits, year_supported

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("question, years", [
    ("南山区2020年上半年本地生产总值是多少？", {2020}),
    ("２０１８年７月北京这场暴雨造成多少人死亡？", {2018}),  # full-width digits
    ("新竹縣110年度的歲入編列是多少？", {2021}),  # Taiwan's era: 110 + 1911
    ("民國98年的預算是多少？", {2009}),
    ("这项工程用了10年，投资多少？", set()),  # a length of time, not a year
    ("会议在哪里举行？", set()),
])
def test_the_years_a_question_names(question: str, years: set[int]) -> None:
    assert question_years(question) == years


@pytest.mark.parametrize("year, text, date, supported", [
    (2017, "2017年地区生产总值超过2100亿元。", "2018-01-24", True),
    (2021, "新竹縣110年度總預算歲入313.6億元。", "2021-10-01", True),  # the era's year in the text
    (2018, "今年全市新增就业一万人。", "2018-05-02", True),  # the article's own year
    (2017, "去年全市新增就业一万人。", "2018-05-02", True),
    (2017, "全市新增就业一万人。", "2018-05-02", False),  # the year before, never spoken of
    (2012, "7·21特大暴雨造成79人遇难。", "2018-07-20", False),
    (2016, "预计2016年起步，到2045年完成。", "2012-06-01", True),
    (2020, "上半年本地生产总值3650.61亿元。", None, True),  # undated: cannot tell
    (2020, "数字20201是一个编号。", "2012-01-01", False),  # a year only inside a longer number is not one
])
def test_a_year_is_supported_by_its_figures_or_the_article_date(year, text, date, supported) -> None:
    assert year_supported(year, text, date) is supported


@pytest.mark.parametrize("question, kind", [
    ("收到的捐赠物资有多少件？", "count"),
    ("淄川区政协会议应到委员多少名？", "people"),
    ("一年租金是多少万元？", "money"),
    ("投资了多少亿美元？", "money"),
    ("持续了几个小时？", "duration"),
    ("增长了几个百分点？", "ratio"),
    ("刘曙光提出淄博要在几个方面落实突破？", None),  # 几个: a count of anything, a list answers it
    ("中央已核定花蓮哪幾所學校周邊的路口改善計畫？", None),  # 哪几: which ones
    ("巴西的大豆产量在全球排第几名？", None),  # a rank
    ("申请成为议员必须年满多少岁？", "age"),
    ("每月最多有多少所得免税额度？", None),  # 所得 is a word, not the classifier 所
    ("有多少部门被评议？", None),
    ("新北市113年度總預算原本編了多少歲出？", None),  # 岁出, a budget's spending side
    ("会议在哪里举行？", None),
])
def test_the_unit_a_question_asks_in(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize("question, span, fits", [
    ("收到的捐赠物资有多少件？", "5000余件", True),
    ("屈臣氏酒窖在香港设有多少家分店？", "28间", True),  # counted things stand in for each other
    ("申请成为议员必须年满多少岁？", "年满18周岁", True),
    ("尚纯活了多少岁？", "四十七", True),  # numerals alone are a number
    ("油价提高了多少倍？", "十", True),
    ("捐赠的棉服一共有多少件？", "20万元", False),
    ("一年租金是多少万元？", "3倍多", False),
    ("一年租金是多少万元？", "12.5万元", True),
    ("京港澳高速救人的农民工里来自四川的有多少人？", "四川、江苏和山东", False),  # no number at all
    ("淄川区政协会议应到委员多少名？", "231人", True),  # 人 and 名 count the same
    ("要在几个方面落实突破？", "六个方面", True),
    ("有几家企业入选？", "6个", True),
    ("需要投入多少资金？", "14500", True),  # no unit asked
    ("投入多少万元？", "14500", True),  # a bare number: its unit unknown, not held against it
])
def test_a_span_fits_the_unit_asked(question: str, span: str, fits: bool) -> None:
    assert unit_fits(question, span) is fits


@pytest.mark.parametrize("name", ["news_train/news_train.json", "train/cmrc2018_train.json", "train/drcd_test.json"])
def test_gold_answers_of_the_training_sets_pass_the_checks(name: str) -> None:
    """At most one gold answer in a thousand is vetoed: the checks take wrong spans, not right ones."""
    path = ROOT.parent / "shared" / "datasets" / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    checked = vetoed = 0
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            text = f"{article.get('title') or ''}\n{para['context']}"
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                q = analyse(qa["question"])
                if q.kind != "how_many" and not question_years(q.text):
                    continue
                checked += 1
                vetoed += not span_fits(q, qa["answers"][0]["text"], text, article.get("date"))
    assert checked > 300
    assert vetoed <= checked / 1000, f"{vetoed} of {checked} gold answers vetoed"


def test_only_how_many_questions_are_held_to_a_unit() -> None:
    why = analyse("据村民说，几名死者当时为什么会在路边？")
    assert why.kind == "why"
    assert span_fits(why, "当天在路边等公交车", "据村民说……", "2021-03-01")


def test_every_answer_shown_passes_the_checks(bundled_answerer) -> None:
    """Over the bundled questions that ask a quantity or name a year, no shown answer fails a check."""
    articles = bundled_answerer.index.articles
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").open(encoding="utf-8")]
    asked = [r["question"] for r in rows if question_years(r["question"]) or "多少" in r["question"]]
    assert len(asked) >= 20
    for question in asked:
        answer = bundled_answerer.ask(question)
        if answer.abstained:
            continue
        quote = answer.quotes[0]
        article = articles[quote.article_id]
        assert span_fits(analyse(question), answer.answer, f"{article.title}\n{article.text}", article.date), question


def test_a_figure_in_another_unit_is_not_an_answer(bundled_answerer) -> None:
    """The bundled corpus gives the money 聊城 gave 彭水 (20万元), not a count of coats."""
    answer = bundled_answerer.ask("聊城向彭水捐赠的过冬棉服一共有多少件？")
    assert answer.abstained
    assert answer.closest, "the closest passages are still shown"
