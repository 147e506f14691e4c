"""Pure metric functions over evaluation rows."""

from __future__ import annotations

import math


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


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarise(rows: list[dict], article_text: dict[str, str]) -> dict:
    """Metrics of a run: answer_in_quote, citation_validity, abstention rates, latency."""
    answerable = [r for r in rows if r["expected"]]
    unanswerable = [r for r in rows if not r["expected"]]
    quotes = [q for r in rows for q in r["quotes"] + r.get("closest", [])]
    in_quote = sum(1 for r in answerable if any(g in q["text"] for g in r["expected"] for q in r["quotes"][:1]))
    latencies = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "correct": _rate(sum(r["correct"] for r in answerable), len(answerable)),
        "answer_in_quote": _rate(in_quote, len(answerable)),
        # No quote at all cites nothing wrongly.
        "citation_validity": _rate(sum(citation_valid(q, article_text) for q in quotes), len(quotes)) if quotes else 1.0,
        "abstain_rate_unanswerable": _rate(sum(r["abstained"] for r in unanswerable), len(unanswerable)),
        "false_abstain_rate": _rate(sum(r["abstained"] for r in answerable), len(answerable)),
        "latency_ms_p50": round(percentile(latencies, 50), 2),
        "latency_ms_p95": round(percentile(latencies, 95), 2),
    }
