"""Evaluation: question sets and SQuAD-format sets -> per-question results, metrics, reports and plots."""

from qa.evaluate.metrics import cmrc_em, cmrc_f1, summarise
from qa.evaluate.reports import failure_kind, metrics_table, render, write_outputs
from qa.evaluate.runs import Item, compare, dropped_gold, evaluate, load_questions, run_item, run_name
from qa.evaluate.squad import cache_dir, cached_index, load_squad

__all__ = ["Item", "cache_dir", "cached_index", "cmrc_em", "cmrc_f1", "compare", "dropped_gold", "evaluate",
           "failure_kind", "load_questions", "load_squad", "metrics_table", "render", "run_item", "run_name",
           "summarise", "write_outputs"]
