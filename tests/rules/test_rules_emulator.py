"""Runs ``firestore.rules.test.mjs`` (``@firebase/rules-unit-testing``) against a real rules engine.

The engine is the local stack's own: Google's Cloud Firestore emulator
(``google-cloud-cli-firestore-emulator``), started here on a free port with
``devstack.firestore.start`` and stopped afterwards. ``RULES_EMULATOR_HOST=host:port`` reuses an
emulator that is already running instead. The node packages come from ``scripts/setup.sh``
(``npm ci --prefix tests/rules``); nothing here is skipped: a missing piece is a failure that
says what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from devstack.firestore.start import start_emulator
from devstack.process import Child, stop_children

# It starts a Java process: run with the integration tests, not with the fast unit suite.
pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
RULES_TESTS = HERE / "firestore.rules.test.mjs"


@contextlib.contextmanager
def _rules_emulator(tmp_path: Path) -> Iterator[str]:
    reuse = os.environ.get("RULES_EMULATOR_HOST")
    if reuse:
        yield reuse
        return
    children: list[Child] = []

    def spawn(name: str, argv: Sequence[str]) -> Child:
        child = Child(name, argv, env=dict(os.environ), log_path=tmp_path / f"{name}.log")
        children.append(child)
        child.start()
        return child

    try:
        _, host = start_emulator(spawn, children.remove, host="127.0.0.1")
        yield host
    finally:
        stop_children(children)


def test_rules_hold_against_the_firestore_emulator(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "the rules tests need Node.js 18+ on PATH"
    installed = HERE / "node_modules" / "@firebase" / "rules-unit-testing"
    assert installed.is_dir(), "rules test packages missing: run scripts/setup.sh"
    with _rules_emulator(tmp_path) as host:
        env = {**os.environ, "FIRESTORE_EMULATOR_HOST": host}
        result = subprocess.run(
            [node, "--test", "--test-concurrency=1", "--test-reporter=tap", str(RULES_TESTS)],
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    counts = {
        key: int(value)
        for key, value in (
            line[2:].split(" ", 1) for line in result.stdout.splitlines() if line.startswith("# ")
        )
        if key in {"pass", "fail", "skipped"} and value.strip().isdigit()
    }
    assert result.returncode == 0, f"rules tests failed:\n{result.stdout[-6000:]}{result.stderr}"
    assert counts.get("fail") == 0, counts
    assert counts.get("skipped") == 0, f"rules tests skipped against a live emulator: {counts}"
    assert counts.get("pass", 0) > 0, counts
