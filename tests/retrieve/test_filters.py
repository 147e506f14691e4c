"""Source and date filters: article metadata -> the ids retrieval may use."""

from __future__ import annotations

import pytest

from qa.records import Article
from qa.retrieve import FilterError, allowed_ids, date_range, parse_day, sources

ARTICLES = [
    Article("a", "甲", "x", "p", "大众日报", "2021-01-13"),
    Article("b", "乙", "x", "p", "聊城日报", "2023-01-19"),
    Article("c", "丙", "x", "p", "聊城日报", "2023-01-19"),
    Article("d", "丁", "x", "p", None, None),
]


def test_metadata_lists():
    assert sources(ARTICLES) == ["大众日报", "聊城日报"]
    assert date_range(ARTICLES) == ("2021-01-13", "2023-01-19")
    assert date_range([ARTICLES[3]]) is None


def test_no_filter_means_everything():
    assert allowed_ids(ARTICLES) is None
    assert allowed_ids(ARTICLES, [], "", "  ") is None


def test_source_and_dates_combine():
    assert allowed_ids(ARTICLES, ["聊城日报"]) == {"b", "c"}
    assert allowed_ids(ARTICLES, None, "2022-01-01") == {"b", "c"}
    assert allowed_ids(ARTICLES, ["大众日报", "聊城日报"], None, "2021/1/13") == {"a"}
    assert allowed_ids(ARTICLES, None, "2021年1月1日", "2023-01-19") == {"a", "b", "c"}  # undated: unknown


@pytest.mark.parametrize("value", ["yesterday", "2021-13-01", "2021-02-30"])
def test_bad_dates_say_how_to_write_them(value):
    with pytest.raises(FilterError, match="YYYY-MM-DD"):
        parse_day(value, "from")


def test_empty_results_are_explained():
    with pytest.raises(FilterError, match="is after"):
        allowed_ids(ARTICLES, None, "2023-01-01", "2021-01-01")
    with pytest.raises(FilterError, match="No article matches"):
        allowed_ids(ARTICLES, ["大众日报"], "2023-01-01")
