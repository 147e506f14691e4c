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

from reader_data import Window, swapped, windows_for, without_answer  # noqa: E402
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
        out += windows_for(tok, question, tok.encode(passage), (start, start + len(answer)))
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
    # Without numbers (the shipped reader's data) only names and years are swapped.
    assert swapped("第一批专项工作评议了6个部门中的哪几个？", NUMBER_PARAGRAPH, {}, random.Random(0), False) is None


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


def test_keep_loss_is_zero_at_the_starting_reader_and_ignores_windows_without_answer() -> None:
    from train_reader import keep_loss

    torch.manual_seed(1)
    s, e = torch.randn(3, 9), torch.randn(3, 9)
    pmask = torch.ones(3, 9, dtype=torch.bool)
    starts = torch.tensor([2, 0, 4])
    assert keep_loss(s, e, s.clone(), e.clone(), pmask, starts).item() == pytest.approx(0.0, abs=1e-6)
    moved_s, moved_e = s.clone(), e.clone()
    moved_s[1] += torch.randn(9) * 5  # a window without answer: not held
    assert keep_loss(moved_s, moved_e, s, e, pmask, starts).item() == pytest.approx(0.0, abs=1e-6)
    moved_s[0] += torch.randn(9) * 5
    assert keep_loss(moved_s, moved_e, s, e, pmask, starts).item() > 0.01
    assert keep_loss(s, e, s, e, pmask, torch.zeros(3, dtype=torch.long)).item() == 0.0


def test_keeping_holds_answerable_windows_near_the_starting_reader(tmp_path) -> None:
    """Trained on a batch that also asks each question of its passage as "no answer" (what swap
    negatives do to a near-identical window), the answerable windows' outputs drift from the
    starting reader's less with --keep than without it."""
    from train_reader import keep_loss

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    answerable = _windows(tok)
    negatives = [Window(w.ids, 0, 0) for w in answerable]
    ids, mask, pmask, starts, ends = collate(answerable + negatives, tok.eos, tok.pad)
    torch.set_num_threads(2)

    def drift(keep: float) -> float:
        torch.manual_seed(0)
        model = TorchReader(bundle)
        teacher = TorchReader(bundle)
        teacher.load_state_dict(model.state_dict())
        teacher.eval().requires_grad_(False)
        with torch.no_grad():
            t_s, t_e = teacher(ids, mask)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        model.train()
        for _ in range(6):
            s, e = model(ids, mask)
            loss = span_loss(s, e, pmask, starts, ends) + keep * keep_loss(s, e, t_s, t_e, pmask, starts)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            s, e = model(ids, mask)
            return keep_loss(s, e, t_s, t_e, pmask, starts).item()

    free, kept = drift(0.0), drift(5.0)
    assert kept < free * 0.7, (free, kept)


def test_keep_needs_the_reader_it_holds_to(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--work", str(tmp_path / "work"), "--keep", "1.0", "--steps", "1"])
    assert "--keep needs --init" in capsys.readouterr().err


def test_the_distillation_target_is_the_teachers_mean_and_covers_every_window() -> None:
    from train_reader import distribution_loss, ensemble_logits

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    ids, mask, pmask, starts, _ = collate(_windows(tok)[:2], tok.eos, tok.pad)
    torch.manual_seed(5)
    one, two = TorchReader(bundle).eval(), TorchReader(bundle).eval()  # heads drawn apart
    with torch.no_grad():
        (s1, e1), (s2, e2) = one(ids, mask), two(ids, mask)
        s, e = ensemble_logits([one, two], ids, mask)
        alone = ensemble_logits([one], ids, mask)
    assert not torch.allclose(s1, s2)
    assert torch.allclose(s, (s1 + s2) / 2) and torch.allclose(e, (e1 + e2) / 2)
    assert torch.equal(alone[0], s1) and torch.equal(alone[1], e1)
    every = torch.ones_like(starts, dtype=torch.bool)
    assert distribution_loss(s, e, s.clone(), e.clone(), pmask, every).item() == pytest.approx(0.0, abs=1e-6)
    # Unlike --keep, a window without answer is compared too: moving its "no answer" logit costs.
    moved = s.clone()
    moved[:, 0] += 5.0
    assert distribution_loss(moved, e, s, e, pmask, every).item() > 0.01


def test_distilling_brings_the_reader_towards_its_teachers(tmp_path) -> None:
    """Two steps of --teacher A B (soft target only) from weights C bring C's outputs closer to the
    mean of A's and B's than they were; the run leaves a checkpoint that exports."""
    from train_reader import distribution_loss, ensemble_logits
    from weights_file import save

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    paths = []
    for seed in (1, 2, 3):
        torch.manual_seed(seed)
        paths.append(tmp_path / f"r{seed}.safetensors")
        save(paths[-1], TorchReader(bundle).export(), {})
    data = tmp_path / "data"
    data.mkdir()
    _write_sets(data, 3)
    work = tmp_path / "work"
    args = ["--data", str(data), "--work", str(work), "--holdout-drcd", "0", "--holdout-cmrc", "2",
            "--negatives", "0", "--other-share", "0", "--batch", "4", "--steps", "2", "--warmup", "0.5",
            "--lr", "1e-3", "--threads", "2"]

    def gap(weights: Path) -> float:
        from train_reader import load_init

        student = load_init(TorchReader(bundle), weights, "cpu").eval()
        teachers = [load_init(TorchReader(bundle), p, "cpu").eval() for p in paths[:2]]
        ids, mask, pmask, starts, _ = collate(_windows(tok), tok.eos, tok.pad)
        with torch.no_grad():
            t_s, t_e = ensemble_logits(teachers, ids, mask)
            s, e = student(ids, mask)
        return distribution_loss(s, e, t_s, t_e, pmask, torch.ones_like(starts, dtype=torch.bool)).item()

    assert main(args + ["--init", str(paths[2]), "--teacher", str(paths[0]), str(paths[1]),
                        "--distil", "1.0"]) == 0
    assert main(["--work", str(work), "--export", str(tmp_path / "d.safetensors")]) == 0
    assert gap(tmp_path / "d.safetensors") < gap(paths[2]) * 0.9


@pytest.mark.parametrize("extra, message", [
    (["--teacher", "nowhere.safetensors"], "no teacher weights at nowhere.safetensors"),
    (["--teacher", "{w}", "--keep", "1.0", "--init", "{w}"], "choose one"),
    (["--teacher", "{w}", "--distil", "1.5"], "between 0 and 1"),
    (["--reworded", "-1"], "0 (off) or more"),
])
def test_training_options_are_checked_before_anything_is_written(tmp_path, capsys, extra, message) -> None:
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"x")
    work = tmp_path / "work"
    with pytest.raises(SystemExit):
        main(["--work", str(work), "--steps", "1"] + [a.replace("{w}", str(weights)) for a in extra])
    assert message in capsys.readouterr().err
    assert not work.exists()


def _squad(prefix: str, paragraphs: int) -> dict:
    paras = []
    for i in range(paragraphs):
        context = f"{prefix}第{i}段：会议应到委员{100 + i}名。"
        answer = f"{100 + i}名"
        paras.append({"context": context, "qas": [
            {"id": f"{prefix}{i}-{k}", "question": f"{prefix}第{i}段应到多少名？{k}",
             "answers": [{"answer_start": context.index(answer), "text": answer}]} for k in range(2)]})
    return {"version": "test", "data": [{"title": prefix, "paragraphs": paras}]}


def _write_sets(folder: Path, paragraphs: int) -> None:
    """The four training files, each of `paragraphs` made-up paragraphs (ids unique across sets)."""
    from reader_data import SETS

    for name in SETS:
        prefix = ("臺灣" if name.startswith("drcd") else "测试") + name.split(".")[0]
        (folder / name).write_text(json.dumps(_squad(prefix, paragraphs), ensure_ascii=False), encoding="utf-8")


def test_a_traditional_tuning_slice_is_held_out_apart_from_the_report_set(tmp_path) -> None:
    """--tune-drcd holds out more DRCD paragraphs, disjoint from the report set and from training;
    the report set and the CMRC tuning set stay exactly those held out without it."""
    from reader_data import load_sets

    _write_sets(tmp_path, 30)
    _, questions0, held0 = load_sets(tmp_path, 10, 8, seed=13)
    paragraphs, questions, held = load_sets(tmp_path, 10, 8, seed=13, tune_drcd=12)
    assert held["drcd_holdout"] == held0["drcd_holdout"] and held["cmrc_train_holdout"] == held0["cmrc_train_holdout"]
    assert "drcd_tune" not in held0

    def contexts(key: str) -> set[str]:
        return {p["context"] for a in held[key]["data"] for p in a["paragraphs"]}

    tune, report = contexts("drcd_tune"), contexts("drcd_holdout")
    assert sum(len(p["qas"]) for p in held["drcd_tune"]["data"][0]["paragraphs"]) >= 12
    assert tune and not tune & report
    trained_ids = {q.id for q in questions}
    held_ids = {qa["id"] for key in held for p in held[key]["data"][0]["paragraphs"] for qa in p["qas"]}
    assert not trained_ids & held_ids
    assert len(questions0) - len(questions) == sum(len(p["qas"]) for p in held["drcd_tune"]["data"][0]["paragraphs"])


def _decoded(bundle, ids) -> str:
    """Token pieces back to text, in the tokenizer's normal form (NFKC: full-width commas become ',')."""
    return unicodedata.normalize("NFKC", "".join(bundle.vocabulary.pieces[i] for i in ids).replace("\u2581", ""))


def test_chunked_passages_are_the_products_chunks_and_label_the_answer() -> None:
    """With chunking, every window reads one chunk of a paragraph (or of its answer-less rest);
    answerable windows point at the answer, "no answer" windows of the question as asked lack it."""
    from reader_data import Question, build_windows, chunk_spans

    bundle = load_bundle()
    tok = Tokenizer(bundle.vocabulary)
    other = "聊城市召开全市征兵工作会议。会议总结去年工作，部署今年任务。副市长出席会议并讲话，要求各单位抓好落实。"
    paragraphs = [PARAGRAPH, other]
    chunking = (40, 1)
    questions = [Question(f"q{n}", q, 0, ((PARAGRAPH.index(a), a),))
                 for n, (q, a) in enumerate([("会议应到委员多少名？", "248名"), ("会议共收到提案多少件？", "300件"),
                                             ("谁出席会议并讲话？", "区委书记")])]
    windows = build_windows(tok, paragraphs, questions, {q.id: [1] for q in questions}, 1.0, 1.0, 0,
                            removed_share=1.0, chunking=chunking)
    chunk_texts = {unicodedata.normalize("NFKC", p[s:e]) for p in paragraphs for s, e in chunk_spans(p, chunking)}
    assert len(chunk_texts) > 2  # the paragraphs are really cut
    answers = {_decoded(bundle, tok.encode(q.question).ids): q.answers[0][1] for q in questions}
    seen = {"answer": 0, "none": 0}
    for w in windows:
        first_eos = w.ids.index(tok.eos)
        question = _decoded(bundle, w.ids[1:first_eos])
        passage = _decoded(bundle, w.ids[first_eos + 1:-1])
        assert len(passage) <= chunking[0]
        if w.start > 0:
            assert passage in chunk_texts
            assert _decoded(bundle, w.ids[w.start:w.end + 1]) == answers[question]
            seen["answer"] += 1
        else:
            assert answers[question] not in passage
            seen["none"] += 1
    assert seen["answer"] >= len(questions) and seen["none"] >= len(questions)


def test_the_reworded_share_weighs_what_the_paragraph_lacks_by_rarity() -> None:
    """0 for a question worded as its paragraph; a word every question uses weighs nothing; the
    share grows with the rare words the paragraph lacks."""
    from reader_data import Question, question_idf, reworded_share

    asked = ["会议应到委员多少名？", "会议实到委员多少名？", "会议共收到提案多少件？", "会议由谁主持？"]
    idf = question_idf([Question(f"q{i}", q, 0, ((0, "x"),)) for i, q in enumerate(asked)])
    assert idf["会议"] == 0.0 < idf["多少"] < idf["主持"]  # in every question: no weight; rarer, more
    assert reworded_share("本次会议应到委员？", PARAGRAPH, idf) == 0.0
    assert reworded_share("会议由谁主持？", "会议今天开幕。", idf) == 1.0  # only 会议 is there, and it weighs nothing
    some = reworded_share("会议由谁主持？", "会议由区委书记主持。", idf)  # 谁 alone is missing
    assert 0.0 < some < 1.0


def test_reworded_questions_repeat_their_answerable_windows_and_leave_the_rest_alone() -> None:
    """--reworded adds copies of answerable windows only, about weight x share of them, on top of
    exactly the windows built without it."""
    from collections import Counter

    from reader_data import Question, build_windows

    tok = Tokenizer(load_bundle().vocabulary)
    questions = [Question("as-worded", "本次会议应到委员？", 0, ((PARAGRAPH.index("248名"), "248名"),)),
                 Question("reworded", "本届大会计划出席的代表有几位？", 0, ((PARAGRAPH.index("248名"), "248名"),))]
    plain = Counter(build_windows(tok, [PARAGRAPH], questions, {}, 1.0, 1.0, 0, removed_share=1.0))
    heavy = Counter(build_windows(tok, [PARAGRAPH], questions, {}, 1.0, 1.0, 0, removed_share=1.0, reworded=10.0))
    extra = heavy - plain
    assert not plain - heavy  # nothing built without it is lost
    assert extra and all(w.start > 0 for w in extra)
    asked = {tuple(w.ids[1:w.ids.index(tok.eos)]) for w in extra.elements()}
    assert asked == {tuple(tok.encode("本届大会计划出席的代表有几位？").ids)}  # only the reworded question
    assert 5 <= sum(extra.values()) <= 10
