"""The one list of targets (functions/registry.py) and everything that must agree with it.

main.py's exports, the modules in ``functions/`` and the target table of CONTRACT.md (with the
targets this project adds, listed in docs/data-model.md); the lists
the stack and the deploy derive from it are checked in test_stack_config.py and
test_deploy_plan.py. The contract also lists targets not built yet: exactly those in ``NOT_YET``
may be missing from the registry (remove a name from it when its target lands).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import main
from functions import registry

ROOT = Path(__file__).resolve().parents[2]
# Where the team keeps the contract: beside the repository (its own copy wins if it has one).
CONTRACT_PLACES = (ROOT / "CONTRACT.md", ROOT.parent / "shared" / "CONTRACT.md")
# The targets the project adds to the contract's table, in a table of the same shape.
ADDITIONS = ROOT / "docs" / "data-model.md"
NOT_YET: set[str] = set()
DECORATOR = {registry.HTTP: "http", registry.CLOUDEVENT: "cloud_event"}
PATTERN = re.compile(r"`(\w+/\{\w+\})`")


def _target_table(path: Path) -> dict[str, tuple[str, str]]:
    """The "Function targets" table of a markdown file: name -> (kind, trigger column)."""
    section = path.read_text(encoding="utf-8").split("## Function targets", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    assert rows, f"{path} has no target table"
    return rows


def _contract_targets() -> dict[str, tuple[str, str]]:
    """CONTRACT.md's targets and the project's additions: name -> (kind, trigger column)."""
    path = next((p for p in CONTRACT_PLACES if p.is_file()), None)
    if path is None:
        pytest.skip(f"no CONTRACT.md at {[str(p) for p in CONTRACT_PLACES]}")
    contract, additions = _target_table(path), _target_table(ADDITIONS)
    assert set(contract).isdisjoint(additions), "a target the contract lists is still an addition"
    return contract | additions


def test_the_contract_lists_every_target_and_only_the_known_ones_are_not_built_yet() -> None:
    contract = set(_contract_targets())
    names = set(registry.NAMES)

    assert names - contract == set(), "targets missing from CONTRACT.md and docs/data-model.md"
    assert contract - names == NOT_YET, "CONTRACT.md targets not in the registry (or NOT_YET stale)"


def test_each_target_has_the_kind_and_trigger_the_contract_says() -> None:
    contract = _contract_targets()
    for target in registry.TARGETS:
        kind, trigger = contract[target.name]
        expected = registry.CLOUDEVENT if kind.startswith("CloudEvent") else registry.HTTP
        assert target.signature == expected, target.name
        if target.trigger is None:
            assert "Firestore" not in trigger, target.name
        else:
            assert PATTERN.findall(trigger) == [target.trigger.document], target.name
            assert target.trigger.event_type.endswith("document.v1.written")


def test_main_exports_exactly_the_registry() -> None:
    assert main.__all__ == list(registry.NAMES)
    assert set(registry.NAMES) <= set(dir(main))


def test_the_modules_in_functions_are_the_targets_each_defining_its_decorated_function() -> None:
    on_disk = {p.stem for p in (ROOT / "functions").glob("*.py")} - {"__init__", "registry"}
    assert on_disk == set(registry.NAMES)
    for target in registry.TARGETS:
        tree = ast.parse((ROOT / "functions" / f"{target.name}.py").read_text())
        defined = {
            node.name: [ast.unparse(d) for d in node.decorator_list]
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
        }
        decorators = defined.get(target.name)
        assert decorators == [f"functions_framework.{DECORATOR[target.signature]}"], target.name


def test_the_registry_imports_the_standard_library_only() -> None:
    tree = ast.parse((ROOT / "functions" / "registry.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
    assert outside == set(), "main.py imports the registry on every cold start"


def test_a_trigger_is_a_cloudevent_target_with_a_document_and_nothing_else_is() -> None:
    with pytest.raises(ValueError, match="trigger"):
        registry.Target("on_x_written", registry.CLOUDEVENT, registry.TRIGGER)
    with pytest.raises(ValueError, match="trigger"):
        registry.Target("x", registry.HTTP, registry.WEBHOOK, trigger=registry.Trigger("x/{id}"))
    with pytest.raises(KeyError, match="known"):
        registry.target("on_everything")
