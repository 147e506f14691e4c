"""The --model backend: any sentence-transformers model directory, here a tiny one the test
builds and saves itself (no model hub on CI machines), through build, ask and a stale check."""

from __future__ import annotations

import json

import pytest

from qa.cli import main
from qa.errors import ModelError
from qa.index import SentenceTransformerEmbedder, live_dir


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from conftest import CORPUS
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny-model")
    chars = sorted({c for p in CORPUS.glob("*.md") for c in p.read_text(encoding="utf-8") if not c.isspace()})
    # The prompt words get tokens of their own, so query and passage embeddings can differ.
    vocab = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "query", "passage", *chars]))
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)})
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(root / "hf")
    tokenizer.save_pretrained(root / "hf")
    word = models.Transformer(str(root / "hf"))
    pooling = models.Pooling(word.get_embedding_dimension(), "mean")
    model = SentenceTransformer(modules=[word, pooling], prompts={"query": "query: ", "document": "passage: "})
    model.save(str(root / "st"))
    return root / "st"


def test_embedder_uses_the_model_prompts_and_normalises(tiny_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = SentenceTransformerEmbedder(str(tiny_model))
    assert emb.dim == 32 and emb.name == str(tiny_model.resolve())
    q = emb.embed_queries(["淄川区政协会议"])
    p = emb.embed_passages(["淄川区政协会议"])
    assert q.shape == p.shape == (1, 32)
    assert abs(float((q ** 2).sum()) - 1) < 1e-5
    assert not (q == p).all()  # "query: " and "passage: " prompts make them differ


def test_build_and_ask_with_a_local_model(tiny_model, small_corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    index = tmp_path / "idx"
    base = ["--corpus", str(small_corpus), "--index", str(index)]
    assert main(["build", "--model", str(tiny_model), "--json", *base]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == str(tiny_model.resolve()) and summary["chunks_embedded"] > 0
    meta = json.loads((live_dir(index) / "meta.json").read_text(encoding="utf-8"))
    assert meta["embedder"] == str(tiny_model.resolve()) and meta["dim"] == 32
    # Later commands use the model the index was built with, without --model.
    assert main(["ask", "政府工作报告", "--json", *base]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "quotes" in result and isinstance(result["abstained"], bool)


def test_a_model_that_cannot_be_loaded_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="--model"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelError, match="--model"):
        SentenceTransformerEmbedder("no-such-org/no-such-model")
