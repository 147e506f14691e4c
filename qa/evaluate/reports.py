"""A run's results -> report.json, report.md and plots: the metrics table (side by side when
retrievers are compared), then the worst questions grouped by the kind of failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from qa.evaluate.runs import run_name

# In the order a question can fail: a stage that failed hides the ones after it.
FAILURE_KINDS = {
    "not_retrieved": "Gold article not retrieved",
    "span_missed": "Retrieved but answer span missed",
    "false_abstain": "Wrongly abstained",
    "answered_unanswerable": "Answered an unanswerable question",
}
TABLE_METRICS = (
    "n", "recall@1", "recall@5", "recall@10", "mrr@10", "em", "f1", "correct", "answer_in_quote",
    "citation_validity", "abstain_rate_unanswerable", "false_abstain_rate", "calibration_error", "latency_ms_p50",
    "latency_ms_p95", "index_build_seconds",
)


def failure_kind(row: dict) -> str | None:
    """Why a question went wrong, or None when it did not.

    A question fails when a gold answer is not inside the short answer (an abstention is right
    only for a question without answers); the gold article decides between retrieval and span."""
    if not row["expected"]:
        return None if row["abstained"] else "answered_unanswerable"
    if row["abstained"]:
        return "false_abstain"
    if any(g in row["answer"] for g in row["expected"]):
        return None
    if row.get("gold_read") is False:
        return "not_retrieved"
    return "span_missed"


def group_failures(rows: Sequence[dict]) -> dict[str, list[dict]]:
    """Failed rows by kind, worst first: lowest F1, then the most confident."""
    groups: dict[str, list[dict]] = {kind: [] for kind in FAILURE_KINDS}
    for row in rows:
        kind = failure_kind(row)
        if kind:
            groups[kind].append(row)
    for items in groups.values():
        items.sort(key=lambda r: ((r.get("f1") or 0.0), -r["confidence"], r["id"]))
    return groups


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def metrics_table(runs: dict[str, dict]) -> str:
    """A Markdown table: one row per metric, one column per retriever."""
    names = list(runs)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key in TABLE_METRICS:
        if any(key in m for m in runs.values()):
            lines.append(f"| {key} | " + " | ".join(_cell(runs[n].get(key)) for n in names) + " |")
    return "\n".join(lines)


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure_entry(row: dict) -> str:
    quotes = row["quotes"] or row.get("closest", [])
    quote = quotes[0] if quotes else None
    got = "(abstained: not found)" if row["abstained"] else row["answer"]
    cited = f"“{_one_line(quote['text'])}” — {quote['title']}" if quote else "(no quote)"
    rank = row.get("gold_rank")
    return (f"- **{row['id']}** {_one_line(row['question'])}\n"
            f"  - expected: {' / '.join(row['expected']) or '(not in the articles)'}\n"
            f"  - got: {_one_line(got)} (confidence {row['confidence']:.2f}, F1 {_cell(row.get('f1'))}, "
            f"gold article rank {_cell(rank)})\n"
            f"  - cited: {cited}")


def render(report: dict, worst: int = 10) -> str:
    """The Markdown report of a run."""
    run = report.get("run", {})
    compare = report.get("compare") or {run_name(report["metrics"]): report["metrics"]}
    out = ["# Evaluation report", ""]
    if run:
        out += [f"- {key}: {value}" for key, value in run.items() if value not in (None, "")] + [""]
    out += ["## Metrics", "", metrics_table(compare), ""]
    out += ["Recall@k and MRR@10 rank the gold article among the retrieved ones; EM and F1 are the "
            "CMRC 2018 official definitions over answerable questions (an abstention scores 0); "
            "answer_in_quote: a gold answer lies inside the first quote.", ""]
    plots = report.get("plots", [])
    for name in plots:
        out.append(f"![{name}]({name})")
    if plots:
        out.append("")
    primary = run_name(report["metrics"])
    groups = group_failures(report["questions"])
    out += [f"## Failures ({primary})", ""]
    out += ["| kind | questions |", "|---|---:|"]
    out += [f"| {FAILURE_KINDS[k]} | {len(v)} |" for k, v in groups.items()] + [""]
    for kind, rows in groups.items():
        if not rows:
            continue
        out += [f"### {FAILURE_KINDS[kind]} ({len(rows)}; worst {min(worst, len(rows))})", ""]
        out += [_failure_entry(r) for r in rows[:worst]] + [""]
    if report.get("warnings"):
        out += ["## Warnings", ""] + [f"- {w}" for w in report["warnings"]] + [""]
    return "\n".join(out)


def all_runs(report: dict) -> dict[str, list[dict]]:
    """Rows of every run in a report, by the name "compare" gives it."""
    runs = {run_name(report["metrics"]): report["questions"]}
    runs.update(report.get("compare_questions", {}))
    return runs


def write_report(report: dict, out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_outputs(report: dict, out_dir: Path, worst: int = 10) -> list[Path]:
    """report.json, report.md and the PNG plots in ``out_dir``; the paths written."""
    # Matplotlib is imported only when plots are drawn.
    from qa.evaluate.plots import LATENCY_PNG, RECALL_PNG, RELIABILITY_PNG, latency_plot, recall_plot, reliability_plot

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = all_runs(report)
    plots = [recall_plot(report.get("recall_curve", {}), out_dir / RECALL_PNG),
             latency_plot({name: [r["latency_ms"] for r in rows] for name, rows in runs.items()},
                          out_dir / LATENCY_PNG),
             reliability_plot(runs, out_dir / RELIABILITY_PNG)]
    plots = [p for p in plots if p is not None]
    report["plots"] = [p.name for p in plots]
    md = out_dir / "report.md"
    md.write_text(render(report, worst), encoding="utf-8")
    return [write_report(report, out_dir), md, *plots]
