"""A tiny training run on examples the test writes lowers the reader's loss, and the exported
weights load into the NumPy reader, which then gives the same logits as the torch model."""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # training needs torch; the README's test install has it

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from reader_data import Encoder, Window, noisy, swapped, windows_for, without_answer  # noqa: E402
from train_reader import Reader as TorchReader  # noqa: E402
from train_reader import collate, main, read_pack, span_loss, write_pack  # noqa: E402

from qa.encoder import Tokenizer, load_bundle  # noqa: E402
from qa.read import Reader  # noqa: E402

EXAMPLES = [
    ("本次会议应到委员248名，实到231名，符合规定人数。", "会议应到委员多少名？", "248名"),
    ("本次会议应到委员248名，实到231名，符合规定人数。", "会议实到委员多少名？", "231名"),
    ("2月26日，全市征兵工作会议在聊城召开，部署今年的征兵任务。", "征兵工作会议在哪里召开？", "聊城"),
    ("区政协主席孙月东作常务委员会工作报告。", "谁作了常务委员会工作报告？", "孙月东"),
]


def _windows(tok: Tokenizer) -> list[Window]:
    out = []
    for passage, question, answer in EXAMPLES:
        start = passage.index(answer)
        out += windows_for(Encoder(tok), question, tok.encode(passage), (start, start + len(answer)))
    return out


def test_labels_point_at_the_answer_tokens() -> None:
    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    for (_, _, answer), w in zip(EXAMPLES, _windows(tok)):
        assert w.start > 0 and w.end >= w.start
        pieces = "".join(bundle.vocabulary.pieces[i] for i in w.ids[w.start:w.end + 1])
        assert pieces.replace("\u2581", "") == answer


PARAGRAPH = ("淄川区政协第十二届五次会议今天上午开幕。本次会议应到委员248名，实到231名，符合规定人数。"
             "会议共收到提案300件，内容涉及经济发展和民生保障。区委书记出席会议并讲话。")


@pytest.mark.parametrize("answer", ["248名", "231名", "300件", "今天上午", "出席会议并讲话"])
def test_a_negative_made_by_cutting_the_answer_holds_everything_else(answer) -> None:
    start = PARAGRAPH.index(answer)
    rest = without_answer(PARAGRAPH, ((start, answer),))
    assert rest is not None and answer not in rest
    # Only the sentence that held the answer is gone; the others are there, in order, unchanged.
    kept = [s for s in PARAGRAPH.split("。") if s and answer not in s]
    assert rest == "。".join(kept) + "。"


def test_no_negative_when_the_answer_is_also_elsewhere_or_little_is_left() -> None:
    twice = "会议应到委员248名。" + "其余内容与此无关，但也提到248名这个数字，以及其他许多事情。"
    assert without_answer(twice, ((twice.index("248名"), "248名"),)) is None
    short = "会议应到委员248名。会议开幕。"
    assert without_answer(short, ((short.index("248名"), "248名"),)) is None


SWAP_PARAGRAPH = "2021年2月6日，济南市与淄博市在京沪会客厅签订同城化协议。济南市市长出席。"
POOL = {"ns": ["青岛市", "济南市", "上海浦东新区", "聊城"], "nr": ["刘曙光"], "nt": [], "nz": []}


@pytest.mark.parametrize("seed", range(12))
def test_a_swapped_question_names_what_its_paragraph_lacks(seed) -> None:
    import random

    question = "2021年济南市与淄博市在什么地方签的协议？"
    out = swapped(question, SWAP_PARAGRAPH, POOL, random.Random(seed))
    assert out is not None and out != question
    # One name or year the paragraph mentions is gone, replaced by one it never mentions.
    gone = [w for w in ("2021", "济南市", "淄博市") if w in question and w not in out]
    new = [w for w in ("青岛市", "上海浦东新区", "聊城", "刘曙光") if w in out]
    years = [y for y in ("2018", "2019", "2020", "2022", "2023", "2024") if y in out]
    assert len(gone) == 1 and len(new) + len(years) == 1
    assert all(w not in SWAP_PARAGRAPH for w in new + years)
    assert len(out) - len(question) == sum(map(len, new + years)) - len(gone[0])


def test_no_swap_when_the_question_names_nothing_its_paragraph_mentions() -> None:
    import random

    assert swapped("会议在什么地方召开？", SWAP_PARAGRAPH, POOL, random.Random(0)) is None
    assert swapped("2019年青岛市签了什么？", SWAP_PARAGRAPH, POOL, random.Random(0)) is None


NUMBER_PARAGRAPH = "市人大常委会第一批专项工作评议了6个部门，第十八届人大第五次会议应到代表248名。"


@pytest.mark.parametrize("seed", range(12))
def test_a_swapped_number_or_ordinal_is_one_the_paragraph_lacks(seed) -> None:
    """Numbers and ordinals are swapped like names: only one the paragraph mentions, only for one it
    does not (as a whole number: 24 is not in "248名")."""
    import random
    import re

    question = "第一批专项工作评议了6个部门中的哪几个？"
    out = swapped(question, NUMBER_PARAGRAPH, {}, random.Random(seed))
    assert out is not None and out != question
    old = re.findall(r"\d+|第[一二三四五六七八九十]+", question)
    new = re.findall(r"\d+|第[一二三四五六七八九十]+", out)
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(new) == len(old) and len(changed) == 1
    _, b = changed[0]
    assert re.search(rf"(?<!\d){b}(?!\d)", NUMBER_PARAGRAPH) is None
    assert out.replace(b, changed[0][0], 1) == question


def test_a_number_the_paragraph_lacks_is_not_swapped() -> None:
    import random

    assert swapped("第二批专项工作评议了7个部门中的哪几个？", NUMBER_PARAGRAPH, {}, random.Random(0)) is None


def test_training_can_start_from_exported_weights(tmp_path) -> None:
    """--init with a .safetensors file (the shipped reader, say) loads every exported tensor: exporting
    before any step gives the same tensors back."""
    bundle = load_bundle()
    torch.manual_seed(5)
    start = TorchReader(bundle).export()
    start["head.b"] = np.array([0.25, -0.5], dtype=np.float16)  # not what a fresh head would hold
    from safetensors.numpy import save_file

    save_file(start, str(tmp_path / "start.safetensors"))
    out = tmp_path / "again.safetensors"
    assert main(["--work", str(tmp_path / "work"), "--init", str(tmp_path / "start.safetensors"),
                 "--export", str(out)]) == 0
    from safetensors.numpy import load_file

    again = load_file(str(out))
    assert again.keys() == start.keys() and all(np.array_equal(again[k], start[k]) for k in start)


def test_a_few_steps_lower_the_loss_and_export_runs_in_numpy(tmp_path) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    model = TorchReader(bundle)
    batch = collate(_windows(tok), tok.eos, tok.pad)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def loss() -> torch.Tensor:
        ids, mask, pmask, starts, ends = batch
        s, e = model(ids, mask)
        return span_loss(s, e, pmask, starts, ends)

    model.eval()
    with torch.no_grad():
        before = loss().item()
    model.train()
    for _ in range(8):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        after = loss().item()
    assert after < before * 0.8, (before, after)

    from safetensors.numpy import save_file

    path = tmp_path / "reader.safetensors"
    save_file(model.export(), str(path), metadata={"threshold": "0.5"})
    reader = Reader(path)
    assert reader.threshold == 0.5
    ids, mask = batch[0][:1], batch[1][:1]
    n = int(mask[0].sum())
    with torch.no_grad():
        s, e = model(ids[:, :n], mask[:, :n])
    logits = reader.encoder.forward(ids[:, :n].numpy()) @ reader.head_w + reader.head_b
    # float16 export: logits agree to about a hundredth
    assert np.abs(logits[0, :, 0] - s[0].numpy()).max() < 0.1
    assert np.abs(logits[0, :, 1] - e[0].numpy()).max() < 0.1


def test_a_packed_run_trains_the_same_model(tmp_path) -> None:
    """--pack / --from-pack (training where only torch is installed): the windows come back with their
    labels, the renumbered ids point at the same token rows, and the model computes the same logits
    and exports the same tensors as one built from the bundled file."""
    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    windows = _windows(tok)
    path = tmp_path / "pack.npz"
    write_pack(path, bundle, windows, tok)
    packed_bundle, packed, specials = read_pack(path)
    used = np.load(path)["used"]
    assert len(packed) == len(windows)
    for w, p in zip(windows, packed):
        assert (p.start, p.end) == (w.start, w.end)
        assert [int(used[i]) for i in p.ids] == list(w.ids)
    assert (used[specials.eos], used[specials.pad]) == (tok.eos, tok.pad)
    torch.manual_seed(3)
    model = TorchReader(bundle).eval()
    torch.manual_seed(3)
    packed_model = TorchReader(packed_bundle).eval()
    ids, mask, pmask, *_ = collate(windows, tok.eos, tok.pad)
    ids2, mask2, pmask2, *_ = collate(packed, specials.eos, specials.pad)
    assert torch.equal(mask, mask2) and torch.equal(pmask, pmask2)
    with torch.no_grad():
        for a, b in zip(model(ids, mask), packed_model(ids2, mask2)):
            assert torch.equal(a, b)
    one, two = model.export(), packed_model.export()
    assert one.keys() == two.keys() and all(np.array_equal(one[k], two[k]) for k in one)


ROLE_PARAGRAPH = "县长王明主持会议，县财政局公布全年财政收入12亿元。"


@pytest.mark.parametrize("seed", range(8))
def test_a_near_miss_asks_for_the_deputy_or_the_other_measure(seed) -> None:
    """Roles and measures are swapped only for one the paragraph never mentions: the deputy where only
    the head is named, expenditure where only revenue is given."""
    import random

    out = swapped("县长在会上公布的财政收入是多少？", ROLE_PARAGRAPH, {}, random.Random(seed))
    assert out in ("副县长在会上公布的财政收入是多少？", "县长在会上公布的财政支出是多少？")
    assert swapped("副县长是谁？", "副县长李华出席。", {}, random.Random(seed)) is None


@pytest.mark.parametrize("seed", range(8))
def test_a_role_inside_a_longer_title_is_not_swapped(seed) -> None:
    """支队长 is not 队长: no "支副队长" is made of it; the head it names alone still gets its deputy."""
    import random

    paragraph = "消防局第三救灾救护大队支队长陈明与县长王明出席。"
    out = swapped("出席的支队长是谁？", paragraph, {}, random.Random(seed))
    assert out is None
    assert swapped("出席的县长是谁？", paragraph, {}, random.Random(seed)) == "出席的副县长是谁？"


@pytest.mark.parametrize("seed", range(20))
def test_a_year_the_dated_article_names_as_last_year_is_not_swapped_in(seed) -> None:
    """An article dated 2025 that says 去年 answers a question about 2024: that year is never the swap."""
    import random

    paragraph = "2025年全市新增绿地120公顷，去年新增80公顷。"
    out = swapped("2025年全市新增绿地多少公顷？", paragraph, {}, random.Random(seed), "2025-03-01")
    assert out is not None and "2024" not in out and "2025" not in out


@pytest.mark.parametrize("seed", range(20))
def test_a_noisy_copy_keeps_the_answer_exact(seed) -> None:
    import random

    start = PARAGRAPH.index("231名")
    messy, (s, e) = noisy(PARAGRAPH, (start, start + 4), random.Random(seed))
    assert messy[s:e] == "231名"
    # Only insertions and dropped punctuation: every character of the text is still there, in order.
    it = iter(messy)
    assert all(ch in it for ch in PARAGRAPH if ch not in "，。、；：！？,.;:")


def _decoded(bundle, ids) -> str:
    """Token pieces back to text, in the tokenizer's normal form (NFKC: full-width commas become ',')."""
    return unicodedata.normalize("NFKC", "".join(bundle.vocabulary.pieces[i] for i in ids).replace("\u2581", ""))


def test_the_heading_is_read_between_question_and_passage_and_spans_stay_in_the_passage() -> None:
    """<s> question </s> heading </s> passage </s>: the label points into the passage even when the
    heading holds the answer's words too, and collate's passage mask starts after the heading."""
    from qa.read.reader import heading

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    title = heading("聊城召开征兵工作会议", "2025-02-26")
    assert title == "聊城召开征兵工作会议（2025年2月26日）"
    passage = "2月26日，全市征兵工作会议在聊城召开。"
    start = passage.index("聊城")
    w = windows_for(Encoder(tok), "会议在哪里召开？", tok.encode(passage), (start, start + 2), title)[0]
    assert w.ids.count(tok.eos) == 3
    second_sep = [i for i, t in enumerate(w.ids) if t == tok.eos][1]
    assert w.start > second_sep and _decoded(bundle, w.ids[w.start:w.end + 1]) == "聊城"
    _, _, pmask, starts, _ = collate([w], tok.eos, tok.pad)
    assert not pmask[0, : second_sep + 1].any() and pmask[0, second_sep + 1 : len(w.ids) - 1].all()
    assert bool(pmask[0, int(starts[0])])


def _article(prefix: str) -> dict:
    context = f"{prefix}：會議應到委員248名。"
    return {"title": f"{prefix}標題", "date": "2024-01-05", "paragraphs": [{"context": context, "qas": [
        {"id": f"{prefix}-a", "question": "應到多少名？", "is_impossible": False,
         "answers": [{"answer_start": context.index("248名"), "text": "248名"}]},
        {"id": f"{prefix}-x", "question": "副主任是誰？", "answers": [], "is_impossible": True}]}]}


def test_news_is_read_as_simplified_and_held_out_by_whole_articles(tmp_path) -> None:
    from reader_data import load_news

    path = tmp_path / "news.json"
    path.write_text(json.dumps({"data": [_article(f"新聞{n}") for n in range(10)]}, ensure_ascii=False),
                    encoding="utf-8")
    paragraphs, questions, held = load_news(path, 3, seed=13)
    assert len(held["news_holdout"]["data"]) == 3 and len(paragraphs) == 7
    assert all("会议应到委员" in p.text and p.title.endswith("标题") and p.date for p in paragraphs)
    held_ids = {qa["id"] for a in held["news_holdout"]["data"] for p in a["paragraphs"] for qa in p["qas"]}
    assert not held_ids & {q.id for q in questions}
    assert sum(not q.answers for q in questions) == 7 and all(q.news for q in questions)
    for q in questions:
        for start, text in q.answers:
            assert paragraphs[q.paragraph].text[start:start + len(text)] == text


def test_other_outlets_are_trained_on_whole_and_leave_the_held_out_split_alone(tmp_path) -> None:
    from reader_data import load_all_news, load_news

    news, more = tmp_path / "news.json", tmp_path / "more.json"
    news.write_text(json.dumps({"data": [_article(f"新聞{n}") for n in range(10)]}, ensure_ascii=False),
                    encoding="utf-8")
    more.write_text(json.dumps({"data": [_article(f"他報{n}") for n in range(2)]}, ensure_ascii=False),
                    encoding="utf-8")
    alone = load_news(news, 3, seed=13)
    paragraphs, questions, held = load_all_news(news, [more], 3, seed=13)
    assert held == alone[2]
    assert len(paragraphs) == len(alone[0]) + 2 and len(questions) == len(alone[1]) + 4
    assert {q.id for q in questions} >= {"他報0-a", "他報1-x"}
    for q in questions:
        for start, text in q.answers:
            assert paragraphs[q.paragraph].text[start:start + len(text)] == text


def test_every_window_labels_an_exact_answer_or_none() -> None:
    """Built from news and Wikipedia alike (noisy copies included), every answerable label decodes to
    its answer's text, and the written near misses are "no answer"."""
    from reader_data import Mix, Paragraph, Question, build_windows

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    paragraphs = [Paragraph(PARAGRAPH, "淄川区政协会议开幕", "2024-01-05"), Paragraph(ROLE_PARAGRAPH, "县里开会")]
    questions = [Question("a", "会议实到委员多少名？", 0, ((PARAGRAPH.index("231名"), "231名"),), news=True),
                 Question("b", "副主席是谁？", 0, (), news=True),
                 Question("c", "县长公布的财政收入是多少？", 1, ((ROLE_PARAGRAPH.index("12亿元"), "12亿元"),))]
    windows = build_windows(tok, paragraphs, questions, {}, Mix(noise_share=1.0), seed=3)
    answers = {_decoded(bundle, w.ids[w.start:w.end + 1]) for w in windows if w.start > 0}
    assert answers == {"231名", "12亿元"}
    assert sum(w.start == 0 for w in windows) >= 2  # the written near miss and a swapped one at least
