"""Training windows for the reader, built from the public SQuAD-format sets (no torch here).

Each example is one window: <s> question </s> passage-window </s>, with the answer's first and last
token, or (0, 0) when the window does not hold the answer ("no answer" points at <s>). Windows come
from the question's own paragraph (stride over long paragraphs) and, for a share of the questions, a
hard negative: the paragraph our BM25 ranks highest for the question that is not its own and does
not contain its answer.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from qa.encoder.tokenizer import Tokenizer
from qa.read.reader import MAX_LEN, MAX_QUESTION, window_bounds

SETS = ("cmrc2018_train.json", "cmrc2018_trial.json", "drcd_test.json", "xquad_zh.json")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    paragraph: int  # index into the paragraph list
    answers: tuple[tuple[int, str], ...]  # (start, text) in the paragraph


@dataclass(frozen=True)
class Window:
    ids: tuple[int, ...]
    start: int  # answer's first token, 0 = no answer
    end: int


def _t2s_aligned(text: str, convert) -> str | None:
    """Traditional -> simplified, only when it keeps every character in place (offsets stay valid)."""
    out = convert(text)
    return out if len(out) == len(text) else None


def load_sets(root: Path, holdout_drcd: int, holdout_cmrc: int, seed: int):
    """Paragraphs and questions for training, plus held-out SQuAD-format sets (DRCD kept traditional)."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    rng = random.Random(seed)
    paragraphs: list[str] = []
    questions: list[Question] = []
    held: dict[str, dict] = {}
    for name in SETS:
        data = json.loads((root / name).read_text(encoding="utf-8"))
        paras = [p for article in data["data"] for p in article["paragraphs"]]
        order = list(range(len(paras)))
        rng.shuffle(order)
        hold_n = holdout_drcd if name.startswith("drcd") else holdout_cmrc if name == "cmrc2018_train.json" else 0
        hold: set[int] = set()
        count = 0
        for i in order:
            if count >= hold_n:
                break
            hold.add(i)
            count += len(paras[i]["qas"])
        if hold:
            key = "drcd_holdout" if name.startswith("drcd") else "cmrc_train_holdout"
            held[key] = {"version": "holdout", "data": [{"title": "", "paragraphs": [paras[i] for i in sorted(hold)]}]}
        for i, p in enumerate(paras):
            if i in hold:
                continue
            context = p["context"]
            if name.startswith("drcd"):
                converted = _t2s_aligned(context, convert)
                if converted is None:
                    continue
                context = converted
            index = len(paragraphs)
            paragraphs.append(context)
            for qa in p["qas"]:
                q = qa["question"]
                if name.startswith("drcd"):
                    q = convert(q)
                answers = tuple(
                    (a["answer_start"], context[a["answer_start"] : a["answer_start"] + len(a["text"])])
                    for a in qa["answers"]
                    if a["text"].strip()
                )
                if answers:
                    questions.append(Question(qa["id"], q, index, answers))
    return paragraphs, questions, held


def hard_negatives(paragraphs: list[str], questions: list[Question]) -> dict[str, int]:
    """For each question, the highest-ranked BM25 paragraph that is not its own and lacks its answer."""
    import bm25s
    import jieba

    jieba.setLogLevel(60)
    tokenised = [[w for w in jieba.cut_for_search(p) if w.strip()] for p in paragraphs]
    retriever = bm25s.BM25()
    retriever.index(tokenised, show_progress=False)
    queries = [[w for w in jieba.cut_for_search(q.question) if w.strip()] or ["的"] for q in questions]
    docs, _ = retriever.retrieve(queries, k=min(5, len(paragraphs)), show_progress=False)
    out: dict[str, int] = {}
    for q, ranked in zip(questions, docs):
        for d in ranked:
            d = int(d)
            if d != q.paragraph and not any(text in paragraphs[d] for _, text in q.answers):
                out[q.id] = d
                break
    return out


def windows_for(
    tok: Tokenizer, question: str, passage_enc, answer: tuple[int, int] | None
) -> list[Window]:
    """All stride windows of a passage for one question; the answer span (chars) labels them."""
    q_ids = list(tok.encode(question).ids)[:MAX_QUESTION]
    head = [tok.bos, *q_ids, tok.eos]
    ids, starts, ends = passage_enc.ids, passage_enc.starts, passage_enc.ends
    out: list[Window] = []
    for a, b in window_bounds(len(ids), MAX_LEN - len(head) - 1):
        s_tok = e_tok = 0
        if answer is not None:
            s_char, e_char = answer
            inside = [t for t in range(a, b) if ends[t] > s_char and starts[t] < e_char and ends[t] > starts[t]]
            if inside and starts[inside[0]] <= s_char and ends[inside[-1]] >= e_char:
                s_tok = len(head) + inside[0] - a
                e_tok = len(head) + inside[-1] - a
        out.append(Window(tuple(head + list(ids[a:b]) + [tok.eos]), s_tok, e_tok))
    return out


def build_windows(
    tok: Tokenizer,
    paragraphs: list[str],
    questions: list[Question],
    negatives: dict[str, int],
    negative_share: float,
    other_window_share: float,
    seed: int,
) -> list[Window]:
    rng = random.Random(seed)
    encoded = [tok.encode(p) for p in paragraphs]
    out: list[Window] = []
    for q in questions:
        start, text = q.answers[0]
        own = windows_for(tok, q.question, encoded[q.paragraph], (start, start + len(text)))
        positives = [w for w in own if w.start > 0]
        others = [w for w in own if w.start == 0]
        out.extend(positives)
        if others and rng.random() < other_window_share:
            out.append(rng.choice(others))
        neg = negatives.get(q.id)
        if neg is not None and rng.random() < negative_share:
            out.append(rng.choice(windows_for(tok, q.question, encoded[neg], None)))
    rng.shuffle(out)
    return out
