"""The reworded training questions keep to their articles' training split, and the windows built for
continuing a reader from them label exact answers and keep part of the base run's windows."""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from continuation_windows import paraphrased  # noqa: E402
from reader_data import Encoder, load_all_news, windows_for  # noqa: E402

from qa.encoder import Tokenizer, load_bundle  # noqa: E402

NEWS = ROOT.parent / "shared" / "datasets" / "news_train" / "news_train.json"
PARAPHRASES = ROOT / "data" / "news_paraphrases.json"


def _reworded() -> dict[str, str]:
    return {q["id"]: q["question"] for q in json.loads(PARAPHRASES.read_text(encoding="utf-8"))["questions"]}


@pytest.mark.skipif(not NEWS.is_file(), reason="needs the shared news_train set")
def test_every_rewording_is_of_a_training_question_and_never_gives_its_answer_away() -> None:
    import opencc

    convert = opencc.OpenCC("t2s").convert
    rows = json.loads(PARAPHRASES.read_text(encoding="utf-8"))["questions"]
    reworded = _reworded()
    assert len(reworded) == len(rows) > 3000  # one per question
    _, questions, held = load_all_news(NEWS, [ROOT / "data/news_more/choose.json", ROOT / "data/news_more/train.json"],
                                       24, 13, ROOT / "data/news_near_misses.json")
    training = {q.id: q for q in questions}
    held_ids = {qa["id"] for a in held["news_holdout"]["data"] for p in a["paragraphs"] for qa in p["qas"]}
    assert set(reworded) <= set(training) and not set(reworded) & held_ids
    unchanged = 0
    for qid, text in reworded.items():
        q = training[qid]
        asked = convert(text)  # as the reader reads it
        assert asked.strip()
        unchanged += asked == q.question
        assert not any(answer and answer in asked for _, answer in q.answers), qid
    assert unchanged <= len(reworded) // 1000  # two were reworded only into traditional script


def _article(title: str) -> dict:
    context = "本次会议应到委员248名，实到231名，符合规定人数。会议在聊城召开。"
    return {"title": title, "date": "2025-02-26", "url": f"https://example.org/{title}", "paragraphs": [{
        "context": context, "qas": [
            {"id": f"{title}-a", "question": "会议应到委员多少名？", "is_impossible": False,
             "answers": [{"text": "248名", "answer_start": context.index("248名")}]},
            {"id": f"{title}-x", "question": "会议应到常委多少名？", "is_impossible": True, "answers": []}]}]}


def test_reworded_windows_ask_the_new_wording_label_exact_answers_and_keep_base_windows(tmp_path) -> None:
    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    news = tmp_path / "news.json"
    news.write_text(json.dumps({"data": [_article(f"新聞{n}") for n in range(6)]}, ensure_ascii=False),
                    encoding="utf-8")
    words = {f"新聞{n}-a": "这次会一共该来几位委员？" for n in range(6)}
    (tmp_path / "para.json").write_text(json.dumps({"questions": [{"id": k, "question": v} for k, v in words.items()]},
                                                   ensure_ascii=False), encoding="utf-8")
    base = windows_for(Encoder(tok), "谁主持了会议？", tok.encode("会议由区长主持。"), None)
    (tmp_path / "base.pkl").write_bytes(pickle.dumps(base))
    args = argparse.Namespace(paraphrases=tmp_path / "para.json", news=news, more_news=[], near_misses=None,
                              holdout_news=2, seed=13, paraphrase_seed=39, base=tmp_path / "base.pkl")
    windows = paraphrased(args, tok)
    asked = tok.encode("这次会一共该来几位委员？").ids
    assert all(w in windows for w in base)
    ours = [w for w in windows if w not in base]
    assert ours and all(list(w.ids[1:1 + len(asked)]) == list(asked) for w in ours)  # only reworded questions
    for w in ours:
        if w.start:  # an answer window labels 248名 exactly
            assert "".join(bundle.vocabulary.pieces[i] for i in w.ids[w.start:w.end + 1]).strip("\u2581") == "248名"
