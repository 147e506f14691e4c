"""An index stays bound to the corpus it was built from: `--index` alone answers from that corpus
(the default `corpus/` is never read), another `--corpus` is refused except by `qa build`, and a
corpus that is gone leaves the index served as it is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import LIBRARY_ARTICLE as ARTICLE
from conftest import LIBRARY_QUESTION as QUESTION

import qa.index.builder
from qa.cli import main
from qa.config import ROOT
from qa.index import load_index


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every corpus directory the index stage reads, resolved."""
    seen: list[Path] = []
    original = qa.index.builder.load_corpus

    def spy(root):
        seen.append(Path(root).resolve())
        return original(root)

    monkeypatch.setattr(qa.index.builder, "load_corpus", spy)
    monkeypatch.delenv("QA_CORPUS", raising=False)
    monkeypatch.delenv("QA_INDEX", raising=False)
    return seen


@pytest.fixture
def own(tmp_path, small_corpus) -> tuple[Path, Path]:
    """A user's corpus (three bundled articles and one of its own) and the directory its index goes to."""
    corpus = tmp_path / "my-news"
    shutil.copytree(small_corpus, corpus)
    (corpus / "library.md").write_text(ARTICLE, encoding="utf-8")
    index = tmp_path / "my-index"
    return corpus, index


def _ask(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["ask", QUESTION, "--json", *args])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_index_alone_answers_from_its_own_corpus(fake_embedder, own, reads, capsys) -> None:
    corpus, index = own
    assert main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 0
    reads.clear()
    code, answer, err = _ask(capsys, "--index", str(index))
    assert code == 0, err
    assert answer["references"][0]["article_id"] == "library"
    assert "rebuild" not in err
    assert reads == []  # unchanged since its build: the corpus is not even read (qa.index.freshness)
    assert load_index(index).meta["corpus_dir"] == str(corpus.resolve())

    # A change to the index's own corpus is picked up from there, never from corpus/.
    (corpus / "library.md").write_text(ARTICLE.replace("林秀云", "周海燕"), encoding="utf-8")
    code, answer, _ = _ask(capsys, "--index", str(index))
    assert code == 0 and "library" in {r["article_id"] for r in answer["references"]}
    assert "周海燕" in load_index(index).articles["library"].text
    assert set(reads) == {corpus.resolve()} and (ROOT / "corpus").resolve() not in reads


def test_build_with_index_alone_refreshes_from_the_recorded_corpus(fake_embedder, own, reads) -> None:
    corpus, index = own
    assert main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 0
    (corpus / "second.md").write_text(ARTICLE.replace("图书馆", "体育馆"), encoding="utf-8")
    assert main(["build", "--index", str(index), "--quiet"]) == 0
    assert "second" in load_index(index).articles
    assert set(reads) == {corpus.resolve()}


def test_another_corpus_is_refused_except_by_build(fake_embedder, own, reads, small_corpus, capsys) -> None:
    corpus, index = own
    assert main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 0
    before = load_index(index).path
    code, _, err = _ask(capsys, "--index", str(index), "--corpus", str(small_corpus))
    assert code == 2
    assert err.count("\n") == 1 and "was built from" in err and "qa build --corpus" in err
    assert load_index(index).path == before  # nothing rebuilt
    # `qa build --corpus NEW --index DIR` is the deliberate move.
    assert main(["build", "--corpus", str(small_corpus), "--index", str(index), "--quiet"]) == 0
    moved = load_index(index)
    assert moved.meta["corpus_dir"] == str(small_corpus.resolve()) and "library" not in moved.articles


def test_a_corpus_that_is_gone_leaves_the_index_served_as_it_is(fake_embedder, own, reads, capsys) -> None:
    corpus, index = own
    assert main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 0
    before = load_index(index).path
    shutil.rmtree(corpus)
    code, answer, err = _ask(capsys, "--index", str(index))
    assert code == 0 and answer["references"][0]["article_id"] == "library"
    assert err.count("is gone; answering from the index as it is") == 1
    assert load_index(index).path == before
    code = main(["build", "--index", str(index), "--quiet"])
    assert code == 2 and "is gone; give --corpus DIR" in capsys.readouterr().err
    assert load_index(index).path == before
