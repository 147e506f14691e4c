"""Training windows for the reader, built from the public SQuAD-format sets (no torch here).

Each example is one window: <s> question </s> passage-window </s>, with the answer's first and last
token, or (0, 0) when the window does not hold the answer ("no answer" points at <s>). Windows come
from the question's own paragraph (stride over long paragraphs) and, for a share of the questions, a
hard negative: the paragraph our BM25 ranks highest for the question that is not its own and does
not contain its answer, and, for another share, the question's own paragraph with the sentence(s)
holding the answer cut out (same topic, same names and numbers, no answer: the case of a news
article about the right meeting that does not give the figure asked for; the same idea as the
unanswerable questions of SQuAD 2.0, Rajpurkar et al. 2018, made without annotators), and, for a
share, the question with one of its names (a place, person, organisation, year, number or ordinal
that its paragraph mentions) swapped for another that the paragraph never mentions, read against the
window that answered it: "how many schools did Pudong build" asked of an article about Zibo's
schools ("entity swap", one of the kinds of unanswerable question Rajpurkar et al. 2018 list for
SQuAD 2.0).

With ``reworded`` = w the windows holding the answer are weighted 1 + w x the share of the
question's wording its paragraph never uses (IDF-weighted, `reworded_share`): given that many more
times on average, the fraction by chance. Swap training teaches "a word of the question missing
from the passage means no answer", which also declines answerable questions worded apart from their
passage (DRCD's more than CMRC's, the model card found); these positives are the counter-examples
the data already holds.

With ``chunking`` every passage is one of the product's chunks of its paragraph instead of the
whole paragraph (the answerer reads chunks of at most 240 characters; the paragraphs average 486):
the positives are the chunks holding the answer, and each "no answer" passage is the chunk of its
paragraph that shares the most characters with the question (the most tempting one).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from qa.encoder.tokenizer import Tokenizer
from qa.ingest.chunking import chunk_article
from qa.read.reader import MAX_LEN, MAX_QUESTION, window_bounds
from qa.records import Article
from qa.text import sentence_spans

MIN_REST = 40  # characters left after the cut; a shorter rest is no realistic passage
# jieba's part-of-speech tags for names: place, person, organisation, other proper noun.
NAME_TAGS = ("ns", "nr", "nt", "nz")
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?=年)")
NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.])")  # whole numbers (a year is swapped as a year)
ORDINAL = re.compile(r"第[一二三四五六七八九十]+")
CN_DIGITS = "零一二三四五六七八九"

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


def load_sets(root: Path, holdout_drcd: int, holdout_cmrc: int, seed: int, tune_drcd: int = 0):
    """Paragraphs and questions for training, plus held-out SQuAD-format sets (DRCD kept traditional):
    ``drcd_holdout`` (the traditional-script report set), ``cmrc_train_holdout`` (for tuning) and, when
    ``tune_drcd`` > 0, ``drcd_tune``: about that many more DRCD questions, whole paragraphs, for choosing
    the traditional-script threshold on questions that are neither trained on nor reported."""
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
        drcd = name.startswith("drcd")
        wanted = [("drcd_holdout", holdout_drcd), ("drcd_tune", tune_drcd)] if drcd else \
            [("cmrc_train_holdout", holdout_cmrc)] if name == "cmrc2018_train.json" else []
        hold: set[int] = set()
        rest = iter(order)  # each held-out set takes the next paragraphs of one shuffled order
        for key, n in wanted:
            taken: list[int] = []
            count = 0
            while count < n and (i := next(rest, None)) is not None:
                taken.append(i)
                count += len(paras[i]["qas"])
            if taken:
                kept = [paras[i] for i in sorted(taken)]
                held[key] = {"version": "holdout", "data": [{"title": "", "paragraphs": kept}]}
                hold.update(taken)
        for i, p in enumerate(paras):
            if i in hold:
                continue
            context = p["context"]
            if drcd:
                converted = _t2s_aligned(context, convert)
                if converted is None:
                    continue
                context = converted
            index = len(paragraphs)
            paragraphs.append(context)
            for qa in p["qas"]:
                q = qa["question"]
                if drcd:
                    q = convert(q)
                answers = tuple(
                    (a["answer_start"], context[a["answer_start"] : a["answer_start"] + len(a["text"])])
                    for a in qa["answers"]
                    if a["text"].strip()
                )
                if answers:
                    questions.append(Question(qa["id"], q, index, answers))
    return paragraphs, questions, held


def hard_negatives(paragraphs: list[str], questions: list[Question], per_question: int = 1) -> dict[str, list[int]]:
    """For each question, the ``per_question`` highest-ranked BM25 paragraphs that are not its own
    and lack its answer."""
    import bm25s
    import jieba

    jieba.setLogLevel(60)
    tokenised = [[w for w in jieba.cut_for_search(p) if w.strip()] for p in paragraphs]
    retriever = bm25s.BM25()
    retriever.index(tokenised, show_progress=False)
    queries = [[w for w in jieba.cut_for_search(q.question) if w.strip()] or ["的"] for q in questions]
    docs, _ = retriever.retrieve(queries, k=min(5 * per_question, len(paragraphs)),
                                 show_progress=False)
    out: dict[str, list[int]] = {}
    for q, ranked in zip(questions, docs):
        found = [int(d) for d in ranked
                 if int(d) != q.paragraph and not any(text in paragraphs[int(d)] for _, text in q.answers)]
        if found:
            out[q.id] = found[:per_question]
    return out


def without_answer(paragraph: str, answers: tuple[tuple[int, str], ...]) -> str | None:
    """The paragraph with every sentence that overlaps an answer cut out, or None when an answer's
    text still occurs in the rest (then the rest would still answer) or too little is left."""
    cut = [(s, e) for s, e in sentence_spans(paragraph)
           if any(s < start + len(text) and start < e for start, text in answers)]
    if not cut:
        return None
    parts, last = [], 0
    for s, e in cut:
        parts.append(paragraph[last:s])
        last = e
    parts.append(paragraph[last:])
    rest = "".join(parts).strip()
    if len(rest) < MIN_REST or any(text in rest for _, text in answers):
        return None
    return rest


def name_pool(questions: list[Question]) -> dict[str, list[str]]:
    """Names of at least two characters in the training questions, by jieba tag (the swap-ins)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    pool: dict[str, set[str]] = {tag: set() for tag in NAME_TAGS}
    for q in questions:
        for w in jieba.posseg.cut(q.question):
            if w.flag in pool and len(w.word) >= 2:
                pool[w.flag].add(w.word)
    return {tag: sorted(words) for tag, words in pool.items()}


def _chinese(n: int) -> str:
    """1-99 in Chinese numerals (十八, 二十一), as ordinals are written in news (第十八届)."""
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else CN_DIGITS[tens]) + "十" if tens else ""
    return head + (CN_DIGITS[ones] if ones else "")


def _standalone(number: str, text: str) -> bool:
    return re.search(rf"(?<![\d.]){number}(?![\d.])", text) is not None


def swapped(
    question: str, paragraph: str, pool: dict[str, list[str]], rng: random.Random, with_numbers: bool = True
) -> str | None:
    """The question with one name, year, number or ordinal its paragraph mentions replaced by one of
    the same kind the paragraph never mentions (so the paragraph no longer answers it), or None when
    it has none. SQuAD 2.0's entity swap covers entities, numbers and dates alike; with_numbers=False
    swaps names and years only, as the data of the shipped reader did."""
    import jieba.posseg

    names = [w for w in jieba.posseg.cut(question)
             if w.flag in NAME_TAGS and len(w.word) >= 2 and w.word in paragraph and pool.get(w.flag)]
    all_years = list(YEAR.finditer(question))
    years = [m for m in all_years if m.group(1) in paragraph]
    year_starts = {y.start(1) for y in all_years}  # a year is swapped as a year, never as a number
    numbers = [m for m in NUMBER.finditer(question) if with_numbers
               and m.start() not in year_starts and _standalone(m.group(0), paragraph)]
    ordinals = [m for m in ORDINAL.finditer(question) if with_numbers and m.group(0) in paragraph]
    spans = [*years, *numbers, *ordinals]
    if not names and not spans:
        return None
    pick = rng.randrange(len(names) + len(spans))
    if pick < len(names):
        old = names[pick].word
        for _ in range(20):  # a few draws: most names of a large pool are absent from one paragraph
            new = rng.choice(pool[names[pick].flag])
            if new not in paragraph and old not in new and new not in old:
                return question.replace(old, new, 1)
        return None
    m = spans[pick - len(names)]
    for _ in range(20):
        if m.re is ORDINAL:
            new = "第" + _chinese(rng.randrange(1, 21))
            absent = new not in paragraph
        else:
            value = int(m.group(1) if m.re is YEAR else m.group(0))
            new = str(value + rng.choice((-3, -2, -1, 1, 2, 3)) if m.re is YEAR else
                      rng.choice((value + 1, value + 2, value * 2, max(value - 1, 1), value * 10)))
            # A year as a substring, as before numbers were swapped (the shipped reader's data).
            absent = new not in paragraph if m.re is YEAR else not _standalone(new, paragraph) and new != m.group(0)
        if absent:
            a, b = (m.start(1), m.end(1)) if m.re is YEAR else (m.start(), m.end())
            return question[:a] + new + question[b:]
    return None


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


def chunk_spans(paragraph: str, chunking: tuple[int, int]) -> list[tuple[int, int]]:
    """The product's chunks of a paragraph, (start, end) in it: ``chunking`` = (characters, overlap)."""
    return [(c.start, c.end) for c in chunk_article(Article("p", "", paragraph, ""), *chunking)]


def tempting(question: str, texts: list[str]) -> int:
    """Index of the text sharing the most distinct characters with the question."""
    chars = set(question)
    return max(range(len(texts)), key=lambda i: len(chars.intersection(texts[i])))


class Paragraphs:
    """Passages are whole paragraphs, read in stride windows (how the shipped readers learnt)."""

    def __init__(self, tok: Tokenizer, paragraphs: list[str]) -> None:
        self.tok = tok
        self.paragraphs = paragraphs
        self.encoded = [tok.encode(p) for p in paragraphs]

    def own(self, q: Question, rng: random.Random, other_share: float) -> list[Window]:
        """The windows holding the answer and, at ``other_share``, one of the paragraph's others."""
        start, text = q.answers[0]
        own = windows_for(self.tok, q.question, self.encoded[q.paragraph], (start, start + len(text)))
        out = [w for w in own if w.start > 0]
        others = [w for w in own if w.start == 0]
        if others and rng.random() < other_share:
            out.append(rng.choice(others))
        return out

    def unanswered(self, question: str, text: str, rng: random.Random, paragraph: int | None = None) -> list[Window]:
        """One "no answer" window of ``text`` (paragraph ``paragraph`` when it is one)."""
        encoding = self.tok.encode(text) if paragraph is None else self.encoded[paragraph]
        return [rng.choice(windows_for(self.tok, question, encoding, None))]

    def holding(self, q: Question):
        """The passage holding the answer, encoded, and the answer's span in it (None: none holds it)."""
        start, text = q.answers[0]
        return self.encoded[q.paragraph], (start, start + len(text))


class Chunks:
    """Passages are the product's chunks of each paragraph (what the answerer reads); each "no
    answer" passage is the chunk that shares the most characters with the question."""

    def __init__(self, tok: Tokenizer, paragraphs: list[str], chunking: tuple[int, int]) -> None:
        self.tok = tok
        self.paragraphs = paragraphs
        self.chunking = chunking
        self.spans = [chunk_spans(p, chunking) for p in paragraphs]

    def _holding(self, q: Question, s: int, e: int):
        """The chunk [s, e) encoded and the answer's span in it, or None when it does not hold it."""
        start, text = q.answers[0]
        if not (s <= start and start + len(text) <= e):
            return None
        return self.tok.encode(self.paragraphs[q.paragraph][s:e]), (start - s, start - s + len(text))

    def own(self, q: Question, rng: random.Random, other_share: float) -> list[Window]:
        paragraph = self.paragraphs[q.paragraph]
        out: list[Window] = []
        lacking: list[str] = []
        for s, e in self.spans[q.paragraph]:
            if (held := self._holding(q, s, e)) is not None:
                out += [w for w in windows_for(self.tok, q.question, *held) if w.start > 0]
            elif not any(t in paragraph[s:e] for _, t in q.answers):
                lacking.append(paragraph[s:e])
        if lacking and rng.random() < other_share:
            piece = lacking[tempting(q.question, lacking)]
            out += windows_for(self.tok, q.question, self.tok.encode(piece), None)[:1]
        return out

    def unanswered(self, question: str, text: str, rng: random.Random, paragraph: int | None = None) -> list[Window]:
        spans = self.spans[paragraph] if paragraph is not None else chunk_spans(text, self.chunking)
        pieces = [text[s:e] for s, e in spans] or [text]
        piece = pieces[tempting(question, pieces)]
        return windows_for(self.tok, question, self.tok.encode(piece), None)[:1]

    def holding(self, q: Question):
        return next((held for s, e in self.spans[q.paragraph] if (held := self._holding(q, s, e))), None)


def question_idf(questions: list[Question]) -> dict[str, float]:
    """Inverse document frequency of each jieba word over the training questions: the words every
    question uses (什么, 哪个, 的) weigh little in `reworded_share`, names and content words much."""
    import math

    import jieba

    jieba.setLogLevel(60)
    df: dict[str, int] = {}
    for q in questions:
        for w in set(jieba.lcut(q.question)):
            df[w] = df.get(w, 0) + 1
    n = len(questions)
    return {w: math.log((n + 1) / (c + 1)) for w, c in df.items()}


def reworded_share(question: str, paragraph: str, idf: dict[str, float]) -> float:
    """The IDF-weighted share of the question's words (those with a letter, digit or Han character)
    that never occur in the paragraph: 0 when it is worded as its paragraph, near 1 when it is not."""
    import jieba

    words = [w for w in jieba.lcut(question) if any(ch.isalnum() for ch in w)]
    total = sum(idf.get(w, 0.0) for w in words)
    if total <= 0:
        return 0.0
    return sum(idf.get(w, 0.0) for w in words if w not in paragraph) / total


def build_windows(
    tok: Tokenizer,
    paragraphs: list[str],
    questions: list[Question],
    negatives: dict[str, list[int]],
    negative_share: float,
    other_window_share: float,
    seed: int,
    removed_share: float = 0.0,
    swapped_share: float = 0.0,
    swap_numbers: bool = False,
    chunking: tuple[int, int] | None = None,
    reworded: float = 0.0,
) -> list[Window]:
    rng = random.Random(seed)
    # Its own generator, so the rest of the windows are those built without ``reworded``.
    again = random.Random(seed + 1)
    idf = question_idf(questions) if reworded else {}
    passages = Paragraphs(tok, paragraphs) if chunking is None else Chunks(tok, paragraphs, chunking)
    pool = name_pool(questions) if swapped_share else {}
    out: list[Window] = []
    for q in questions:
        own = passages.own(q, rng, other_window_share)
        out.extend(own)
        if reworded:
            extra = reworded * reworded_share(q.question, paragraphs[q.paragraph], idf)
            out.extend(w for _ in range(int(extra + again.random())) for w in own if w.start > 0)
        for neg in negatives.get(q.id, ()):
            if rng.random() < negative_share:
                out.extend(passages.unanswered(q.question, paragraphs[neg], rng, neg))
        if removed_share and rng.random() < removed_share:
            rest = without_answer(paragraphs[q.paragraph], q.answers)
            if rest is not None:
                out.extend(passages.unanswered(q.question, rest, rng))
        if swapped_share and rng.random() < swapped_share and (held := passages.holding(q)) is not None:
            other = swapped(q.question, paragraphs[q.paragraph], pool, rng, swap_numbers)
            if other is not None:
                # The window that holds the original answer: the most tempting one, labelled "no answer".
                asked = windows_for(tok, other, *held)
                w = next((w for w in asked if w.start > 0), asked[0])
                out.append(Window(w.ids, 0, 0))
    rng.shuffle(out)
    return out
