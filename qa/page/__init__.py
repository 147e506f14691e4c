"""What the chat page shows, without gradio: answers and articles as HTML, example questions, a live answerer,
the API's argument checks and the server log's refusal lines."""

from qa.errors import ParameterError
from qa.page.api_params import MEMORY, AskRequest, check_ask
from qa.page.examples import example_questions
from qa.page.live import LiveAnswerer
from qa.page.presentation import (
    answer_html,
    article_html,
    article_order,
    article_rows,
    error_html,
    list_note,
    shown_question,
)
from qa.page.server_log import log_refusal, refusal_line

__all__ = ["MEMORY", "AskRequest", "LiveAnswerer", "ParameterError", "answer_html", "article_html", "article_order",
           "article_rows", "check_ask", "error_html", "example_questions", "list_note", "log_refusal", "refusal_line",
           "shown_question"]
