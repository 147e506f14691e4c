"""The BM25 tokenizer: jieba's search-mode words of a text's search key, punctuation and particles
dropped; and the fingerprint an index records of it, so an index tokenised otherwise is re-tokenised."""

from __future__ import annotations

import functools
import hashlib
import json
import logging

from qa.text.keys import normalize_key

PUNCT = set(
    "，。！？；：、“”‘’「」『』（）()《》〈〉【】—…·,.!?;:'\"-_*^/\\~`+=|<>[]{}@#$%&￥～－■●◆"
)
# Particles that occur in nearly every sentence: they only add noise to BM25.
PARTICLES = frozenset("的 了 是 和 与 及 在 吗 呢 啊 吧 么 之 其 或".split())
# Raise it when a change to `tokenize` or to `normalize_key` gives some text other tokens (the
# version of jieba and OpenCC and the sets above are part of the fingerprint already): every index
# then re-tokenises its chunks on its next build or check; its vectors are kept.
TOKENIZER_VERSION = 1

_jieba_ready = False


def load_jieba():
    """The jieba module, its dictionary loaded once and quietly."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True
    return jieba


def tokenize(text: str) -> list[str]:
    """Search tokens for BM25: jieba search mode over the normalised key, punctuation and
    particles dropped."""
    key = normalize_key(text)
    return [w for w in load_jieba().cut_for_search(key)
            if w.strip() and w not in PARTICLES and not all(c in PUNCT for c in w)]


# jieba is pure Python and single-threaded: from this many texts, `tokenize_many` spreads them over
# one process per core (each loads jieba's dictionary once, about a second, so fewer are not worth it).
PARALLEL_MIN = 20_000
_SHARE = 2_000  # texts per task: few round trips, and the pool stays evenly busy


def tokenize_many(texts: list[str], processes: int = 1) -> list[list[str]]:
    """`tokenize` of every text, in order; over ``processes`` processes when there are at least
    PARALLEL_MIN texts. The tokens are the same either way."""
    if len(texts) < PARALLEL_MIN or processes < 2:
        return [tokenize(t) for t in texts]
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    shares = [texts[a:a + _SHARE] for a in range(0, len(texts), _SHARE)]
    # spawn: the workers start clean, whatever threads the building process runs (the page's server).
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        return [tokens for share in pool.map(_tokenize_share, shares) for tokens in share]


def _tokenize_share(texts: list[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    """12 hex digits naming what decides `tokenize`'s output: TOKENIZER_VERSION, the versions of
    jieba (the words) and OpenCC (the search key's simplified characters), and the particles and
    punctuation dropped. Read from package metadata: neither library is imported."""
    what = {"version": TOKENIZER_VERSION, "jieba": _version("jieba"), "opencc": _version("opencc"),
            "mode": "cut_for_search", "particles": sorted(PARTICLES), "punctuation": sorted(PUNCT)}
    return hashlib.sha256(json.dumps(what, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]
