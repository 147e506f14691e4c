"""Follow-up questions carry the previous question's topic."""

from __future__ import annotations

import pytest

from qa.retrieve import resolve

FIRST = "淄川区政协会议应到委员多少名？"


def test_a_follow_up_is_asked_about_the_same_meeting():
    assert resolve("那实到多少人？", [FIRST]) == "淄川区政协会议委员实到多少名？"


@pytest.mark.parametrize("question", ["实到多少人？", "那么实到多少人？", "还有，实到多少人？"])
def test_markers_and_short_questions_lean_back(question):
    assert resolve(question, [FIRST]).startswith("淄川区政协会议委员实到")


def test_the_first_question_and_standalone_questions_are_unchanged():
    assert resolve(FIRST) == FIRST
    standalone = "淄博市十五届人大常委会第四十四次会议的秘书长是谁？"
    assert resolve(standalone, [FIRST]) == standalone
    # A new place named after 那 starts a new topic.
    assert resolve("那聊城市征兵工作什么时候开始？", [FIRST]) == "那聊城市征兵工作什么时候开始？"
    # 那些 / 那天 are words of their own, not a leading 那.
    assert not resolve("那些委员来自哪里？", [FIRST]).startswith("淄川区政协会议委员些")


def test_pronouns_are_replaced_by_the_topic():
    assert resolve("他是谁？", ["在淄川区政协会议上发表讲话的区委书记是谁？"]).startswith("淄川区")


def test_follow_ups_chain_and_skip_invalid_questions():
    second = resolve("那实到多少人？", ["", "😀", FIRST])
    assert second == "淄川区政协会议委员实到多少名？"
    assert "淄川区" in resolve("还有呢？", [FIRST, "那实到多少人？"])


def test_invalid_questions_are_left_for_validation():
    assert resolve("   ", [FIRST]) == ""
    assert resolve("hello", [FIRST]) == "hello"
