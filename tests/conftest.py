"""Test-wide setup. Unit tests need nothing from here but the markers and paths.

Everything that starts processes lives in ``tests/integration/conftest.py`` and starts only when a
test asks for it; tests under ``tests/integration/`` are marked ``integration`` automatically, so
``pytest -m "not integration"`` runs the pure, fast suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = ROOT / "tests" / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
