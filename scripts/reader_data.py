"""Training windows for the reader, built from SQuAD-format sets (no torch here).

Each example is one window: <s> question </s> heading </s> passage-window </s> (the heading, the
article's headline and date as `qa.read.reader.heading` writes it, is left out of a share of the
windows so the reader also reads articles that have none), with the answer's first and last token,
or (0, 0) when the window does not hold the answer ("no answer" points at <s>). Spans are labelled in
the passage only.

Two sources: the news questions written for this project (`news_train`, traditional script, read
as simplified as the answerer reads it; its own near-miss unanswerable questions; one in five needs
the headline or the date) and a sample of the four Wikipedia sets, so the reader keeps what it
learnt there. "No answer" windows of five kinds:
- a hard negative: the paragraph our BM25 ranks highest for the question that is not its own and
  lacks its answer;
- a window of the question's own paragraph that does not hold the answer;
- the question's own paragraph with the sentence(s) holding the answer cut out (same topic, names
  and numbers, no answer; SQuAD 2.0's unanswerable questions, Rajpurkar et al. 2018, made without
  annotators);
- a near miss: the question with one year, number, ordinal, name, role or measure its paragraph
  supports swapped for one it never mentions (another year's budget, the deputy where only the head
  is named, revenue where only expenditure is given), read against the window that answered it;
- news_train's own unanswerable questions, and the near misses written on its articles
  (`data/news_near_misses.json`), read against their article's most tempting window.
A share of the news passages is read again with the noise of real archives: stray bytes and mojibake
inserted, punctuation dropped (long unpunctuated lines), the answer left intact.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from qa.encoder.tokenizer import Tokenizer
from qa.read.reader import MAX_LEN, head_ids, heading, window_bounds
from qa.text import sentence_spans

MIN_REST = 40  # characters left after the cut; a shorter rest is no realistic passage
# jieba's part-of-speech tags for names: place, person, organisation, other proper noun.
NAME_TAGS = ("ns", "nr", "nt", "nz")
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?=年)")
NUMBER = re.compile(r"(?<![\d.])\d+(?![\d.])")  # whole numbers (a year is swapped as a year)
ORDINAL = re.compile(r"第[一二三四五六七八九十]+")
CN_DIGITS = "零一二三四五六七八九"
# Heads whose deputy news names apart ("the deputy where only the head is named").
ROLES = ("市长", "县长", "区长", "省长", "镇长", "乡长", "局长", "厅长", "部长", "署长", "处长", "司长", "主任",
         "书记", "院长", "校长", "主席", "所长", "队长", "会长", "董事长", "总经理", "秘书长", "检察长", "主委")
# Characters that make a role part of a longer title (支队长, 大队长, 分局长, 副县长).
ROLE_PREFIXES = "[支大中分副总]"
# Measures a question can ask of where the article gives only the other one.
MEASURES = (("收入", "支出"), ("进口", "出口"), ("死亡", "受伤"), ("最高", "最低"), ("增加", "减少"),
            ("上升", "下降"), ("男性", "女性"), ("岁入", "岁出"), ("预算", "决算"), ("面积", "人口"),
            ("长度", "金额"), ("公里", "万元"), ("总", "平均"))
# What archives put into text: replacement characters, mojibake, stray control and box characters.
STRAYS = ("\ufffd", "锟斤拷", "□", "■", "\u3000", "Â", "ï»¿", "\x7f", "?", "&nbsp;", "烫烫")
DROPPABLE = set("，。、；：！？,.;:")

SETS = ("cmrc2018_train.json", "cmrc2018_trial.json", "drcd_test.json", "xquad_zh.json")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    paragraph: int  # index into the paragraph list
    answers: tuple[tuple[int, str], ...]  # (start, text) in the paragraph; () when unanswerable
    news: bool = False


@dataclass(frozen=True)
class Paragraph:
    text: str
    title: str
    date: str | None = None


@dataclass(frozen=True)
class Window:
    ids: tuple[int, ...]
    start: int  # answer's first token, 0 = no answer
    end: int


def _t2s_aligned(text: str, convert) -> str | None:
    """Traditional -> simplified, only when it keeps every character in place (offsets stay valid)."""
    out = convert(text)
    return out if len(out) == len(text) else None


def _held(paras: list[dict], titles: list[str], taken: list[int], extra=None) -> dict:
    """A SQuAD-format set of the paragraphs ``taken``, each under its article's title (and date)."""
    data = []
    for i in sorted(taken):
        entry = {"title": titles[i], "paragraphs": [paras[i]]}
        entry.update(extra(i) if extra else {})
        data.append(entry)
    return {"version": "holdout", "data": data}


def load_sets(root: Path, holdout_drcd: int, holdout_cmrc: int, seed: int):
    """Wikipedia paragraphs and questions for training, plus held-out SQuAD-format sets (whole
    paragraphs, under their titles): ``drcd_holdout`` (kept traditional, the traditional-script report
    set) and ``cmrc_train_holdout`` (for tuning)."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    rng = random.Random(seed)
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    held: dict[str, dict] = {}
    for name in SETS:
        data = json.loads((root / name).read_text(encoding="utf-8"))
        paras = [p for article in data["data"] for p in article["paragraphs"]]
        titles = [article.get("title", "") for article in data["data"] for _ in article["paragraphs"]]
        order = list(range(len(paras)))
        rng.shuffle(order)
        drcd = name.startswith("drcd")
        key, n = ("drcd_holdout", holdout_drcd) if drcd else \
            ("cmrc_train_holdout", holdout_cmrc) if name == "cmrc2018_train.json" else ("", 0)
        taken: list[int] = []
        count = 0
        for i in order:
            if count >= n:
                break
            taken.append(i)
            count += len(paras[i]["qas"])
        if taken:
            held[key] = _held(paras, titles, taken)
        hold = set(taken)
        for i, p in enumerate(paras):
            if i in hold:
                continue
            context, title = p["context"], titles[i]
            if drcd:
                context, title = _t2s_aligned(context, convert), convert(title)
                if context is None:
                    continue
            index = len(paragraphs)
            paragraphs.append(Paragraph(context, title))
            for qa in p["qas"]:
                answers = tuple(
                    (a["answer_start"], context[a["answer_start"] : a["answer_start"] + len(a["text"])])
                    for a in qa["answers"]
                    if a["text"].strip()
                )
                if answers:
                    questions.append(Question(qa["id"], convert(qa["question"]) if drcd else qa["question"],
                                              index, answers))
    return paragraphs, questions, held


def load_news(path: Path, holdout_articles: int, seed: int, near_misses: Path | None = None):
    """news_train's articles (read as simplified, as the answerer reads them) and questions, answerable
    and not, with ``holdout_articles`` whole articles held out (kept as written) as ``news_holdout``.
    ``near_misses``: more near-miss questions written on its articles (`data/news_near_misses.json`,
    keyed by article url), added as unanswerable questions of the articles not held out."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    written: dict[str, list[str]] = {}
    if near_misses is not None:
        for q in json.loads(near_misses.read_text(encoding="utf-8"))["questions"]:
            written.setdefault(q["url"], []).append(q["question"])
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    hold = set(order[:holdout_articles])
    kept = [a for i, a in enumerate(data) if i in hold]
    held = {"version": "holdout", "data": kept}
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    for i, article in enumerate(data):
        if i in hold:
            continue
        for p in article["paragraphs"]:
            context = _t2s_aligned(p["context"], convert)
            if context is None:
                continue
            index = len(paragraphs)
            paragraphs.append(Paragraph(context, convert(article.get("title", "")), article.get("date")))
            for qa in p["qas"]:
                answers = () if qa.get("is_impossible") else tuple(
                    (a["answer_start"], context[a["answer_start"] : a["answer_start"] + len(a["text"])])
                    for a in qa["answers"] if a["text"].strip())
                if answers or qa.get("is_impossible"):
                    questions.append(Question(qa["id"], convert(qa["question"]), index, answers, news=True))
            for j, asked in enumerate(written.get(article.get("url", ""), ())):
                questions.append(Question(f"{article['url']}#near-miss-{j}", convert(asked), index, (), news=True))
    return paragraphs, questions, {"news_holdout": held}


def load_all_news(path: Path, more: list[Path], holdout_articles: int, seed: int, near_misses: Path | None = None):
    """``load_news`` of news_train, then every article of the ``more`` files (other outlets' questions,
    same format) as training questions too: none of them is held out, so the held-out split is the
    same with or without them."""
    paragraphs, questions, held = load_news(path, holdout_articles, seed, near_misses)
    for extra in more:
        more_paragraphs, more_questions, _ = load_news(extra, 0, seed)
        shift = len(paragraphs)
        paragraphs += more_paragraphs
        questions += [replace(q, paragraph=q.paragraph + shift) for q in more_questions]
    return paragraphs, questions, held


def hard_negatives(paragraphs: list[str], questions: list[Question], per_question: int = 1) -> dict[str, list[int]]:
    """For each answerable question, the ``per_question`` highest-ranked BM25 paragraphs that are not
    its own and lack its answer."""
    import bm25s
    import jieba

    jieba.setLogLevel(60)
    questions = [q for q in questions if q.answers]
    tokenised = [[w for w in jieba.cut_for_search(p) if w.strip()] for p in paragraphs]
    retriever = bm25s.BM25()
    retriever.index(tokenised, show_progress=False)
    queries = [[w for w in jieba.cut_for_search(q.question) if w.strip()] or ["的"] for q in questions]
    docs, _ = retriever.retrieve(queries, k=min(5 * per_question, len(paragraphs)), show_progress=False)
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
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", text) is not None


def _word_swaps(question: str, paragraph: str) -> list[str]:
    """The question with a role replaced by its deputy or a measure by its counterpart, where the
    paragraph supports the old word and never mentions the new one. A role inside a longer title
    (支队长, 大队长, 分局长) is not that role, so it is left alone."""
    out = []
    for role in ROLES:
        alone = re.compile(rf"(?<!{ROLE_PREFIXES}){role}")
        deputy = "副" + role
        if alone.search(question) and deputy not in question and alone.search(paragraph) and deputy not in paragraph:
            out.append(alone.sub(deputy, question, count=1))
    for a, b in MEASURES:
        for old, new in ((a, b), (b, a)):
            if old in question and new not in question and old in paragraph and new not in paragraph:
                out.append(question.replace(old, new, 1))
    return out


def _implied_years(paragraph: str, date: str | None) -> set[str]:
    """Years a dated article names by 今年, 去年, 明年 or 前年 (no swap may bring one of these in)."""
    if not date or not date[:4].isdigit():
        return set()
    year = int(date[:4])
    return {str(year + k) for word, k in (("今年", 0), ("去年", -1), ("明年", 1), ("前年", -2)) if word in paragraph}


def swapped(question: str, paragraph: str, pool: dict[str, list[str]], rng: random.Random,
            date: str | None = None) -> str | None:
    """The question with one name, year, number, ordinal, role or measure its paragraph supports
    replaced by one of the same kind the paragraph never mentions (so the paragraph no longer answers
    it), or None when it has none: the near misses news readers meet (another year's budget, another
    county, the deputy, expenditure for revenue). SQuAD 2.0's entity swap covers entities, numbers and
    dates alike."""
    import jieba.posseg

    names = [w for w in jieba.posseg.cut(question)
             if w.flag in NAME_TAGS and len(w.word) >= 2 and w.word in paragraph and pool.get(w.flag)]
    all_years = list(YEAR.finditer(question))
    years = [m for m in all_years if m.group(1) in paragraph]
    year_starts = {y.start(1) for y in all_years}  # a year is swapped as a year, never as a number
    numbers = [m for m in NUMBER.finditer(question)
               if m.start() not in year_starts and _standalone(m.group(0), paragraph)]
    ordinals = [m for m in ORDINAL.finditer(question) if m.group(0) in paragraph]
    spans = [*years, *numbers, *ordinals]
    words = _word_swaps(question, paragraph)
    total = len(names) + len(spans) + len(words)
    if not total:
        return None
    pick = rng.randrange(total)
    if pick >= len(names) + len(spans):
        return words[pick - len(names) - len(spans)]
    if pick < len(names):
        old = names[pick].word
        for _ in range(20):  # a few draws: most names of a large pool are absent from one paragraph
            new = rng.choice(pool[names[pick].flag])
            if new not in paragraph and old not in new and new not in old:
                return question.replace(old, new, 1)
        return None
    m = spans[pick - len(names)]
    implied = _implied_years(paragraph, date)
    for _ in range(20):
        if m.re is ORDINAL:
            new = "第" + _chinese(rng.randrange(1, 21))
            absent = new not in paragraph
        else:
            value = int(m.group(1) if m.re is YEAR else m.group(0))
            new = str(value + rng.choice((-3, -2, -1, 1, 2, 3)) if m.re is YEAR else
                      rng.choice((value + 1, value + 2, value * 2, max(value - 1, 1), value * 10)))
            absent = (new not in paragraph and new not in implied if m.re is YEAR else
                      not _standalone(new, paragraph) and new != m.group(0))
        if absent:
            a, b = (m.start(1), m.end(1)) if m.re is YEAR else (m.start(), m.end())
            return question[:a] + new + question[b:]
    return None


def noisy(text: str, answer: tuple[int, int] | None, rng: random.Random) -> tuple[str, tuple[int, int] | None]:
    """The text as messy archives hold it: stray characters and mojibake inserted, or punctuation
    dropped into long unpunctuated lines; never inside the answer. Returns the text and the answer's
    new span."""
    s, e = answer if answer is not None else (-1, -1)
    insert, drop = (0.02, 0.0) if rng.random() < 0.5 else (0.005, 0.7)
    out: list[str] = []
    new_s = new_e = -1
    for i, ch in enumerate(text):
        if i == s:
            new_s = sum(map(len, out))
        if i == e:
            new_e = sum(map(len, out))
        inside = s <= i < e
        if not inside and i != e and rng.random() < insert:
            out.append(rng.choice(STRAYS))
            if i == s:
                new_s = sum(map(len, out))
        if not inside and ch in DROPPABLE and rng.random() < drop:
            continue
        out.append(ch)
    result = "".join(out)
    if answer is None:
        return result, None
    if e == len(text):
        new_e = len(result)
    return result, (new_s, new_e)


class Encoder:
    """The tokenizer with the headings it has encoded remembered (each article's is asked often)."""

    def __init__(self, tok: Tokenizer) -> None:
        self.tok = tok
        self.headings: dict[str, list[int]] = {}

    def heading(self, text: str) -> list[int]:
        if text not in self.headings:
            self.headings[text] = list(self.tok.encode(text).ids) if text else []
        return self.headings[text]


def windows_for(
    enc: Encoder, question: str, passage_enc, answer: tuple[int, int] | None, head_text: str = ""
) -> list[Window]:
    """All stride windows of a passage for one question; the answer span (chars) labels them."""
    tok = enc.tok
    head = head_ids(tok.bos, tok.eos, list(tok.encode(question).ids), enc.heading(head_text))
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


def tempting(windows: list[Window]) -> Window:
    """The window sharing the most distinct tokens with its question (the most tempting one)."""
    first = windows[0].ids
    question = set(first[1 : first.index(first[-1])])  # <s> question </s>: every window ends with </s>
    return max(windows, key=lambda w: len(question.intersection(w.ids)))


@dataclass(frozen=True)
class Mix:
    """How often each kind of window is given (shares are chances per question)."""

    negatives: int = 2  # BM25 hard-negative paragraphs per question
    negative_share: float = 1.0
    other_share: float = 0.5
    removed_share: float = 0.6
    swapped_share: float = 1.0
    noise_share: float = 0.5  # news questions read again from a noisy copy of their article
    title_share: float = 0.9  # windows that read the heading
    date_share: float = 0.5  # of those, news windows whose heading carries the date


def build_windows(tok: Tokenizer, paragraphs: list[Paragraph], questions: list[Question],
                  negatives: dict[str, list[int]], mix: Mix, seed: int) -> list[Window]:
    rng = random.Random(seed)
    enc = Encoder(tok)
    encoded = [tok.encode(p.text) for p in paragraphs]
    pool = name_pool(questions) if mix.swapped_share else {}

    def head(i: int) -> str:
        p = paragraphs[i]
        if rng.random() >= mix.title_share:
            return ""
        return heading(p.title, p.date if rng.random() < mix.date_share else None)

    out: list[Window] = []
    for q in questions:
        p = paragraphs[q.paragraph]
        if not q.answers:  # a written near miss: the most tempting window and one other, "no answer"
            asked = windows_for(enc, q.question, encoded[q.paragraph], None, head(q.paragraph))
            out.append(tempting(asked))
            if len(asked) > 1 and rng.random() < mix.other_share:
                out.append(rng.choice(asked))
            continue
        start, text = q.answers[0]
        span = (start, start + len(text))
        own = windows_for(enc, q.question, encoded[q.paragraph], span, head(q.paragraph))
        out += [w for w in own if w.start > 0]
        others = [w for w in own if w.start == 0]
        if others and rng.random() < mix.other_share:
            out.append(rng.choice(others))
        if q.news and rng.random() < mix.noise_share:
            messy, moved = noisy(p.text, span, rng)
            out += [w for w in windows_for(enc, q.question, tok.encode(messy), moved, head(q.paragraph))
                    if w.start > 0]
        for neg in negatives.get(q.id, ()):
            if rng.random() < mix.negative_share:
                out.append(rng.choice(windows_for(enc, q.question, encoded[neg], None, head(neg))))
        if mix.removed_share and rng.random() < mix.removed_share:
            rest = without_answer(p.text, q.answers)
            if rest is not None:
                out.append(rng.choice(windows_for(enc, q.question, tok.encode(rest), None, head(q.paragraph))))
        if mix.swapped_share and rng.random() < mix.swapped_share:
            other = swapped(q.question, p.text, pool, rng, p.date)
            if other is not None:
                # The window that holds the original answer: the most tempting one, labelled "no answer".
                asked = windows_for(enc, other, encoded[q.paragraph], span, head(q.paragraph))
                w = next((w for w in asked if w.start > 0), asked[0])
                out.append(Window(w.ids, 0, 0))
    rng.shuffle(out)
    return out
