"""Reading: ranked hits and their articles -> a short answer span, exact quotes, or an abstention."""

from qa.read.base import AnswerReader
from qa.read.rules import NOT_FOUND, RuleReader
from qa.read.spans import SLOT_KINDS, TYPED, candidates

__all__ = ["NOT_FOUND", "SLOT_KINDS", "TYPED", "AnswerReader", "RuleReader", "candidates"]
