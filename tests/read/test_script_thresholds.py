"""Traditional-script passages are held to their own abstention threshold: the script is told
apart reliably, and the threshold stored for it decides for those passages only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import opencc
import pytest

from qa.questions import analyse
from qa.read import LearnedReader
from qa.records import Hit
from qa.text import TRADITIONAL_SHARE, is_traditional, traditional_share

ROOT = Path(__file__).resolve().parents[2]
S2T = opencc.OpenCC("s2t")


def _bundled_articles() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.md"))]


def test_each_bundled_article_is_simplified_and_its_traditional_conversion_is_not() -> None:
    texts = _bundled_articles()
    assert texts
    for text in texts:
        assert not is_traditional(text), traditional_share(text)
        assert is_traditional(S2T.convert(text)), traditional_share(S2T.convert(text))


@pytest.mark.parametrize("text", ["", "2023年1月17日", "GDP 5.4%", "——"])
def test_text_without_convertible_characters_is_not_traditional(text: str) -> None:
    assert traditional_share(text) < TRADITIONAL_SHARE
    assert not is_traditional(text)


def test_without_a_stored_traditional_threshold_both_scripts_share_one(weights_with) -> None:
    reader = weights_with(threshold="-3.5", threshold_traditional=None)
    text = _bundled_articles()[0]
    assert reader.threshold_for(text) == reader.threshold_for(S2T.convert(text)) == -3.5


def test_the_traditional_threshold_decides_for_traditional_passages_only(weights_with, bundled_answerer) -> None:
    # An impossible traditional threshold: every traditional passage says "not found", while the same
    # passages in simplified characters answer as before.
    reader = weights_with(threshold_traditional="1000")
    index = bundled_answerer.index
    learned = LearnedReader(index.articles, reader)
    chunk = next(c for c in index.chunks if "应到委员" in c.text)
    question = analyse("淄川区政协会议应到委员多少名？")
    simplified = learned.read(question, [Hit(chunk, 1.0, "test")], 5)
    assert not simplified.abstained
    article = index.articles[chunk.article_id]
    converted = S2T.convert(article.text)
    assert len(converted) == len(article.text)  # offsets stay valid
    trad_article = replace(article, text=converted)
    trad_chunk = replace(chunk, text=converted[chunk.start:chunk.end])
    learned_trad = LearnedReader({**index.articles, chunk.article_id: trad_article}, reader)
    traditional = learned_trad.read(question, [Hit(trad_chunk, 1.0, "test")], 5)
    assert traditional.abstained
    assert learned_trad.excess(learned_trad.candidates(question, [Hit(trad_chunk, 1.0, "test")])[0]) < -900
