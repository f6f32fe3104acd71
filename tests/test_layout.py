"""The house: every import of the installed package, at module level and inside functions.

No module may import one that (directly or through others) imports it back, and only a backend's
own subpackage may import its spreadsheet library. Read from the source of the installed package,
so the test sees the layout users get from `pip install .`.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "plansync"
# Third-party libraries that belong to one backend, by the subpackage allowed to import them.
BACKEND_LIBRARIES = {
    f"{PACKAGE}.excel": ("python_calamine", "openpyxl"),
    f"{PACKAGE}.google": ("gspread", "google"),
}


def _modules() -> dict[str, Path]:
    """Every module of the installed package by dotted name. Found from the package's folders and
    from what its modules import (an editable install maps subpackages that no folder holds)."""
    found: dict[str, Path] = {}
    queue = [PACKAGE]
    while queue:
        name = queue.pop()
        if name in found:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            continue
        if spec is None or spec.origin is None:
            continue  # a name imported from a module, not a module
        found[name] = Path(spec.origin)
        for folder in spec.submodule_search_locations or ():
            for path in sorted(Path(folder).iterdir()):
                if path.suffix == ".py" and path.stem != "__init__":
                    queue.append(f"{name}.{path.stem}")
                elif (path / "__init__.py").exists():
                    queue.append(f"{name}.{path.name}")
        queue += [
            target
            for target in _imported_names(name, found[name])
            if target.startswith(PACKAGE + ".")
        ]
    return found


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every module name `module` imports anywhere in its source, relative imports resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield origin
            # `from . import svg` imports a module, not a name.
            yield from (f"{origin}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for target in _imported_names(name, path) if target in modules} - {name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_finds_every_module_and_import() -> None:
    graph = _graph()
    assert {f"{PACKAGE}.cli", f"{PACKAGE}.nightly", f"{PACKAGE}.reports.rollup"} <= set(graph)
    # An import inside a function counts as much as one at the top.
    assert f"{PACKAGE}.nightly" in graph[f"{PACKAGE}.cli"]


def test_no_module_imports_itself_back() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(_modules()))
def test_backend_libraries_stay_in_their_backend(module: str) -> None:
    path = _modules()[module]
    imported = {name.split(".")[0] for name in _imported_names(module, path)}
    for home, libraries in BACKEND_LIBRARIES.items():
        if module == home or module.startswith(home + "."):
            continue
        assert not imported & set(libraries), f"{module} imports {imported & set(libraries)}"
