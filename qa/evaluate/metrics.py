"""Pure metric functions over evaluation rows: retrieval ranks, CMRC 2018 EM/F1, abstention,
citation validity and latency."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

# The CMRC 2018 official script's punctuation: each mark is one token, removed before comparing.
# "……" is listed there as one two-character entry that a per-character scan never matches; we
# take its character "…" as meant.
CMRC_PUNCT = frozenset("-:_*^/\\~`+=，。：？！“”；’《》…·、「」（）－～『』")
_CJK = re.compile(r"[\u4e00-\u9fa5]")
# Stands in for nltk's word_tokenize on non-CJK runs: words (keeping "3.5" and "don't" whole)
# and single other symbols.
_WORD = re.compile(r"\w+(?:[.,']\w+)*|[^\w\s]")
RECALL_KS = (1, 5, 10)
CURVE_KS = tuple(range(1, 21))


def cmrc_tokens(text: str, remove_punct: bool = True) -> list[str]:
    """CMRC 2018 mixed segmentation: each CJK character and listed mark is a token; other runs
    are split into words. Lower-cased and stripped first."""
    out: list[str] = []
    run = ""
    for ch in text.lower().strip():
        if remove_punct and ch in CMRC_PUNCT:
            continue  # as in the official script: removed without ending the current run
        if _CJK.match(ch) or ch in CMRC_PUNCT:
            if run:
                out.extend(_WORD.findall(run))
                run = ""
            out.append(ch)
        else:
            run += ch
    if run:
        out.extend(_WORD.findall(run))
    return out


def cmrc_strip(text: str) -> str:
    """Lower-cased, stripped, listed punctuation removed (the EM comparison form)."""
    return "".join(ch for ch in text.lower().strip() if ch not in CMRC_PUNCT)


def cmrc_em(prediction: str, golds: Iterable[str]) -> float:
    """1.0 when the prediction equals any gold answer once punctuation is removed."""
    pred = cmrc_strip(prediction)
    return 1.0 if any(pred == cmrc_strip(g) for g in golds) else 0.0


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common contiguous run of tokens (not a subsequence)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                cur[j + 1] = prev[j] + 1
                best = max(best, cur[j + 1])
        prev = cur
    return best


def cmrc_f1(prediction: str, golds: Iterable[str]) -> float:
    """CMRC 2018 F1: precision and recall of the longest common contiguous token run, best gold."""
    pred = cmrc_tokens(prediction)
    best = 0.0
    for gold in golds:
        ref = cmrc_tokens(gold)
        common = longest_common_run(ref, pred)
        if common:
            p, r = common / len(pred), common / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose gold article is ranked k or better (None: not retrieved)."""
    return _rate(sum(1 for r in ranks if r is not None and r <= k), len(ranks))


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float | None:
    """Mean reciprocal rank of the gold article, counting 0 beyond rank k."""
    if not ranks:
        return None
    return round(sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks), 4)


def recall_curve(rows: list[dict], ks: Sequence[int] = CURVE_KS) -> list[float | None]:
    """Recall@k for each k, over the questions whose gold article is known."""
    ranks = [r["gold_rank"] for r in rows if r.get("gold_article_id")]
    return [recall_at(ranks, k) for k in ks]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation, as numpy's default."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def citation_valid(quote: dict, article_text: dict[str, str]) -> bool:
    """A quote is valid when its text is exactly the slice of the article it cites."""
    text = article_text.get(quote["article_id"])
    return text is not None and text[quote["start"]:quote["end"]] == quote["text"]


CALIBRATION_BINS = 10


def outcome_right(row: dict) -> bool:
    """Whether what a user was shown is right: an answer holding a gold answer (in the answer or its
    first quote), or "not found" for a question the articles do not answer."""
    return bool(row["correct"]) if not row["abstained"] else not row["expected"]


def reliability(outcomes: Sequence[tuple[float, bool]], bins: int = CALIBRATION_BINS) -> list[dict]:
    """Equal-width bins of (confidence shown, shown outcome right) pairs: [{"low", "high", "n",
    "confidence", "accuracy"}], empty bins left out (the reliability diagram of Guo et al., ICML 2017)."""
    out = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in outcomes if low <= c < high or (b == bins - 1 and c == 1.0)]
        if inside:
            out.append({"low": low, "high": high, "n": len(inside),
                        "confidence": sum(c for c, _ in inside) / len(inside),
                        "accuracy": sum(r for _, r in inside) / len(inside)})
    return out


def expected_calibration_error(outcomes: Sequence[tuple[float, bool]], bins: int = CALIBRATION_BINS) -> float | None:
    """ECE of the shown confidence: the bins' |accuracy - confidence| weighted by their share."""
    if not outcomes:
        return None
    return round(sum(b["n"] * abs(b["accuracy"] - b["confidence"]) for b in reliability(outcomes, bins))
                 / len(outcomes), 4)


def shown_outcomes(rows: list[dict]) -> list[tuple[float, bool]]:
    """(confidence shown, shown outcome right) of every run row that has a confidence."""
    return [(r["confidence"], outcome_right(r)) for r in rows if r.get("confidence") is not None]


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarise(rows: list[dict], article_text: dict[str, str]) -> dict:
    """Metrics of a run: retrieval recall and MRR (where the gold article is known), CMRC EM/F1
    and answer_in_quote (over answerable questions; an abstention scores 0), citation_validity,
    abstention rates, the expected calibration error of the shown confidence, latency."""
    answerable = [r for r in rows if r["expected"]]
    ranks = [r.get("gold_rank") for r in rows if r.get("gold_article_id")]
    unanswerable = [r for r in rows if not r["expected"]]
    quotes = [q for r in rows for q in r["quotes"] + r.get("closest", [])]
    in_quote = sum(1 for r in answerable if any(g in q["text"] for g in r["expected"] for q in r["quotes"][:1]))
    latencies = [r["latency_ms"] for r in rows]
    # No quote at all cites nothing wrongly.
    validity = _rate(sum(citation_valid(q, article_text) for q in quotes), len(quotes)) if quotes else 1.0
    retrieval = {f"recall@{k}": recall_at(ranks, k) for k in RECALL_KS}
    return {
        "n": len(rows),
        **retrieval,
        "mrr@10": mrr_at(ranks, 10),
        "em": _mean([r.get("em", 0.0) for r in answerable]),
        "f1": _mean([r.get("f1", 0.0) for r in answerable]),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "correct": _rate(sum(r["correct"] for r in answerable), len(answerable)),
        "answer_in_quote": _rate(in_quote, len(answerable)),
        "citation_validity": validity,
        "abstain_rate_unanswerable": _rate(sum(r["abstained"] for r in unanswerable), len(unanswerable)),
        "false_abstain_rate": _rate(sum(r["abstained"] for r in answerable), len(answerable)),
        "calibration_error": expected_calibration_error(shown_outcomes(rows)),
        "latency_ms_p50": round(percentile(latencies, 50), 2),
        "latency_ms_p95": round(percentile(latencies, 95), 2),
        "n_with_gold_article": len(ranks),
    }
