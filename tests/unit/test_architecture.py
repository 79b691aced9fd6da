"""The house's rules that a linter cannot see: who names collections, and no import cycles.

The layers themselves (functions -> flows -> adapters | store -> rules -> model -> platform)
are checked by import-linter (``[tool.importlinter]`` in pyproject.toml, run by ``make test``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("shared", "functions")


def _modules() -> dict[str, Path]:
    found = {}
    for base in CODE:
        for path in (ROOT / base).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_only_the_store_names_a_collection() -> None:
    offenders = []
    for name, path in _modules().items():
        if name.startswith("shared.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"collection", "collection_group", "document"}
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"Firestore paths are the store's to name: {offenders}"


def test_no_import_cycle_between_modules() -> None:
    """Not even through an import made inside a function: a cycle there is a layering knot
    waiting for a refactor to make it an import-time crash."""
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for imported in _imports(path):
            inside = imported == name or name.startswith(imported + ".")
            if imported in modules and not inside and modules[imported].name != "__init__.py":
                edges[name].add(imported)

    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == [], f"import cycles: {cycles}"
