"""The argparse options `qa` and `python app.py` share (corpus, index, model, threads, page), the
settings they give, and one clear line per error instead of a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from qa.config import Settings, corpus_from_environment, default_settings
from qa.errors import QAError


def add_location_options(p: argparse.ArgumentParser, corpus: bool = True) -> None:
    """--corpus (unless ``corpus`` is False), --index and --model."""
    if corpus:
        p.add_argument("--corpus", metavar="DIR", help="directory of articles (default: corpus/)")
    p.add_argument("--index", metavar="DIR", help="index directory (default: embeddings/)")
    p.add_argument("--model", metavar="NAME_OR_PATH",
                   help="sentence-transformers model id or directory (default: the bundled multilingual-e5-small)")
    p.add_argument("--threads", type=_thread_count, metavar="N",
                   help="cores the encoder and reader may use (default: QA_THREADS, else all)")


def _thread_count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a thread count; give a whole number of 1 or more")
    return int(value)


def add_page_options(p: argparse.ArgumentParser) -> None:
    """--port and --host of the chat page."""
    p.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)")
    p.add_argument("--fetch-links", action="store_true",
                   help="let people at a page served to a network add articles from links (the server fetches "
                        "them; on by default for 127.0.0.1 only)")


def settings_from(args: argparse.Namespace) -> Settings:
    """The default settings with whatever the options given override (and --threads applied)."""
    if getattr(args, "threads", None):
        from qa.encoder.threads import set_threads

        set_threads(args.threads)
    return default_settings().with_(
        corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None),
        model=getattr(args, "model", None), top_k=getattr(args, "top_k", None),
        retriever=getattr(args, "retriever", None), device=getattr(args, "device", None),
    )


def corpus_given(args: argparse.Namespace) -> bool:
    """Whether the user named a corpus (--corpus or QA_CORPUS) rather than taking the index's own."""
    return bool(getattr(args, "corpus", None) or corpus_from_environment())


def bound_settings(args: argparse.Namespace, *, rebuild: bool = False) -> Settings:
    """`settings_from`, with the corpus the index was built from unless one was named (raises
    QAError when the named one differs and the command is not a build: see qa.index.binding)."""
    from qa.index import bind_corpus

    return bind_corpus(settings_from(args), corpus_given(args), rebuild=rebuild)


def run(command: Callable[[], int]) -> int:
    """Run ``command`` and return its exit status; a QAError becomes one line on stderr and status 2."""
    try:
        return command()
    except QAError as err:
        print(f"qa: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0
