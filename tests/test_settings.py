"""Settings in one place: only qa/config.py reads the environment, and it checks what it reads (one
sentence per bad value); the BM25 tokenizer's fingerprint names what the tokenizer does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import qa.text.tokens
from qa.config import (
    ROOT,
    cache_root,
    check_environment,
    default_settings,
    reader_weights_override,
    thread_count,
)
from qa.errors import QAError, SettingsError

PACKAGE = ROOT / "qa"
# The one module that reads the environment. (The encoder's thread count is read there too: it is
# applied through threadpoolctl after NumPy has loaded, so nothing needs it earlier.)
READERS = {PACKAGE / "config.py"}
VARIABLES = ("QA_CORPUS", "QA_INDEX", "QA_MODEL", "QA_CACHE", "QA_THREADS", "QA_READER_WEIGHTS", "QA_APPROX_MIN",
             "XDG_CACHE_HOME")


def environment_reads(source: str) -> list[int]:
    """Lines of ``source`` that read the environment: ``os.environ`` used in any way but a
    ``os.environ.setdefault(...)`` statement or an assignment to ``os.environ[...]`` (writes), and
    every ``os.getenv``, ``os.environb`` and ``from os import environ / getenv``."""
    tree = ast.parse(source)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "environb", "getenv", "getenvb") for a in node.names):
                lines.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
              and node.attr in ("environ", "environb", "getenv", "getenvb")):
            if node.attr == "environ" and _is_write(node, parent):
                continue
            lines.append(node.lineno)
    return lines


def _is_write(environ: ast.AST, parent: dict[ast.AST, ast.AST]) -> bool:
    up = parent.get(environ)
    if isinstance(up, ast.Subscript) and isinstance(up.ctx, (ast.Store, ast.Del)):
        return True  # os.environ[name] = value / del os.environ[name]
    if isinstance(up, ast.Attribute) and up.attr == "setdefault":
        call = parent.get(up)
        return isinstance(call, ast.Call) and isinstance(parent.get(call), ast.Expr)  # its value unused
    return False


def test_only_config_reads_the_environment():
    wrong = [f"{path.relative_to(ROOT)}:{line}" for path in sorted(PACKAGE.rglob("*.py")) if path not in READERS
             for line in environment_reads(path.read_text(encoding="utf-8"))]
    assert not wrong, "read the environment in qa/config.py only: " + ", ".join(wrong)


def test_the_environment_check_sees_reads():
    """What the check above calls a read (a check that found nothing would pass anything)."""
    assert environment_reads('import os\nx = os.environ.get("QA_X")\n') == [2]
    assert environment_reads('import os\nx = os.environ["QA_X"]\ny = "QA_Y" in os.environ\n') == [2, 3]
    assert environment_reads('import os\nx = os.getenv("QA_X")\n') == [2]
    assert environment_reads("from os import environ\n") == [1]
    assert environment_reads('import os\nx = os.environ.setdefault("A", "1")\n') == [2]  # its value is read
    assert environment_reads('import os\nos.environ.setdefault("A", "1")\nos.environ["B"] = "2"\n') == []
    assert environment_reads((PACKAGE / "config.py").read_text(encoding="utf-8"))  # the one reader reads


@pytest.fixture
def clean_environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_without_the_environment(clean_environment):
    settings = default_settings()
    assert settings.corpus_dir == ROOT / "corpus" and settings.index_dir == ROOT / "embeddings"
    assert settings.model is None
    assert thread_count() is None and reader_weights_override() is None
    assert cache_root() == Path.home() / ".cache" / "qa"


def test_the_environment_sets_the_defaults(clean_environment, tmp_path):
    env = clean_environment
    env.setenv("QA_CORPUS", str(tmp_path / "news"))
    env.setenv("QA_INDEX", str(tmp_path / "index"))
    env.setenv("QA_MODEL", "some/model")
    env.setenv("QA_THREADS", "2")
    env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    settings = default_settings()
    assert (settings.corpus_dir, settings.index_dir, settings.model) == (tmp_path / "news", tmp_path / "index",
                                                                         "some/model")
    assert thread_count() == 2
    assert cache_root() == tmp_path / "xdg" / "qa"
    env.setenv("QA_CACHE", str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache"
    weights = tmp_path / "reader.safetensors"
    weights.write_bytes(b"")
    env.setenv("QA_READER_WEIGHTS", str(weights))
    assert reader_weights_override() == weights


def test_blank_variables_count_as_unset(clean_environment):
    for name in VARIABLES:
        clean_environment.setenv(name, " ")
    settings = default_settings()
    assert settings.corpus_dir == ROOT / "corpus" and settings.model is None
    assert thread_count() is None and reader_weights_override() is None


BAD = {"QA_THREADS": "many", "QA_APPROX_MIN": "-5", "QA_READER_WEIGHTS": "/no/such/file"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_is_one_sentence_naming_the_variable(clean_environment, name):
    clean_environment.setenv(name, BAD[name])
    with pytest.raises(SettingsError) as err:
        default_settings()
    message = str(err.value)
    assert isinstance(err.value, QAError) and "\n" not in message
    assert message.startswith(name) and repr(BAD[name]) in message
    assert message.endswith("unset it.") and message.count(". ") == 0


def test_every_bad_value_is_named_at_once(clean_environment):
    for name, value in BAD.items():
        clean_environment.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        check_environment()
    sentences = re.split(r"(?<=\.) (?=QA_)", str(err.value))
    assert sorted(s.split()[0] for s in sentences) == sorted(BAD)


def test_the_tokenizer_fingerprint_names_what_the_tokenizer_does(monkeypatch):
    fingerprint = qa.text.tokens.tokenizer_fingerprint
    first = fingerprint()
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    try:
        monkeypatch.setattr(qa.text.tokens, "TOKENIZER_VERSION", qa.text.tokens.TOKENIZER_VERSION + 1)
        fingerprint.cache_clear()
        assert fingerprint() != first
        monkeypatch.undo()
        monkeypatch.setattr(qa.text.tokens, "PARTICLES", qa.text.tokens.PARTICLES | {"也"})
        fingerprint.cache_clear()
        assert fingerprint() != first
        monkeypatch.undo()
        fingerprint.cache_clear()
        assert fingerprint() == first  # the same tokenizer, the same fingerprint: no source file is hashed
    finally:
        fingerprint.cache_clear()
