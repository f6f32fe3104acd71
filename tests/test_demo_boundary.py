"""The demo sits beside the engine: it uses the engine as any caller would, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import plansync
import plansync.reports


def _imported(path: Path, package: str) -> set[str]:
    """Every module name `path` imports, relative imports resolved against `package`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _modules(root: Path, package: str) -> list[tuple[Path, str]]:
    """Every .py file under `root` (subpackages too) with the package it belongs to."""
    return [
        (path, ".".join([package, *path.relative_to(root).parent.parts]))
        for path in sorted(root.rglob("*.py"))
    ]


def test_no_engine_module_imports_the_demo():
    engine = _modules(Path(plansync.__file__).parent, "plansync")
    engine += _modules(Path(plansync.reports.__file__).parent, "plansync.reports")
    offenders = [
        str(path)
        for path, package in engine
        if package != "plansync.demo"
        and not package.startswith("plansync.demo.")
        and path.name != "cli.py"
        and any(
            name == "plansync.demo" or name.startswith("plansync.demo.")
            for name in _imported(path, package)
        )
    ]
    assert len(engine) > 20 and offenders == []
