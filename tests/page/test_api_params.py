"""The page API's arguments: wrong types, unknown outlets, impossible or malformed dates, oversized
`previous` lists and out-of-range `top_k` are each refused in one sentence that says what to send
(the same sentence locally and over the API), never with Python's exception text; what is merely
unusual (blank dates, a long but bounded conversation) is answered."""

from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from qa.config import MAX_QUESTION_CHARS
from qa.errors import QAError
from qa.page import MEMORY, ParameterError, check_ask
from qa.page.api_params import MAX_PREVIOUS, MAX_TOP_K
from qa.records import Article
from qa.retrieve import allowed_ids, sources

FIRST = "淄川区政协会议应到委员多少名？"
FOLLOW = "那实到多少人？"
HUGE = "问" * 10**6
# Python's own words for its failures: none may reach a client.
PYTHON_TEXT = ("Traceback", "TypeError", "AttributeError", "ValueError", "KeyError", "object is not",
               "has no attribute", "upstream Gradio app", "show_error")

# (name, arguments besides the question); each is refused. Dates and outlets are those of the
# bundled corpus, whose outlets include 聊城日报 and none named 不存在日报.
BAD = [
    ("question a number", {"question": 123}),
    ("question a list", {"question": [FIRST]}),
    ("question missing", {"question": None}),
    ("sources a string", {"sources": "聊城日报"}),
    ("sources a number", {"sources": 5}),
    ("sources of numbers", {"sources": [1, 2]}),
    ("unknown outlet", {"sources": ["不存在日报"]}),
    ("unknown beside a known outlet", {"sources": ["聊城日报", "不存在日报"]}),
    ("outlet name of a million characters", {"sources": [HUGE]}),
    ("date_from after date_to", {"date_from": "2023-12-31", "date_to": "2023-01-01"}),
    ("month 13", {"date_from": "2021-13-45"}),
    ("tomorrow", {"date_to": "tomorrow"}),
    ("date a number", {"date_from": 20210207}),
    ("date a list", {"date_to": ["2021-02-07"]}),
    ("date of a million characters", {"date_from": HUGE}),
    ("previous a string", {"question": FOLLOW, "previous": FIRST}),
    ("previous a number", {"question": FOLLOW, "previous": 3}),
    ("previous with a number", {"question": FOLLOW, "previous": [FIRST, 3]}),
    ("previous of 10,000 items", {"question": FOLLOW, "previous": [FIRST] * 10_000}),
    ("previous of huge strings", {"question": FOLLOW, "previous": [HUGE] * 3}),
    ("top_k 0", {"top_k": 0}),
    ("top_k -1", {"top_k": -1}),
    ("top_k 10**9", {"top_k": 10**9}),
    ("top_k a string", {"top_k": "5"}),
    ("top_k a float", {"top_k": 2.5}),
    ("top_k true", {"top_k": True}),
]


def arguments(extra: dict) -> dict:
    return {"question": FIRST, "sources": None, "date_from": "", "date_to": "", "previous": None, "top_k": None,
            **extra}


def client(url: str) -> Client:
    return Client(url, analytics_enabled=False, verbose=False, download_files=False)


def refusal(extra: dict, articles) -> str:
    """The sentence the page should send back for these arguments, computed without the page."""
    args = arguments(extra)
    with pytest.raises(QAError) as refused:
        req = check_ask(*args.values(), outlets=sources(articles))
        allowed_ids(articles, req.sources, req.date_from, req.date_to)  # date format and range
    return str(refused.value)


def assert_one_clear_sentence(message: str) -> None:
    assert message and "\n" not in message and message.endswith((".", "？"))  # some end on an example question, message
    assert len(message) < 300, message  # a huge value is not echoed back
    assert not any(word in message for word in PYTHON_TEXT), message


def article(n: int, source: str | None, date: str | None) -> Article:
    return Article(id=f"a{n}", title=f"标题{n}", text="正文。", path=f"a{n}.md", source=source, date=date)


ARTICLES = [article(1, "聊城日报", "2023-03-01"), article(2, "齐鲁晚报", "2021-02-07"), article(3, None, None)]


@pytest.mark.parametrize("name, extra", BAD, ids=[b[0] for b in BAD])
def test_each_bad_argument_is_refused_in_one_sentence(name, extra):
    assert_one_clear_sentence(refusal(extra, ARTICLES))


def test_the_unknown_outlet_is_named_and_the_known_ones_listed():
    message = refusal({"sources": ["聊城日报", "聊城日報"]}, ARTICLES)
    assert '"聊城日報"' in message and "聊城日报" in message and "齐鲁晚报" in message


@pytest.mark.parametrize("top_k", [1, 5, MAX_TOP_K, None])
def test_top_k_in_range_is_taken(top_k):
    assert check_ask(*arguments({"top_k": top_k}).values(), outlets=sources(ARTICLES)).top_k == top_k


def test_previous_keeps_the_last_questions_of_a_long_conversation():
    earlier = [f"问题{i}是什么？" for i in range(MAX_PREVIOUS)]
    req = check_ask(*arguments({"previous": earlier}).values(), outlets=sources(ARTICLES))
    assert req.previous == tuple(earlier[-MEMORY:])
    longest = ["问" * MAX_QUESTION_CHARS]  # as long as a question may be: kept (it sets no topic)
    assert check_ask(*arguments({"previous": longest}).values(), outlets=sources(ARTICLES)).previous == tuple(longest)
    with pytest.raises(ParameterError, match=str(MAX_PREVIOUS)):
        check_ask(*arguments({"previous": [*earlier, "再问一次？"]}).values(), outlets=sources(ARTICLES))


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_dates_set_no_limit(blank):
    req = check_ask(*arguments({"date_from": blank, "date_to": blank}).values(), outlets=sources(ARTICLES))
    assert allowed_ids(ARTICLES, req.sources, req.date_from, req.date_to) is None


# Over the API: the same sentence arrives, and nothing of Python's.
@pytest.mark.parametrize("name, extra", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_over_the_api(chat_url, bundled_answerer, name, extra):
    expected = refusal(extra, list(bundled_answerer.index.articles.values()))
    with pytest.raises(AppError) as got:
        client(chat_url).predict(api_name="/ask", **arguments(extra))
    assert str(got.value) == expected
    assert_one_clear_sentence(str(got.value))


def test_after_every_refusal_the_page_answers_as_before(chat_url, bundled_answerer):
    """Refused requests leave nothing behind: the next question gets the answer it got alone."""
    c = client(chat_url)
    for _, extra in BAD:
        with pytest.raises(AppError):
            c.predict(api_name="/ask", **arguments(extra))
    assert c.predict(question=FIRST, api_name="/ask") == bundled_answerer.ask(FIRST).to_dict()


def test_a_long_conversation_is_answered_from_its_last_questions(chat_url):
    c = client(chat_url)
    unrelated = ["临淄区今年新建保障性住房多少套？"] * (MAX_PREVIOUS - MEMORY)
    recent = [FIRST] * MEMORY
    long = c.predict(question=FOLLOW, previous=unrelated + recent, api_name="/ask")
    assert long == c.predict(question=FOLLOW, previous=recent, api_name="/ask")
    assert "231名" in long["answer"]


@pytest.mark.parametrize("top_k", [1, MAX_TOP_K])
def test_top_k_over_the_api_matches_the_answerer(chat_url, bundled_answerer, top_k):
    result = client(chat_url).predict(question=FIRST, top_k=top_k, api_name="/ask")
    assert result == bundled_answerer.ask(FIRST, top_k=top_k).to_dict()


def test_a_fault_of_the_server_reaches_the_client_as_a_sentence(chat_url, monkeypatch):
    """An unexpected exception while answering (a bug, not the request's fault) is not passed on as
    Python's text or gradio's advice to its developer; the client is told to try again."""
    import app

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(app, "resolve", broken)  # the page is served from this process
    with pytest.raises(AppError) as got:
        client(chat_url).predict(question=FIRST, api_name="/ask")
    assert str(got.value) == app.SERVER_FAULT
    assert "internal detail" not in str(got.value)
