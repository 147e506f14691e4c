"""Follow-up questions: "那实到多少人？" after "淄川区政协会议应到委员多少名？" is searched as
"淄川区政协会议委员实到多少名？". A pure function of the question and the ones asked before it."""

from __future__ import annotations

from collections.abc import Sequence

from qa.errors import QuestionError
from qa.questions import Question, analyse

# Words that open a question leaning on the one before ("那实到多少人？", "它在哪里？"), longest first.
MARKERS = ("那么", "那请问", "还有", "另外", "此外", "那", "它们", "他们", "她们", "它", "他", "她", "其")
# After 那 these make a word of their own (那些, 那里, 那天...): keep them, the question still leans back.
_NA_WORDS = set("些里儿天时年个位次样边会")
# Measure words that all count people: a follow-up asking 多少人 about 委员 counted in 名 wants 名.
PERSON_UNITS = {"人", "名", "位"}
# A question this short, with at most this many topic words of its own, cannot stand alone.
SHORT_CHARS = 8
MIN_OWN_WORDS = 2


def resolve(question: str, previous: Sequence[str] = ()) -> str:
    """The question to search for: ``question`` itself, or, when it leans on the previous question,
    that question's topic words followed by ``question`` without its leading 那 / 还有 / pronoun.

    Invalid questions are returned unchanged; validating them is the caller's job.
    """
    context: Question | None = None
    for prev in previous:
        try:
            context = analyse(_resolve_one(prev, context))
        except QuestionError:
            continue  # an invalid earlier question sets no topic
    return _resolve_one(question, context)


def _resolve_one(question: str, context: Question | None) -> str:
    text = question.strip()
    if context is None:
        return text
    try:
        q = analyse(text)
    except QuestionError:
        return text
    marker = _marker(text)
    if not (marker and not q.entities) and not _lacks_topic(q):
        return text
    body = text[len(marker):].lstrip("，,、 ") if marker else text
    carried = [w for w in _topic(context) if w not in q.key]
    if not carried:
        return text
    if (q.kind == context.kind == "how_many" and q.unit in PERSON_UNITS and context.unit in PERSON_UNITS
            and q.unit != context.unit):
        body = body.replace("多少" + q.unit, "多少" + context.unit).replace("几" + q.unit, "几" + context.unit)
    return "".join(carried) + body


def _marker(text: str) -> str | None:
    for m in MARKERS:
        if text.startswith(m) and len(text) > len(m):
            if m == "那" and text[1] in _NA_WORDS:
                return None
            return m
    return None


def _lacks_topic(q: Question) -> bool:
    """Short, naming nothing, with hardly a topic word: "实到多少人？", "市长是谁？"."""
    own = [w for w in q.keywords if len(w) >= 2]
    return len(q.key) <= SHORT_CHARS and not q.entities and len(own) < MIN_OWN_WORDS


def _topic(q: Question) -> list[str]:
    """The words that name what a question is about: multi-character keywords (single characters
    are mostly verbs and measure words, such as 应 and 名 in "应到委员多少名")."""
    return [w for w in q.keywords if len(w) >= 2]
