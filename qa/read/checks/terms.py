"""Terms a question writes in Latin letters (COVID-19, GDP, iPhone), and whether an article names them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# three or more letters and digits, starting with a letter (not a bare number or unit)
_TERM = re.compile(r"[a-z][a-z0-9]*[a-z0-9]")
_HYPHENS = re.compile(r"[\-‐‑–]+")


def _fold(text: str) -> str:
    """NFKC and lower case, without hyphens: COVID-19 and COVID19, Wi-Fi and WiFi are one term."""
    return _HYPHENS.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=256)  # asked once per span read for the same question
def question_terms(question: str) -> tuple[str, ...]:
    """The Latin-letter terms of three or more characters a question names, folded, each word alone
    (NBA MVP: nba, mvp)."""
    return tuple(t for t in _TERM.findall(_fold(question)) if len(t) >= 3)


@lru_cache(maxsize=64)  # checked once per span read from the article
def _article_key(article: str) -> str:
    return re.sub(r"\s+", "", _fold(article))  # COVID 19 in the text is COVID19


def terms_supported(question: str, article: str) -> bool:
    """Whether the article (headline and text) names every such term the question does: an article
    that never writes COVID-19 is not where a question about COVID-19 deaths is answered."""
    terms = question_terms(question)
    return not terms or all(t in _article_key(article) for t in terms)
