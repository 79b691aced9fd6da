"""Runs ``firestore.rules.test.mjs`` (``@firebase/rules-unit-testing``) against a real rules engine.

The engine is the Cloud Firestore emulator shipped with the Google Cloud CLI
(``google-cloud-cli-firestore-emulator``, a Java program): the project's local stack uses a
lighter emulator that does not evaluate rules. This test starts one on a free port, runs the
node tests against it, and stops it. It skips, saying why, when something is missing:

- the emulator (``RULES_EMULATOR_BIN`` or ``<gcloud sdk>/platform/cloud-firestore-emulator``),
  or Java to run it;
- node, or the test packages (``npm ci --prefix tests/rules``: not part of the default setup).

``RULES_EMULATOR_HOST=host:port`` reuses an emulator that is already running instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# It starts a Java process: run with the integration tests, not with the fast unit suite.
pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
RULES_TESTS = HERE / "firestore.rules.test.mjs"
EMULATOR_SUBPATH = Path("platform/cloud-firestore-emulator/cloud_firestore_emulator")


def _emulator_binary() -> Path | None:
    explicit = os.environ.get("RULES_EMULATOR_BIN")
    if explicit:
        return Path(explicit) if Path(explicit).exists() else None
    gcloud = shutil.which("gcloud")
    if not gcloud:
        return None
    sdk_root = Path(gcloud).resolve().parent.parent
    candidate = sdk_root / EMULATOR_SUBPATH
    return candidate if candidate.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(host: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Firestore emulator exited with code {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://{host}/", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"the Firestore emulator did not answer on {host} within {timeout:.0f}s")


@contextlib.contextmanager
def _rules_emulator(tmp_path: Path) -> Iterator[str]:
    reuse = os.environ.get("RULES_EMULATOR_HOST")
    if reuse:
        yield reuse
        return
    binary = _emulator_binary()
    if binary is None:
        pytest.skip(
            "no Cloud Firestore emulator (install google-cloud-cli-firestore-emulator or set "
            "RULES_EMULATOR_BIN): firestore.rules checked by the parser test only"
        )
    if shutil.which("java") is None:
        pytest.skip("no java on PATH to run the Cloud Firestore emulator")
    host = f"127.0.0.1:{_free_port()}"
    log = (tmp_path / "firestore-emulator.log").open("wb")
    env = {**os.environ, "JAVA_TOOL_OPTIONS": "-Xmx512m"}
    process = subprocess.Popen(
        [str(binary), "--host=127.0.0.1", f"--port={host.split(':')[1]}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole below
    )
    try:
        _wait_until_up(host, process, timeout=90)
        yield host
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        log.close()


def test_rules_hold_against_the_firestore_emulator(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on PATH for the rules tests")
    if not (HERE / "node_modules" / "@firebase" / "rules-unit-testing").is_dir():
        pytest.skip("rules test packages not installed: run `npm ci --prefix tests/rules`")
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
