"""Text, one job a module. Article text is never rewritten after ingestion: everything here either
cleans raw input once (`lines`) or produces *copies* aligned character by character with the original,
so that an offset found in a copy is an offset in the article.

- `qa.text.lines`: hard-wrap repair of raw article text (`join_hard_breaks`), done once at ingestion.
- `qa.text.sentences`: where the sentences of a text start and end (`sentence_spans`).
- `qa.text.script`: CJK characters, traditional or simplified script, OpenCC conversion (`to_simplified`).
- `qa.text.keys`: the normalised search key of a text (`normalize_key`).
- `qa.text.tokens`: the BM25 tokenizer (`tokenize`) and the fingerprint an index records of it.

The names below are re-exported so that ``from qa.text import sentence_spans`` keeps working.
"""

from qa.text.keys import normalize_key
from qa.text.lines import join_hard_breaks
from qa.text.script import TRADITIONAL_SHARE, is_cjk, is_traditional, to_simplified, traditional_share
from qa.text.sentences import sentence_spans
from qa.text.tokens import PUNCT, tokenize, tokenizer_fingerprint

__all__ = ["PUNCT", "TRADITIONAL_SHARE", "is_cjk", "is_traditional", "join_hard_breaks", "normalize_key",
           "sentence_spans", "to_simplified", "tokenize", "tokenizer_fingerprint", "traditional_share"]
