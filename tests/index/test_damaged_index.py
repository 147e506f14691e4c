"""A damaged index (truncated vectors, an edited or broken chunk store, CURRENT naming a version that
is not there, meta.json from a future format) is reported in one sentence that names `qa build --full`;
`qa build` repairs it into what a build from scratch gives; and `qa ask`, like every command that
needs an index, rebuilds it by itself from the index's own corpus, saying so in one line."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import LIBRARY_ARTICLE as ARTICLE
from conftest import LIBRARY_QUESTION as QUESTION

from qa.cli import main
from qa.config import Settings
from qa.errors import IndexStaleError
from qa.index import CURRENT, FORMAT_VERSION, build, live_dir, load_index, save_index, vectors_of
from qa.index.store import build_lock


def chunk_store_file(version: Path) -> Path:
    """The file of a version that holds the chunks, whatever its format (its name starts with "chunks")."""
    return sorted(p for p in version.iterdir() if p.is_file() and p.name.startswith("chunks"))[0]


def cut_in_half(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def scribble(file: Path) -> None:
    """Overwrite bytes in the middle of ``file``, as a bad disk or an editor in the wrong mode would."""
    data = bytearray(file.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = b"\xff{not an entry\x00"
    file.write_bytes(bytes(data))


def republish_chunks(root: Path, edit: Callable[[list], list]) -> None:
    """Make live a version whose chunks are ``edit``-ed and everything else is as it was: an edited chunk
    store, written by the store's own writer so that the damage does not depend on its file format."""
    index = load_index(root)
    with build_lock(root):
        save_index(dataclasses.replace(index, chunks=edit(list(index.chunks))), root)


def shift_offsets(chunks: list) -> list:
    c = chunks[2]
    chunks[2] = dataclasses.replace(c, start=c.start + 1, end=c.end + 1)
    return chunks


def retype_text(chunks: list) -> list:
    chunks[2] = dataclasses.replace(chunks[2], text="改" + chunks[2].text[1:])
    return chunks


def move_to_another_article(chunks: list) -> list:
    other = next(c.article_id for c in chunks if c.article_id != chunks[2].article_id)
    chunks[2] = dataclasses.replace(chunks[2], article_id=other)
    return chunks


def orphan(chunks: list) -> list:
    chunks[2] = dataclasses.replace(chunks[2], article_id="no-such-article")
    return chunks


def drop_one(chunks: list) -> list:
    del chunks[2]
    return chunks


def rewrite_meta(version: Path, change: Callable[[dict], object]) -> None:
    meta = version / "meta.json"
    meta.write_text(json.dumps(change(json.loads(meta.read_text(encoding="utf-8")))), encoding="utf-8")


# name -> how to damage the index under ``root`` whose live version is ``version``
DAMAGE: dict[str, Callable[[Path, Path], None]] = {
    "vectors truncated": lambda root, version: cut_in_half(version / "vectors.faiss"),
    "vectors emptied": lambda root, version: (version / "vectors.faiss").write_bytes(b""),
    "chunk store truncated": lambda root, version: cut_in_half(chunk_store_file(version)),
    "chunk store scribbled on": lambda root, version: scribble(chunk_store_file(version)),
    "a chunk removed": lambda root, version: republish_chunks(root, drop_one),
    "a chunk's offsets shifted": lambda root, version: republish_chunks(root, shift_offsets),
    "a chunk's text retyped": lambda root, version: republish_chunks(root, retype_text),
    "a chunk moved to another article": lambda root, version: republish_chunks(root, move_to_another_article),
    "a chunk of no article": lambda root, version: republish_chunks(root, orphan),
    "CURRENT names a missing version": lambda root, version: (root / CURRENT).write_text(
        "v-20991231-235959-000000000\n", encoding="utf-8"),
    "CURRENT garbled": lambda root, version: (root / CURRENT).write_bytes(b"\xff\xfe\x00\x9c garbage"),
    "CURRENT leads out of the index": lambda root, version: (root / CURRENT).write_text(
        f"../{root.name}-elsewhere/{version.name}\n", encoding="utf-8"),
    "meta.json from a future format": lambda root, version: rewrite_meta(
        version, lambda m: {**m, "format_version": FORMAT_VERSION + 1}),
    "meta.json not an object": lambda root, version: rewrite_meta(version, lambda m: [m]),
    "meta.json garbled": lambda root, version: scribble(version / "meta.json"),
}
# Damage that also loses the record of the corpus (the index's only version has no readable meta.json).
LOSES_CORPUS = ["meta.json not an object", "meta.json garbled"]


@pytest.fixture
def own(tmp_path, small_corpus, fake_embedder, monkeypatch) -> Settings:
    """An index built from a user's own corpus (three bundled articles and one of its own)."""
    monkeypatch.delenv("QA_CORPUS", raising=False)
    monkeypatch.delenv("QA_INDEX", raising=False)
    corpus = tmp_path / "my-news"
    shutil.copytree(small_corpus, corpus)
    (corpus / "library.md").write_text(ARTICLE, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "my-index")
    build(settings, quiet=True)
    return settings


def damage(settings: Settings, how: str) -> Settings:
    root = settings.index_dir
    version = live_dir(root)
    if how == "CURRENT leads out of the index":  # a complete index lies there
        shutil.copytree(version, root.parent / f"{root.name}-elsewhere" / version.name)
    DAMAGE[how](root, version)
    return settings


@pytest.fixture(params=list(DAMAGE))
def damaged(request, own) -> Settings:
    """``own``, damaged in one of the ways of DAMAGE."""
    return damage(own, request.param)


@pytest.fixture(params=[how for how in DAMAGE if how not in LOSES_CORPUS])
def damaged_but_bound(request, own) -> Settings:
    """``own``, damaged in a way that leaves the record of its corpus readable."""
    return damage(own, request.param)


@pytest.fixture(params=LOSES_CORPUS)
def damaged_and_unbound(request, own) -> Settings:
    """``own``, damaged so that nothing in it says which corpus it was built from."""
    return damage(own, request.param)


def test_damage_is_reported_in_one_sentence_that_names_the_fix(damaged):
    with pytest.raises(IndexStaleError) as raised:
        load_index(damaged.index_dir)
    message = str(raised.value)
    assert message.startswith(f"The index in {damaged.index_dir} ")
    assert "\n" not in message and message.endswith(" to rebuild it.") and message.count(". ") == 0
    assert "run `qa build --full`" in message


def test_qa_build_repairs_it_into_what_a_build_from_scratch_gives(damaged_but_bound, capsys):
    settings = damaged_but_bound
    assert main(["build", "--index", str(settings.index_dir), "--quiet"]) == 0  # from the corpus it records
    assert capsys.readouterr().err == ""
    repaired = load_index(settings.index_dir)
    scratch, _ = build(settings.with_(index_dir=settings.index_dir.parent / "scratch"), quiet=True)
    assert repaired.articles == scratch.articles and "library" in repaired.articles
    assert repaired.chunks == scratch.chunks
    np.testing.assert_array_equal(vectors_of(repaired), vectors_of(scratch))
    assert repaired.meta["corpus_dir"] == str(settings.corpus_dir.resolve())


def ask(index_dir: Path, capsys) -> tuple[int, str, str]:
    code = main(["ask", QUESTION, "--json", "--index", str(index_dir)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_ask_rebuilds_it_from_its_own_corpus_and_says_so_in_one_line(damaged_but_bound, capsys):
    code, out, err = ask(damaged_but_bound.index_dir, capsys)
    assert code == 0, err
    assert json.loads(out)["references"][0]["article_id"] == "library"
    [said] = [line for line in err.splitlines() if "rebuilding it now" in line]
    assert said.startswith(f"The index in {damaged_but_bound.index_dir} ") and said.endswith("; rebuilding it now ...")
    assert load_index(damaged_but_bound.index_dir).meta["corpus_dir"] == str(damaged_but_bound.corpus_dir.resolve())


def test_an_index_that_no_longer_records_its_corpus_is_not_rebuilt_from_another(damaged_and_unbound, capsys):
    index_dir = damaged_and_unbound.index_dir
    for argv in (["ask", QUESTION], ["build"]):
        assert main([*argv, "--index", str(index_dir)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert err == (f"qa: The index in {index_dir} is damaged and does not record the corpus it was built from; "
                       f"rebuild it with `qa build --full --corpus DIR --index {index_dir}`.\n")
    assert main(["build", "--full", "--corpus", str(damaged_and_unbound.corpus_dir), "--index", str(index_dir),
                 "--quiet"]) == 0
    code, out, err = ask(index_dir, capsys)
    assert code == 0 and json.loads(out)["references"][0]["article_id"] == "library", err
