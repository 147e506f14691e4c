"""Reading: ranked hits and their articles -> a short answer span, exact quotes, or an abstention."""

from qa.read.base import NOT_FOUND, AnswerReader
from qa.read.reader import Reader, Reading
from qa.read.reader_answers import LearnedReader

__all__ = ["NOT_FOUND", "AnswerReader", "LearnedReader", "Reader", "Reading"]
