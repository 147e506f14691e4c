"""Imports run one way, from the CLI and the page down to the foundation, and no two modules import
each other, however indirectly: read from the source with `ast`, so that an import running back up the
stages or closing a circle fails here, in the change that adds it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qa.config import ROOT

PACKAGE = ROOT / "qa"
FOUNDATION = {"__init__", "config", "errors", "records", "text", "questions"}
ENTRY = {"cli", "cli_options", "__main__"}
BELOW_PIPELINE = {"foundation", "encoder", "ingest", "index", "retrieve", "read"}
# Each stage and the stages it may import besides itself. encoder (the e5 encoder the learned reader
# brings) sits under both index/ and read/; read/ is handed hits and articles, so it imports neither
# retrieval nor the index, and retrieval never imports read/.
MAY_IMPORT: dict[str, set[str]] = {
    "foundation": set(),
    "encoder": {"foundation"},
    "ingest": {"foundation"},
    "index": {"foundation", "encoder", "ingest"},
    "retrieve": {"foundation", "index"},
    "read": {"foundation", "encoder"},
    "evaluate": BELOW_PIPELINE,
    "pipeline": BELOW_PIPELINE,
    "page": BELOW_PIPELINE | {"pipeline"},
    "entry": BELOW_PIPELINE | {"evaluate", "pipeline", "page", "entry"},
}
# Neither qa nor the page may reach these: the page sits above qa, gradio belongs to the page alone,
# and the page never needs the command line.
NEVER_IN_QA = {"app", "gradio"}
NEVER_IN_PAGE = {"qa.cli", "qa.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def stage_of(module: str) -> str:
    """"qa.index.store" -> "index"; "qa.text" -> "foundation"; "qa.cli" -> "entry"."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    if head in FOUNDATION:
        return "foundation"
    if head in ENTRY:
        return "entry"
    if head in MAY_IMPORT.keys() - {"foundation", "entry"}:
        return head
    raise AssertionError(f"{module} is on no stage: put it in a stage package or name it in {__name__}")


def imported(tree: ast.AST, module: str, is_package: bool, names: bool = False) -> set[str]:
    """Every module named by an import anywhere in the file, function-level imports included; with
    ``names``, also ``pkg.name`` for every ``from pkg import name`` (the name may be a module)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package this file is in
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            if names or target == "qa" or (node.level and not node.module):  # `from qa import text`
                out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def qa_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def qa_imports(path: Path, names: bool = False) -> set[str]:
    module = module_name(path)
    return imported(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py", names)


def import_graph() -> dict[str, set[str]]:
    """Each module of qa -> the modules of qa it imports (a package's __init__ stands for the package)."""
    modules = {module_name(path): path for path in qa_files()}
    return {module: {t for t in qa_imports(path, names=True) if t in modules and t != module}
            for module, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan's strongly
    connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_only_go_down_the_stages():
    wrong = []
    for path in qa_files():
        module = module_name(path)
        stage = stage_of(module)
        for target in sorted(qa_imports(path)):
            if not target.startswith("qa."):
                continue
            other = stage_of(target)
            if other != stage and other not in MAY_IMPORT[stage]:
                wrong.append(f"{module} ({stage}) imports {target} ({other}); {stage} may import only "
                             f"{', '.join(sorted(MAY_IMPORT[stage])) or 'nothing outside it'}")
    assert not wrong, "\n".join(wrong)


def test_no_modules_import_each_other():
    """A circle works only while the import order happens to suit it; function-level imports count."""
    found = circles(import_graph())
    assert not found, "\n".join(" <-> ".join(group) for group in found)


def test_the_circle_check_sees_circles():
    """The check above finds a circle where there is one, and sees imports as they are."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    graph = import_graph()
    assert "qa.evaluate.runs" in graph["qa.evaluate.reports"]
    assert "qa.text.keys" in graph["qa.text.tokens"]  # `from qa.text.keys import normalize_key`
    assert "qa.evaluate.plots" in graph["qa.evaluate.reports"]  # a function-level import


def test_nothing_in_qa_imports_the_page_or_gradio():
    wrong = [f"{module_name(path)} imports {target}" for path in qa_files() for target in sorted(qa_imports(path))
             if target.split(".")[0] in NEVER_IN_QA]
    assert not wrong, "\n".join(wrong)


def test_the_page_does_not_need_the_command_line():
    found = imported(ast.parse((ROOT / "app.py").read_text(encoding="utf-8")), "app", False)
    assert not found & NEVER_IN_PAGE


def test_the_stage_map_is_checked():
    """The rules above see a real import of each kind (a walk that found nothing would pass anything)."""
    assert "qa.index" in qa_imports(PACKAGE / "retrieve" / "retrievers.py")
    assert "qa.index.embedders" in qa_imports(PACKAGE / "retrieve" / "retrievers.py")  # a function-level import
    assert stage_of("qa.read.reader") == "read" and stage_of("qa.encoder.model") == "encoder"
    assert "index" not in MAY_IMPORT["read"] and "retrieve" not in MAY_IMPORT["read"]
    assert "read" not in MAY_IMPORT["retrieve"]
    with pytest.raises(AssertionError, match="on no stage"):
        stage_of("qa.somewhere")
