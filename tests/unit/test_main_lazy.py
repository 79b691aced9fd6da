"""main.py exports every target but a cold start imports only its own (main.py's docstring).

What an instance imports is checked in a fresh interpreter, the way functions-framework starts
one: ``import main`` then ``getattr(main, TARGET)``, and ``create_app(TARGET, source="main.py")``
itself.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import main
from functions import registry

ROOT = Path(__file__).resolve().parents[2]
TARGET_MODULES = {t.module for t in registry.TARGETS}


def _fresh(code: str) -> Any:
    """Run ``code`` in a new interpreter at the repository root; its last line is JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


LOADED = "json.dumps(sorted(m for m in sys.modules if m.startswith(('functions', 'flask'))))"


def test_importing_main_imports_no_target_and_no_framework() -> None:
    loaded = set(_fresh(f"import json, sys, main; print({LOADED})"))

    assert loaded == {"functions", "functions.registry"}


def test_asking_for_twilio_status_imports_twilio_status_only() -> None:
    loaded = set(_fresh(f"import json, sys, main; main.twilio_status; print({LOADED})"))

    assert "functions.twilio_status" in loaded
    assert "functions.on_ticket_written" not in loaded
    assert loaded & TARGET_MODULES == {"functions.twilio_status"}


@pytest.mark.parametrize(
    ("target", "signature", "request_line", "status"),
    [
        # Unsigned: refused whether or not a Twilio token is configured (CONTRACT.md).
        ("twilio_status", "http", "client.post('/', data={'MessageSid': 'SM1'})", 403),
        ("on_ticket_written", "cloudevent", "client.post('/', json={})", 400),
    ],
)
def test_functions_framework_loads_one_target_from_main(
    target: str, signature: str, request_line: str, status: int
) -> None:
    found = _fresh(
        "import json, sys, functions_framework\n"
        f"app = functions_framework.create_app({target!r}, source='main.py')\n"
        "client = app.test_client()\n"
        f"answer = {request_line}\n"
        "print(json.dumps({'status': answer.status_code, 'modules': "
        "sorted(m for m in sys.modules if m.startswith('functions.')), 'signature': "
        f"functions_framework._function_registry.get_func_signature_type({target!r}, None)}}))"
    )

    assert set(found["modules"]) & TARGET_MODULES == {f"functions.{target}"}
    assert found["signature"] == signature  # what its decorator registered
    assert found["status"] == status


def test_every_exported_name_is_a_callable_of_its_own_module() -> None:
    assert main.__all__ == list(registry.NAMES)
    assert set(main.__all__) <= set(dir(main))
    for name in main.__all__:
        function = getattr(main, name)
        assert callable(function), name
        assert function.__module__ == f"functions.{name}"
        assert function.__name__ == name


def test_from_main_import_works_and_unknown_names_are_attribute_errors() -> None:
    from main import on_ticket_written  # noqa: PLC0415 - the import is what is tested

    assert on_ticket_written is main.on_ticket_written
    with pytest.raises(AttributeError, match="on_everything"):
        _ = main.on_everything


def test_the_names_type_checkers_see_are_the_registry() -> None:
    # main.py imports every target under TYPE_CHECKING, so static readers see the exports.
    tree = ast.parse((Path(__file__).resolve().parents[2] / "main.py").read_text())
    guarded = [
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    ]
    names = {
        a.name
        for block in guarded
        for n in block.body
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    }
    assert names == set(registry.NAMES)
