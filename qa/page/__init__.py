"""What the chat page shows, without gradio: answers and articles as HTML, example questions, a live answerer."""

from qa.page.examples import example_questions
from qa.page.live import LiveAnswerer
from qa.page.presentation import (
    answer_html,
    article_html,
    article_order,
    article_rows,
    error_html,
    shown_question,
)

__all__ = ["LiveAnswerer", "answer_html", "article_html", "article_order", "article_rows", "error_html",
           "example_questions", "shown_question"]
