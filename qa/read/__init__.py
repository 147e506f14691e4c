"""Reading: ranked hits and their articles -> a short answer span, exact quotes, or an abstention."""

from qa.read.base import NOT_FOUND, AnswerReader
from qa.read.reader import Reader, Reading
from qa.read.reader_answers import LearnedReader
from qa.read.rules import RuleReader
from qa.read.spans import SLOT_KINDS, TYPED, candidates

__all__ = ["NOT_FOUND", "SLOT_KINDS", "TYPED", "AnswerReader", "LearnedReader", "Reader", "Reading", "RuleReader",
           "candidates"]
