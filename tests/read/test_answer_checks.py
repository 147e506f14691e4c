"""The answer checks: a span is vetoed only when the question pins a year, month or place the article
(or its figure's sentence or clause) speaks of only others of, asks a quantity in a kind of unit the
span does not give, asks which and gets how many, asks one side of a pair (or one ordinal or weekday)
the span's clause names only another of, asks a place's officer and gets another place's, asks how
many of a whole and gets the whole, or asks a month and gets a quarter; every answer shown passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.questions import analyse
from qa.read.checks import (
    asked_kind,
    asks_which,
    clause_place_fits,
    credit_fits,
    level_fits,
    measure_fits,
    ordinal_fits,
    part_fits,
    places_supported,
    quarter_fits,
    question_years,
    sentence_month_fits,
    sentence_year_fits,
    side_fits,
    span_fits,
    terms_supported,
    unit_fits,
    weekday_fits,
    which_fits,
    year_supported,
)
from qa.read.checks.places import question_places

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("question, years", [
    ("南山区2020年上半年本地生产总值是多少？", {2020}),
    ("２０１８年７月北京这场暴雨造成多少人死亡？", {2018}),  # full-width digits
    ("新竹縣110年度的歲入編列是多少？", {2021}),  # Taiwan's era: 110 + 1911
    ("民國98年的預算是多少？", {2009}),
    ("这项工程用了10年，投资多少？", set()),  # a length of time, not a year
    ("1990年代台灣有多少家腳踏車業者？", set()),  # a decade
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
    ("龙华区2018年地区生产总值的预期增长目标是多少？", "ratio"),  # a rate, no unit named
    ("城镇登记失业率是多少？", "ratio"),
    ("地区生产总值是多少？", None),
    ("需要投入多少资金？", "money"),
    ("中央补助的经费是多少？", "money"),
    ("补助以不超过总经费多少为限？", None),  # a share of the money
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
    ("湾溪小学的总投资是多少亿元？", "总投资亿元", False),  # a scale alone is no number
    ("有多少人参加？", "数百人", True),  # a scale counted by 数, 上, 近
    ("有多少人参加？", "上万人", True),
    ("预期增长目标是多少？", "超过2100亿元", False),
    ("预期增长目标是多少？", "8.8%左右", True),
    ("需要投入多少资金？", "14500座", False),  # money asked by name
    ("经费是多少？", "500萬元", True),
    ("投入多少万元？", "14500", True),  # a bare number: its unit unknown, not held against it
])
def test_a_span_fits_the_unit_asked(question: str, span: str, fits: bool) -> None:
    assert unit_fits(question, span) is fits


@pytest.mark.parametrize("question, sentence, fits", [
    ("澳門2021年財政年度預算的收入總額是多少？",  # the figure is the next year's
     "2022年財政年度一般綜合預算的收入總額修改為澳門元107,375,096,600元。", False),
    ("澳門2022年財政年度預算的收入總額是多少？",
     "2022年財政年度一般綜合預算的收入總額修改為澳門元107,375,096,600元。", True),
    ("2011年上半年社会保险基金总收入是多少？", "今年前六个月，基金总收入13206.7亿元，同比增长25.5%。", False),
    ("2010年受干旱影响的面积有多大？",  # a year after the figure is a comparison
     "受影响的地区大约有1,160,000平方英里的雨林，而2005年为734,000平方英里。", True),
    ("2024年中央专案挹注了多少经费？", "去(113)年中央專案挹注經費500萬元。", True),  # Taiwan's era, marked
    ("截至2022年12月30日有多少位村里长投保？", "從開辦至111年12月30日止，已有近7600位村長投保。", True),
    ("1975年到后十年教育经费成长了多少？", "1975-1985年間，教育經費增長近16倍。", True),
    ("2018年上半年的产值是多少？", "上半年产值3650亿元。", True),  # the sentence names no year
])
def test_a_figure_is_of_a_year_its_sentence_names(question: str, sentence: str, fits: bool) -> None:
    figure = re.search(r"(13206.7亿元|107,375,096,600元|1,160,000|500萬元|近7600位|近16倍|3650亿元)", sentence)
    assert sentence_year_fits(question, "", sentence, figure.start(), figure.end(), "2012-07-26") is fits


def test_the_article_year_and_a_date_span_are_never_held_against_a_figure() -> None:
    question = "2024年8月公開的政黨財報中，完成申報的有幾個政黨？"
    sentence = "內政部公開各政黨申報112年度財務書表，計有75個政黨完成申報。"
    at = sentence.index("75個")
    assert sentence_year_fits(question, "", sentence, at, at + 3, "2024-08-12")  # the article's year
    assert not sentence_year_fits(question, "", sentence, at, at + 3, "2025-01-02")
    sentence = "李明博就任后，将移交时间推迟到了2015年12月1日。"
    at = sentence.index("2015")
    assert sentence_year_fits("在2014年9月，预计何时移交？", "", sentence, at, at + 10, None)  # the span is the date


def test_a_budget_year_is_held_to_the_headline_and_never_excused_as_the_articles_own() -> None:
    title = "新竹縣議會定期會議開幕 楊縣長爭取議會支持明年度總預算"
    sentence = "此外，歲入編列為313.6億元。"
    at = sentence.index("313.6")
    assert not sentence_year_fits("新竹縣110年度的歲入編列是多少？", title, sentence, at, at + 7, "2021-10-28")
    assert sentence_year_fits("新竹縣111年度的歲入編列是多少？", title, sentence, at, at + 7, "2021-10-28")
    sentence = "原列歲入271億1760萬元。"
    at = sentence.index("271")
    # a 2014 article on next year's budget, asked about 2014年度's
    assert not sentence_year_fits("云林县2014年度总预算的岁入是多少？", "完成明年度總預算審議", sentence, at, at + 10,
                                  "2014-12-23")


@pytest.mark.parametrize("question, clause, fits", [
    ("新竹县2022年度总预算岁出编了多少？", "歲入編列為313.6億元", False),
    ("新竹县2022年度总预算岁出编了多少？", "歲出編列為323.6億元", True),
    ("在深圳举报地沟油最少能拿到多少奖励？", "最高可获得50万元奖励", False),
    ("原列岁入和岁出各多少？", "歲入271億1760萬元", True),  # both sides asked
    ("岁入是多少？", "原列歲入271億1760萬元、歲出267億6760萬元", True),  # both sides named
    ("岁入是多少？", "总额为271億1760萬元", True),  # no side named
    ("给遇难者发的慰问金一共是多少钱？", "发放每人1万元慰问金", False),  # a share, not the total
    ("2012年全年城镇新增就业多少人？", "上半年全国城镇新增就业694万人", False),  # a part of the year
])
def test_a_span_is_on_the_side_asked(question: str, clause: str, fits: bool) -> None:
    assert side_fits(question, clause) is fits


@pytest.mark.parametrize("name", ["news_train/news_train.json", "train/cmrc2018_train.json", "train/drcd_test.json"])
def test_gold_answers_of_the_training_sets_pass_the_checks(name: str) -> None:
    """At most one gold answer in a thousand is vetoed: the checks take wrong spans, not right ones.
    Each gold answer is checked where it stands in its article."""
    path = ROOT.parent / "shared" / "datasets" / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    checked = vetoed = 0
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa["answers"] or not qa["question"].strip():
                    continue
                start = qa["answers"][0]["answer_start"]
                end = start + len(qa["answers"][0]["text"])
                if para["context"][start:end] != qa["answers"][0]["text"]:
                    continue  # an answer whose offset is off in the set itself
                checked += 1
                vetoed += not span_fits(analyse(qa["question"]), article.get("title") or "", para["context"],
                                        start, end, article.get("date"))
    assert checked > 1000
    assert vetoed <= checked / 1000, f"{vetoed} of {checked} gold answers vetoed"


def test_only_how_many_questions_are_held_to_a_unit() -> None:
    why = analyse("据村民说，几名死者当时为什么会在路边？")
    assert why.kind == "why"
    text = "据村民说，当天在路边等公交车。"
    assert span_fits(why, "", text, 5, len(text) - 1, "2021-03-01")


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
        assert span_fits(analyse(question), article.title, article.text, *answer.span, article.date), question


def test_a_figure_in_another_unit_is_not_an_answer(bundled_answerer) -> None:
    """The bundled corpus gives the money 聊城 gave 彭水 (20万元), not a count of coats."""
    answer = bundled_answerer.ask("聊城向彭水捐赠的过冬棉服一共有多少件？")
    assert answer.abstained
    assert answer.closest, "the closest passages are still shown"


def test_a_bare_figure_takes_the_unit_written_after_it() -> None:
    q = analyse("甘谷县新建120座行政村公共厕所需要投入多少资金？")
    text = "甘谷县新建行政村公共厕所120座、旅游厕所8座，农村户用厕所14500座。"
    at = text.index("14500")
    assert not span_fits(q, "", text, at, at + 5, "2020-05-11")
    text = "甘谷县新建行政村公共厕所120座，投入资金14500万元。"
    at = text.index("14500")
    assert span_fits(q, "", text, at, at + 5, "2020-05-11")


@pytest.mark.parametrize("clause, fits", [
    ("泸州市于8月13日10时启动Ⅳ级防汛应急响应", False),  # another level
    ("泸州市于8月14日启动Ⅰ级防汛应急响应", True),
    ("泸州市于8月13日10时启动防汛应急响应", True),  # no level named
])
def test_a_level_asked_is_the_level_of_the_clause(clause: str, fits: bool) -> None:
    assert level_fits("泸州是什么时候启动Ⅰ级防汛应急响应的？", clause) is fits


@pytest.mark.parametrize("question, places", [
    ("房县县人大常委会主任是谁？", ("房县",)),
    ("深圳市宝安区2017年地区生产总值是多少？", ("深圳市", "宝安区")),
    ("全市有多少家医院？", ()),  # no one place
    ("华北地区今年降水多少？", ()),  # a region
    ("遵义圣城华府小区的物业公司叫什么名字？", ()),  # a housing estate
])
def test_the_administrative_places_a_question_names(question: str, places: tuple[str, ...]) -> None:
    assert question_places(question) == places


@pytest.mark.parametrize("question, article, supported", [
    ("深圳市宝安区2017年地区生产总值是多少？", "龙华区第一届人民代表大会第二次会议开幕。深圳市龙华区……", False),
    ("房县县人大常委会主任是谁？", "鲁山县十五届人大常委会第三十四次会议召开。", False),
    ("龙华区一届人大二次会议在哪里开幕？", "龙华第一届人民代表大会第二次会议在龙华会堂开幕。", True),  # no suffix
    ("新北市主計處處長叫什麼名字？", "新北議會通過113年度總預算，新北市主計處處長吳建國說……", True),  # script
    ("新竹縣議會有多少席議員？", "新竹市議會今天開議。", False),  # 新竹 there is the city, not the county
    ("新竹縣議會有多少席議員？", "新竹議會今天開議。", True),
])
def test_an_article_names_the_places_asked(question: str, article: str, supported: bool) -> None:
    assert places_supported(question, article) is supported


def test_a_kind_of_district_is_not_a_place() -> None:
    assert question_places("刘文强检查消防时走访了哪个住宅小区？") == ()
    assert question_places("浦东新区有多少常住人口？") == ("浦东新区",)


@pytest.mark.parametrize("question, which", [
    ("2024年因为没有申报财报而被罚的是哪个政党？", True),
    ("110年獲頒優等的3個合作社是哪幾家？", True),
    ("主持会议的是哪位领导？", True),
    ("哪一年开始实施？", False),  # a time
    ("从哪个月起涨价？", False),
    ("这是第几届会议？", False),  # a rank
    ("会议在哪里举行？", False),  # a place
])
def test_a_question_asks_which_ones(question: str, which: bool) -> None:
    assert asks_which(question) is which


@pytest.mark.parametrize("span, fits", [
    ("1個政黨", False),  # how many, not which
    ("8名", False),
    ("民主进步党", True),
    ("5栋", True),  # a measure word alone may be a number's name (哪栋楼: 5栋)
    ("政黨", False),  # the word it asks which of
    ("「政党」", False),
    ("政党联盟", True),
])
def test_a_which_question_is_not_answered_by_a_count_or_its_own_noun(span: str, fits: bool) -> None:
    assert which_fits("被罚的是哪个政党？", span) is fits


@pytest.mark.parametrize("question, span, fits", [
    ("本季高雄市的住宅價格指數是多少點？", "2.71%", False),  # a rise, not the index
    ("本季高雄市的住宅價格指數是多少點？", "112.5點", True),
    ("本季高雄市的住宅價格指數是多少點？", "112.5", True),
])
def test_points_are_not_a_ratio(question: str, span: str, fits: bool) -> None:
    assert asked_kind("租金补贴专线几点开放？") is None  # 几点 asks the time
    assert unit_fits(question, span) is fits


@pytest.mark.parametrize("clause, fits", [
    ("以臺北市84.17歲", False),  # another city's figure
    ("其餘依序為新北市83.6歲", True),
    ("平均壽命84.17歲", True),  # no place named
    ("以新北市、臺北市84.17歲", True),  # the city asked among others
    ("板橋區、三重區共84.17歲", True),  # the districts of a city are not another city
])
def test_a_figure_is_of_the_place_its_clause_names(clause: str, fits: bool) -> None:
    assert clause_place_fits("110年新北市平均寿命是多少岁？", clause) is fits


@pytest.mark.parametrize("question, sentence, fits", [
    ("2024年10月全国建物买卖登记户数是多少？", "今年9月全國建物買賣登記戶數2萬9520戶", False),
    ("2024年10月全国建物买卖登记户数是多少？", "今年10月全國建物買賣登記戶數2萬9520戶", True),
    ("2024年10月全国建物买卖登记户数是多少？", "全國建物買賣登記戶數2萬9520戶", True),  # no month named
    ("2024年十月全国建物买卖登记户数是多少？", "十月全國建物買賣登記戶數2萬9520戶", True),
    ("截至2023年3月，累计有多少名高专人才归化？", "3月15日修正公布後，累計已有260名", True),  # as of a month
])
def test_a_figure_is_of_a_month_its_sentence_names(question: str, sentence: str, fits: bool) -> None:
    at = re.search(r"[0-9]+萬[0-9]+戶|260名", sentence)
    assert sentence_month_fits(question, sentence, at.start(), at.end()) is fits


@pytest.mark.parametrize("question, before, fits", [
    ("金門縣議會第一審查委員會的召集人是誰？", "第三審查委員會召集人", False),  # another committee's
    ("金門縣議會第一審查委員會的召集人是誰？", "第一審查委員會召集人", True),
    ("金门县议会第1审查委员会的召集人是谁？", "第一審查委員會召集人", True),  # figures and numerals alike
    ("竹山县十七届人大六次会议通过了什么？", "县十七届人大常委会第三十八次会议", False),  # 38, not 6
    ("竹山县十七届人大六次会议通过了什么？", "十七届人大第六次会议", True),
    ("竹山县十七届人大六次会议通过了什么？", "会议", True),  # no ordinal named
    ("瑞典第一大湖泊是哪个？", "第二批", True),  # an ordinal of another count
])
def test_a_span_is_of_the_ordinal_asked(question: str, before: str, fits: bool) -> None:
    assert ordinal_fits(question, before) is fits


@pytest.mark.parametrize("before, fits", [
    ("杭州市消防救援支队副支队长", False),  # another city's officer
    ("定西市消防救援支队支队长", True),
    ("支队长", True),  # no city named
])
def test_a_person_is_of_the_place_the_office_before_the_name_names(before: str, fits: bool) -> None:
    text = f"{before}王宇说，应立即关闭燃气阀门。"
    start = text.index("王宇")
    assert span_fits(analyse("定西市消防救援支队支队长是谁？"), "定西", text, start, start + 2, None) is fits


@pytest.mark.parametrize("span, fits", [
    ("7家", False),  # the whole again
    ("共7家", False),
    ("3家", True),
    ("7人", True),  # another kind of count
])
def test_how_many_of_a_whole_is_not_the_whole(span: str, fits: bool) -> None:
    assert part_fits("这7家受查核的职业团体中，有几家被查出缺失？", span) is fits
    assert part_fits("有几家职业团体被查出缺失？", span)  # no whole named


@pytest.mark.parametrize("clause, fits", [
    ("週一至五早上8時至下午6時", False),  # Monday to Friday
    ("星期六上午9時至12時", True),
    ("週一至週六", True),
    ("每天早上8時起", True),  # no weekday named
])
def test_a_weekday_asked_is_one_the_clause_names(clause: str, fits: bool) -> None:
    assert weekday_fits("租金补贴咨询专线星期六几点开放？", clause) is fits


@pytest.mark.parametrize("question, clause, fits", [
    ("2024年10月全国建物买卖登记户数是多少？", "本季全國建物買賣登記棟數為8萬8217戶", False),  # a quarter's
    ("2024年10月全国建物买卖登记户数是多少？", "10月全國建物買賣登記棟數為8萬8217戶", True),
    ("2024年10月全国建物买卖登记户数是多少？", "全國建物買賣登記棟數為8萬8217戶", True),
    ("113年第3季全國建物買賣登記有多少戶？", "本季全國建物買賣登記棟數為8萬8217戶", True),  # a quarter asked
])
def test_a_month_asked_is_not_answered_by_a_quarter(question: str, clause: str, fits: bool) -> None:
    assert quarter_fits(question, clause[:clause.index("8萬")]) is fits


@pytest.mark.parametrize("question, clause, fits", [
    ("房山法院判物业公司赔偿周先生多少精神损失费？", "要求赔偿车辆修理费3060元", False),  # another fee
    ("车主向物业索赔的修车费是多少？", "要求赔偿车辆修理费3060元", True),  # 修理费 is the 修车费
    ("長江瀘州段的保證水位是多少米？", "已超過警戒水位(15米", False),
    ("長江瀘州段的警戒水位是多少米？", "已超過警戒水位(15米", True),
    ("这项工程花了多少费用？", "工程建设及用地费13.29亿元", True),  # 费用 and 经费 are any cost
    ("补助经费是多少？", "工程建设及用地费13.29亿元", True),
    ("精神损失费是多少？", "共赔偿3060元", True),  # a clause naming no fee
])
def test_a_figure_is_of_the_measure_asked(question: str, clause: str, fits: bool) -> None:
    assert measure_fits(question, clause) is fits


@pytest.mark.parametrize("question, before, span, after, fits", [
    ("二讀會上是誰宣布總預算各刪6億元？", "（中央社記者", "郝雪卿", "台中10日電）", False),  # the byline
    ("安溪县纪委书记是谁？", "", "洪  琥绘", "（人民视觉）", False),  # a picture's credit
    ("安溪县纪委书记是谁？", "", "洪  琥", " 绘（人民视觉）", False),
    ("这篇报道的记者是谁？", "（中央社記者", "郝雪卿", "台中10日電）", True),  # asked for
    ("二讀會上是誰宣布總預算各刪6億元？", "議長", "張清照", "宣布", True),
    ("谁接受了记者采访？", "他对记者说，", "张三", "表示", True),
])
def test_a_byline_name_is_not_an_answer(question: str, before: str, span: str, after: str, fits: bool) -> None:
    assert credit_fits(question, before, span, after) is fits


@pytest.mark.parametrize("clause, fits", [
    ("預估下屆彰化縣、基隆市及新竹市將可增加1位", False),  # 新竹 with another suffix than asked
    ("預估下屆彰化縣、新竹將可增加1位", True),  # no suffix: may be the county
    ("預估下屆新竹縣市將可增加1位", True),
])
def test_a_place_without_its_suffix_is_not_one_with_another(clause: str, fits: bool) -> None:
    assert clause_place_fits("修法後下屆新竹縣可增加幾席山地原住民議員？", clause) is fits


@pytest.mark.parametrize("question, article, supported", [
    ("110年因COVID-19死亡的人數有多少？", "內政部：110年國人平均壽命80.86歲，死亡人數18萬4457人", False),
    ("110年因COVID-19死亡的人數有多少？", "其中因 ＣＯＶＩＤ－１９ 死亡者", True),  # full width, spaces, case
    ("2023年GDP是多少？", "国内生产总值（GDP）增长5.2%", True),
    ("2023年有多少人参加？", "共3000人参加", True),  # no term asked
    ("A股有多少家公司？", "沪深两市", True),  # one letter is no term
    ("WiFi热点有多少个？", "免费Wi-Fi热点3000个", True),  # hyphens folded
    ("NBA MVP是谁？", "NBA最有价值球员（MVP）是约基奇", True),  # each word alone
    ("NBA MVP是谁？", "最有价值球员是约基奇", False),
])
def test_a_term_in_latin_letters_is_named_by_the_article(question: str, article: str, supported: bool) -> None:
    assert terms_supported(question, article) is supported
