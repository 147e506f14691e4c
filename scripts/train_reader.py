"""Train the extractive reader: the bundled multilingual-e5-small encoder, all 12 layers fine-tuned
(the 250k-row token table frozen), plus a start/end head; "no answer" points at <s>.

Reproduces the shipped weights (see models/README.md for the exact command). Needs torch (the
`train` extra); the result is exported as float16 safetensors that `qa.read` runs with NumPy alone.
Checkpoints every --save-every steps into --work and resumes from the latest one when restarted.

    python scripts/train_reader.py --work runs/reader --steps 1400 --export models/reader.safetensors

To train on another machine (a GPU) that has torch but not this package's data, its BM25 or the
72 MB weight file: `--pack FILE` writes the training windows and the encoder's starting weights
(4-bit, as bundled; only the token-table rows the windows use, ids renumbered) into one .npz of
25–35 MB, and `--from-pack FILE` trains from it with torch and NumPy alone (on CUDA when torch
sees it). The exported weights do not hold the token table, so they are the same whichever way the
rows were numbered.

"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))  # reader_data beside this script

from reader_data import Mix, Window, build_windows, hard_negatives, load_all_news, load_sets  # noqa: E402

from qa.encoder.bundle import LAYER_MATRICES, LAYER_VECTORS, Bundle, Config, dequantize, load_bundle  # noqa: E402
from qa.encoder.model import layer_weights  # noqa: E402
from qa.encoder.tokenizer import Tokenizer  # noqa: E402


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float):
        super().__init__()
        self.heads, self.eps = heads, eps
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.aln, self.oln = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        hd = h // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, hd).transpose(1, 2)

        ctx = nn.functional.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), bias)
        x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(b, n, h)))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class Reader(nn.Module):
    def __init__(self, bundle):
        super().__init__()
        cfg = bundle.config
        word = torch.from_numpy(dequantize(np.asarray(bundle.tensors["emb.word"])))
        self.word = nn.Embedding.from_pretrained(word, freeze=True)
        self.pos = nn.Parameter(torch.zeros(cfg.max_positions, cfg.hidden))
        self.tok_type = nn.Parameter(torch.zeros(cfg.hidden))
        self.eln = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.layers = nn.ModuleList(Layer(cfg.hidden, cfg.heads, cfg.ffn, cfg.eps) for _ in range(cfg.layers))
        self.head = nn.Linear(cfg.hidden, 2)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)
        self.load_bundle(layer_weights(bundle))

    def mapping(self) -> dict[str, torch.Tensor]:
        """Bundle tensor names -> this module's parameters (same names the NumPy reader loads)."""
        out = {"emb.pos": self.pos, "emb.ln.w": self.eln.weight, "emb.ln.b": self.eln.bias}
        for i, layer in enumerate(self.layers):
            for m in LAYER_MATRICES:
                out[f"l{i}.{m}.w"] = getattr(layer, m).weight
            for v in LAYER_VECTORS:
                mod, kind = v.split(".")
                out[f"l{i}.{v}"] = getattr(getattr(layer, mod), "bias" if kind == "b" else "weight")
        out["head.w"], out["head.b"] = self.head.weight, self.head.bias
        return out

    def load_bundle(self, weights: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for name, param in self.mapping().items():
                if name in weights:
                    param.copy_(torch.from_numpy(np.asarray(weights[name])).view_as(param))
            types = np.asarray(weights["emb.type"]).reshape(-1, self.tok_type.shape[0])
            self.tok_type.copy_(torch.from_numpy(types[0].copy()))

    def export(self) -> dict[str, np.ndarray]:
        out = {name: p.detach().float().cpu().numpy().astype(np.float16) for name, p in self.mapping().items()}
        out["emb.type"] = self.tok_type.detach().float().cpu().numpy().astype(np.float16)[None, :]
        return out

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = ids.shape[1]
        x = self.eln(self.word(ids) + self.pos[:n] + self.tok_type)
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill(~mask, float("-inf"))
        bias = bias[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        logits = self.head(x)
        return logits[..., 0], logits[..., 1]


def span_loss(start_logits, end_logits, passage_mask, starts, ends):
    """Cross-entropy over allowed positions: the passage tokens and <s> (no answer)."""
    allowed = passage_mask.clone()
    allowed[:, 0] = True
    s = start_logits.float().masked_fill(~allowed, -1e4)
    e = end_logits.float().masked_fill(~allowed, -1e4)
    ce = nn.functional.cross_entropy
    return (ce(s, starts) + ce(e, ends)) / 2


def batches(windows, batch_size: int, eos: int, pad: int, seed: int):
    """Batches in a fixed order; within groups of 50 batches windows are sorted by length (less padding)."""
    rng = random.Random(seed)
    group = batch_size * 50
    out = []
    for g in range(0, len(windows), group):
        part = sorted(windows[g : g + group], key=lambda w: len(w.ids))
        chunk = [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
        rng.shuffle(chunk)
        out.extend(chunk)
    return out


def collate(batch, eos: int, pad: int):
    n = max(len(w.ids) for w in batch)
    ids = torch.full((len(batch), n), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.bool)
    pmask = torch.zeros((len(batch), n), dtype=torch.bool)
    for i, w in enumerate(batch):
        ids[i, : len(w.ids)] = torch.tensor(w.ids)
        mask[i, : len(w.ids)] = True
        # The passage follows the head's last </s> (after the question, or after the heading).
        last_sep = max(j for j, t in enumerate(w.ids[:-1]) if t == eos)
        pmask[i, last_sep + 1 : len(w.ids) - 1] = True
    starts = torch.tensor([w.start for w in batch])
    ends = torch.tensor([w.end for w in batch])
    return ids, mask, pmask, starts, ends


def prepare(args, tok) -> list:
    cache = args.work / "windows.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    t0 = time.time()
    paragraphs, questions, held = load_sets(args.data, args.holdout_drcd, args.holdout_cmrc, args.seed)
    # A sample of the Wikipedia questions keeps what the reader learnt there; news is what it is for.
    questions = random.Random(args.seed).sample(questions, min(args.wiki_questions, len(questions)))
    if args.news:
        news_paragraphs, news_questions, news_held = load_all_news(args.news, args.more_news, args.holdout_news,
                                                                   args.seed, args.near_misses)
        base = len(paragraphs)
        paragraphs += news_paragraphs
        questions += [dataclasses.replace(q, paragraph=q.paragraph + base) for q in news_questions]
        held.update(news_held)
    for name, data in held.items():
        (args.work / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    mix = Mix(negatives=args.negatives, negative_share=args.negative_share, other_share=args.other_share,
              removed_share=args.removed_share, swapped_share=args.swapped_share, noise_share=args.noise_share,
              title_share=args.title_share, date_share=args.date_share)
    negatives = hard_negatives([p.text for p in paragraphs], questions, args.negatives)
    windows = build_windows(tok, paragraphs, questions, negatives, mix, args.seed)
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(windows))
    os.replace(tmp, cache)
    stats = {
        "paragraphs": len(paragraphs),
        "questions": len(questions),
        "news_questions": sum(q.news for q in questions),
        "windows": len(windows),
        "no_answer_windows": sum(w.start == 0 for w in windows),
        "held_out": {k: sum(len(p["qas"]) for a in v["data"] for p in a["paragraphs"]) for k, v in held.items()},
        "seconds": round(time.time() - t0, 1),
    }
    (args.work / "data_stats.json").write_text(json.dumps(stats, indent=1))
    print("data:", stats, flush=True)
    return windows


@dataclasses.dataclass(frozen=True)
class Specials:
    """The token ids training needs besides the windows' (a packed run has no tokenizer)."""

    eos: int
    pad: int


def write_pack(path: Path, bundle: Bundle, windows: list, tok) -> None:
    """Windows + starting weights in one .npz; token ids renumbered to the rows actually used."""
    used = np.array(sorted({i for w in windows for i in w.ids} | {tok.eos, tok.pad}), dtype=np.int64)
    renumber = np.full(bundle.config.vocab, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    flat = renumber[np.fromiter((i for w in windows for i in w.ids), dtype=np.int64)]
    arrays = {f"t.{name}": np.asarray(t) for name, t in bundle.tensors.items() if name != "emb.word"}
    arrays["t.emb.word"] = np.asarray(bundle.tensors["emb.word"])[used]
    tmp = path.with_name(path.name + ".tmp.npz")
    ids = flat.astype(np.uint16 if len(used) <= 1 << 16 else np.int32)
    np.savez_compressed(
        tmp, ids=ids, lengths=np.array([len(w.ids) for w in windows], dtype=np.int32),
        starts=np.array([w.start for w in windows], dtype=np.int32),
        ends=np.array([w.end for w in windows], dtype=np.int32),
        config=np.array(json.dumps(dataclasses.asdict(bundle.config))),
        specials=np.array([renumber[tok.eos], renumber[tok.pad]], dtype=np.int64), used=used, **arrays,
    )
    os.replace(tmp, path)
    print(f"packed {len(windows)} windows, {len(used)} token rows: {path} ({path.stat().st_size / 1e6:.1f} MB)")


def read_pack(path: Path) -> tuple[Bundle, list, Specials]:
    z = np.load(path)
    config = Config(**json.loads(str(z["config"])))
    tensors = {name[2:]: z[name] for name in z.files if name.startswith("t.")}
    bounds = np.concatenate([[0], np.cumsum(z["lengths"])])
    ids = z["ids"].tolist()
    windows = [Window(tuple(ids[a:b]), int(s), int(e))
               for a, b, s, e in zip(bounds[:-1], bounds[1:], z["starts"], z["ends"])]
    eos, pad = (int(x) for x in z["specials"])
    return Bundle(config, None, tensors), windows, Specials(eos, pad)


def load_init(model: Reader, init: Path, device: str) -> Reader:
    """Weights from --init: exported .safetensors (the shipped reader, say) or a checkpoint."""
    if init.suffix == ".safetensors":
        from weights_file import load

        model.load_bundle(load(init)[0])
    else:
        model.load_state_dict(torch.load(init, map_location=device, weights_only=False)["model"])
    return model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/datasets/train")
    p.add_argument("--work", type=Path, default=Path("runs/reader"))
    p.add_argument("--steps", type=int, default=1400)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--news", type=Path, default=Path(__file__).resolve().parents[1].parent
                   / "shared/datasets/news_train/news_train.json", help="news questions (SQuAD 2.0 with titles, dates)")
    p.add_argument("--near-misses", type=Path,
                   default=Path(__file__).resolve().parents[1] / "data/news_near_misses.json",
                   help="more near-miss questions written on news_train's articles (by article url)")
    p.add_argument("--more-news", type=Path, nargs="*", default=[],
                   help="more news question files (SQuAD 2.0 with titles, dates), trained on whole")
    p.add_argument("--holdout-news", type=int, default=24, help="news articles held out (for thresholds, calibration)")
    p.add_argument("--wiki-questions", type=int, default=1500, help="Wikipedia questions sampled into the mix")
    p.add_argument("--holdout-drcd", type=int, default=300, help="DRCD questions held out (whole paragraphs)")
    p.add_argument("--holdout-cmrc", type=int, default=400, help="CMRC train questions held out for tuning")
    p.add_argument("--negatives", type=int, default=Mix.negatives, help="BM25 hard-negative paragraphs per question")
    p.add_argument("--negative-share", type=float, default=Mix.negative_share, help="chance each of them is used")
    p.add_argument("--other-share", type=float, default=Mix.other_share)
    p.add_argument("--removed-share", type=float, default=Mix.removed_share,
                   help="share of questions also given their own paragraph with the answer's sentence cut out")
    p.add_argument("--swapped-share", type=float, default=Mix.swapped_share,
                   help="share of questions also asked with a year, number, name, role or measure swapped "
                        "for one their paragraph lacks")
    p.add_argument("--noise-share", type=float, default=Mix.noise_share,
                   help="news questions also read from a noisy copy")
    p.add_argument("--title-share", type=float, default=Mix.title_share, help="windows that read the headline first")
    p.add_argument("--date-share", type=float, default=Mix.date_share,
                   help="of those, the share whose heading has the date")
    p.add_argument("--init", type=Path, help="start from these weights, a checkpoint or exported .safetensors "
                   "(a fresh optimiser and schedule)")
    p.add_argument("--save-every", type=int, default=50)
    p.add_argument("--threads", type=int, default=int(os.environ.get("QA_THREADS", "0")) or None)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CPUs with AVX-512 BF16, GPUs)")
    p.add_argument("--export", type=Path, help="write float16 safetensors of the latest checkpoint and exit")
    p.add_argument("--prepare-only", action="store_true")
    p.add_argument("--pack", type=Path, help="write the windows and starting weights to this .npz and exit")
    p.add_argument("--from-pack", type=Path, help="train from a file written by --pack (torch and NumPy only)")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.from_pack:
        bundle, windows, tok = read_pack(args.from_pack)
    else:
        bundle = load_bundle()
        tok = Tokenizer(bundle.vocabulary)
    if args.pack or args.prepare_only:  # data only: no model, no checkpoint to load
        windows = windows if args.from_pack else prepare(args, tok)
        if args.pack:
            write_pack(args.pack, bundle, windows, tok)
        return 0
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = Reader(bundle).to(device)
    ckpt_path = args.work / "checkpoint.pt"
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=args.lr, weight_decay=0.01)
    warm = max(1, int(args.steps * args.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (args.steps - s) / max(1, args.steps - warm)))
    )
    step = 0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    elif args.init:
        load_init(model, args.init, device)
        print(f"weights from {args.init}; a new schedule of {args.steps} steps", flush=True)
    if args.export:
        from weights_file import save

        save(args.export, model.export(), {"step": str(step)})
        print(f"exported step {step} to {args.export}")
        return 0
    if not args.from_pack:
        windows = prepare(args, tok)
    plan = []
    epoch = 0
    while len(plan) < args.steps:
        plan += batches(windows, args.batch, tok.eos, tok.pad, args.seed + epoch)
        epoch += 1
    model.train()
    log = (args.work / "train_log.jsonl").open("a")
    t0, losses = time.time(), []
    while step < args.steps:
        ids, mask, pmask, starts, ends = (t.to(device) for t in collate(plan[step], tok.eos, tok.pad))
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=args.bf16):
            s_logits, e_logits = model(ids, mask)
        loss = span_loss(s_logits, e_logits, pmask, starts, ends)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0:
            rec = {"step": step, "loss": round(float(np.mean(losses[-10:])), 4), "lr": sched.get_last_lr()[0],
                   "s_per_step": round((time.time() - t0) / len(losses), 2), "windows_seen": step * args.batch}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(rec, flush=True)
        if step % args.save_every == 0 or step == args.steps:
            tmp = ckpt_path.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step}, tmp)
            os.replace(tmp, ckpt_path)  # a kill mid-save leaves the previous checkpoint whole
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
