"""The stack leaves no process behind: stop(), Ctrl-C, SIGTERM, even the orchestrator killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devstack.config import ROOT, FunctionSpec, StackConfig
from devstack.stack import Stack
from tests.support.wait import wait_for


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stop_leaves_no_process_and_no_group(tmp_path: Path) -> None:
    recorder = FunctionSpec(
        "recorder",
        "cloudevent",
        source=ROOT / "devstack" / "recorder.py",
        target="record_event",
        env={"RECORDER_FILE": str(tmp_path / "events.jsonl")},
    )
    config = StackConfig(functions=(recorder,), fakes=False, log_dir=tmp_path / "logs")
    before = _descendants(os.getpid())

    with Stack(config) as stack:
        started = _descendants(os.getpid()) - before
        groups = stack.pids()
        # router, auth, firestore, tasks, recorder (gunicorn master + worker)
        assert len(groups) == 5
        assert len(started) >= 4
        requests.get(f"{stack.router_url}/health", timeout=5).raise_for_status()

    assert not [p for p in started if _alive(p)]
    for group in groups:
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_stack_up_cleans_up_on_ctrl_c_sigterm_and_even_sigkill(
    tmp_path: Path, sig: signal.Signals
) -> None:
    env_file = tmp_path / "env"
    up = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack.stack",
            "up",
            "--functions",
            "",
            "--no-fakes",
            "--env-file",
            str(env_file),
            "--log-dir",
            str(tmp_path / "logs"),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            env_file.exists, timeout=150, message="stack up"
        )  # Node (Auth) is slow on a busy machine
        children = _descendants(up.pid)
        assert len(children) >= 2  # the emulators (plus their own children)
        env = dict(
            line.removeprefix("export ").split("=", 1)
            for line in env_file.read_text().splitlines()
            if line.startswith("export ")
        )
        assert "FIRESTORE_EMULATOR_HOST" in env
        assert "CLOUD_TASKS_EMULATOR_HOST" in env

        up.send_signal(sig)
        output, _ = up.communicate(timeout=30)

        if sig != signal.SIGKILL:
            assert up.returncode == 0, output.decode()
            assert b"stopping the stack" in output
        wait_for(
            lambda: not [p for p in children if _alive(p)], timeout=15, message="children gone"
        )
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
