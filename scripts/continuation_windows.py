"""Windows for continuing a trained reader on news: its own hard cases, or the questions reworded.

Two sets, each written as ``windows.pkl`` in a training work folder (`train_reader.py --work` reads it
there) and each mixed with a sample of the windows the reader was trained on (``--base``: the
``windows.pkl`` of that run), so what it learnt there stays:

- ``mined``: hard windows mined through `qa` itself (as ANCE mines negatives with the model being
  trained, Xiong et al., ICLR 2021). The training articles (news_train less the held-out articles,
  and `data/news_more`) are indexed as `qa` indexes a corpus; 1,100 answerable questions and 500 near
  misses of them are asked through hybrid retrieval and the reader of ``--weights``, which reads the
  first four chunks after the headline. Every chunk read that lacks the answer, with a margin within 5
  of the reader's threshold, becomes a "no answer" window (a near miss's twice); the chunk holding the
  answer becomes an answer window. Mixed 1:1 with the base.
- ``paraphrased``: the training questions reworded as readers word them (`data/news_paraphrases.json`:
  abbreviations, synonyms, another order; the reader's wrong "not found" on news are mostly questions
  worded otherwise than their article), in place of the originals, through the whole recipe of
  `reader_data.build_windows` (answer windows, BM25 negatives, the paragraph without its answer, a
  swapped near miss, noisy copies). 8,000 of them mixed with 4,000 of the base.

    python scripts/continuation_windows.py mined --weights models/reader.safetensors \\
        --base runs/news/windows.pkl --out runs/mined
    python scripts/continuation_windows.py paraphrased --base runs/news/windows.pkl --out runs/reworded
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import random
import sys
from collections import Counter
from pathlib import Path

from reader_data import Encoder, Mix, build_windows, hard_negatives, load_all_news, windows_for

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
MINED_ANSWERABLE, MINED_NEAR_MISSES = 1100, 500
MINED_BELOW = 5.0  # a chunk without the answer is mined when its margin is at most this far under the threshold
PASSAGES = 4
PARAPHRASED, PARAPHRASED_BASE = 8000, 4000


def training_news(args):
    """The training articles and questions, split as `train_reader.py` splits them."""
    return load_all_news(args.news, args.more_news, args.holdout_news, args.seed, args.near_misses)


def mined_rows(args, paragraphs, questions, folder: Path) -> list[dict]:
    """Each chunk the reader reads for a sample of the questions: its answer, or a near enough "no answer"."""
    from tune_reader import article_file

    from qa.config import default_settings
    from qa.index import ensure_index, load_embedder
    from qa.questions import analyse
    from qa.read.reader import Reader
    from qa.read.reader_answers import LearnedReader
    from qa.retrieve import make_retriever
    from qa.text.script import to_simplified

    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(paragraphs):
        front = {"title": p.title} | ({"date": p.date} if p.date else {})
        article_file(corpus / f"p{i:04d}.md", front, p.text)
    index = ensure_index(default_settings().with_(corpus_dir=corpus, index_dir=folder / "index"), quiet=True)
    retriever = make_retriever("hybrid", index, load_embedder(index.meta["embedder"]))
    reader = Reader(args.weights)
    learned = LearnedReader(index.articles, reader)
    rng = random.Random(args.mine_seed)
    answerable = [q for q in questions if q.answers]
    misses = [q for q in questions if not q.answers]
    sample = rng.sample(answerable, min(MINED_ANSWERABLE, len(answerable))) \
        + rng.sample(misses, min(MINED_NEAR_MISSES, len(misses)))
    floor = reader.threshold - MINED_BELOW
    rows = []
    for n, q in enumerate(sample):
        asked = analyse(q.question)
        for c in learned.read_passages(asked, retriever.search(asked.text, 8)[:PASSAGES]):
            chunk = to_simplified(c.hit.chunk.text)
            answers = [to_simplified(t) for _, t in q.answers]
            where = next(((chunk.find(t), chunk.find(t) + len(t)) for t in answers if t and t in chunk), None)
            title = to_simplified(index.articles[c.hit.chunk.article_id].title)
            if where is not None:
                rows.append({"q": q.question, "chunk": chunk, "title": title, "span": where, "near_miss": False})
            elif c.reading.margin >= floor:
                rows.append({"q": q.question, "chunk": chunk, "title": title, "span": None,
                             "near_miss": not q.answers})
        if n % 200 == 0:
            print(f"mined {n}/{len(sample)}: {len(rows)} windows' chunks", file=sys.stderr, flush=True)
    return rows


def mined(args, tok) -> list:
    from qa.read.reader import heading

    paragraphs, questions, _ = training_news(args)
    rows = mined_rows(args, paragraphs, questions, args.out / "mined")
    enc = Encoder(tok)
    windows = []
    for r in rows + [r for r in rows if r["near_miss"]]:  # a near miss's windows twice
        found = windows_for(enc, r["q"], tok.encode(r["chunk"]), tuple(r["span"]) if r["span"] else None,
                            heading(r["title"], None))
        windows += [w for w in found if w.start > 0] if r["span"] else found
    rng = random.Random(args.mine_seed)
    base = pickle.loads(args.base.read_bytes())
    mix = windows + rng.sample(base, min(len(windows), len(base)))
    rng.shuffle(mix)
    return mix


def paraphrased(args, tok) -> list:
    import opencc

    convert = opencc.OpenCC("t2s").convert
    reworded = {q["id"]: q["question"] for q in json.loads(args.paraphrases.read_text(encoding="utf-8"))["questions"]}
    paragraphs, questions, _ = training_news(args)
    asked = [dataclasses.replace(q, question=convert(reworded[q.id])) for q in questions if q.id in reworded]
    negatives = hard_negatives([p.text for p in paragraphs], asked, Mix.negatives)
    windows = build_windows(tok, paragraphs, asked, negatives, Mix(), args.paraphrase_seed)
    rng = random.Random(args.paraphrase_seed)
    base = pickle.loads(args.base.read_bytes())
    mix = rng.sample(windows, min(PARAPHRASED, len(windows))) + rng.sample(base, min(PARAPHRASED_BASE, len(base)))
    rng.shuffle(mix)
    return mix


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=("mined", "paraphrased"))
    p.add_argument("--base", type=Path, required=True, help="windows.pkl of the run that trained the reader")
    p.add_argument("--out", type=Path, required=True, help="the training work folder to write windows.pkl in")
    p.add_argument("--weights", type=Path, help="the reader that mines (mined)")
    p.add_argument("--paraphrases", type=Path, default=ROOT / "data/news_paraphrases.json")
    p.add_argument("--news", type=Path, default=SHARED / "news_train/news_train.json")
    p.add_argument("--more-news", type=Path, nargs="*",
                   default=[ROOT / "data/news_more/choose.json", ROOT / "data/news_more/train.json"])
    p.add_argument("--near-misses", type=Path, default=ROOT / "data/news_near_misses.json")
    p.add_argument("--holdout-news", type=int, default=24, help="as train_reader.py: the same articles stay out")
    p.add_argument("--seed", type=int, default=13, help="train_reader.py's seed (which articles are held out)")
    p.add_argument("--mine-seed", type=int, default=32)
    p.add_argument("--paraphrase-seed", type=int, default=39)
    args = p.parse_args(argv)
    if args.kind == "mined" and not args.weights:
        p.error("mined needs --weights: the reader whose readings are mined")
    from qa.encoder.bundle import load_bundle
    from qa.encoder.tokenizer import Tokenizer

    tok = Tokenizer(load_bundle().vocabulary)
    args.out.mkdir(parents=True, exist_ok=True)
    windows = mined(args, tok) if args.kind == "mined" else paraphrased(args, tok)
    target = args.out / "windows.pkl"
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(windows))
    tmp.replace(target)
    counts = Counter("answer" if w.start else "no answer" for w in windows)
    print(f"{len(windows)} windows ({counts['answer']} with the answer) in {target}: one pass is "
          f"{-(-len(windows) // 16)} steps of 16")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
