"""PNG plots of an evaluation run: recall@k per retriever, the latency distribution and the
reliability of the shown confidence."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

RECALL_PNG = "recall_at_k.png"
LATENCY_PNG = "latency.png"
RELIABILITY_PNG = "reliability.png"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _saved(plt, fig, path: Path) -> Path:
    """Lay out, write and close a figure; the path written."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def recall_plot(curves: dict[str, Sequence[float | None]], path: Path) -> Path | None:
    """Recall@k for k = 1..len(curve), one line per retriever; None when no gold article is known."""
    curves = {name: c for name, c in curves.items() if c and all(v is not None for v in c)}
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for name, curve in curves.items():
        ks = range(1, len(curve) + 1)
        ax.plot(ks, curve, marker="o", markersize=3, label=name)
    ax.set_xlabel("k (articles retrieved)")
    ax.set_ylabel("recall@k of the gold article")
    ax.set_xticks(range(1, max(len(c) for c in curves.values()) + 1))
    low = min(min(c) for c in curves.values())
    ax.set_ylim(max(0.0, low - 0.02), 1.002)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _saved(plt, fig, path)


def latency_plot(latencies: dict[str, Sequence[float]], path: Path) -> Path | None:
    """Histogram of per-question latency (ms, log scale), one series per retriever."""
    latencies = {name: [v for v in values if v > 0] for name, values in latencies.items()}
    latencies = {name: values for name, values in latencies.items() if values}
    if not latencies:
        return None
    import numpy as np

    plt = _pyplot()
    low = min(min(v) for v in latencies.values())
    high = max(max(v) for v in latencies.values())
    bins = np.geomspace(low * 0.9, high * 1.1, 40)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for name, values in latencies.items():
        p50 = float(np.percentile(values, 50))
        ax.hist(values, bins=bins, alpha=0.5, label=f"{name} (p50 {p50:.0f} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("latency per question (ms, log scale)")
    ax.set_ylabel("questions")
    ax.grid(alpha=0.3)
    ax.legend()
    return _saved(plt, fig, path)


def reliability_plot(runs: dict[str, Sequence[dict]], path: Path) -> Path | None:
    """Accuracy of the shown outcome against the confidence shown, per confidence bin, one line per
    run; the diagonal is a perfectly calibrated confidence."""
    from qa.evaluate.metrics import expected_calibration_error, reliability, shown_outcomes

    runs = {name: rows for name, rows in runs.items() if rows}
    if not runs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, rows in runs.items():
        outcomes = shown_outcomes(list(rows))
        bins = reliability(outcomes)
        ece = expected_calibration_error(outcomes)
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", markersize=4,
                label=f"{name} (ECE {ece:.3f})")
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("share right (answer holds the gold, or 'not found' where none is)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return _saved(plt, fig, path)
