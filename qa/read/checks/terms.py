"""Terms a question writes in Latin letters (COVID-19, GDP, iPhone), and whether an article names them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# three or more letters and digits, hyphens inside, starting with a letter (not a bare number or unit)
_TERM = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]")


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_terms(question: str) -> tuple[str, ...]:
    """The Latin-letter terms of three or more characters a question names, folded (NFKC, lower case)."""
    return tuple(t for t in _TERM.findall(_key(question)) if len(t) >= 3)


_article_key = lru_cache(maxsize=64)(_key)  # checked once per span read from the article


def terms_supported(question: str, article: str) -> bool:
    """Whether the article (headline and text) names every such term the question does: an article
    that never writes COVID-19 is not where a question about COVID-19 deaths is answered."""
    terms = question_terms(question)
    return not terms or all(t in _article_key(article) for t in terms)
