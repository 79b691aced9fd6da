"""`make demo` runs its scenarios, prints the tables, exits 0 and leaves no process behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from devstack.config import ROOT


def _live_descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_demo_prints_what_customers_received_and_exits_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FIRESTORE_EMULATOR_HOST"}
    env["DEVSTACK_LOG_DIR"] = str(tmp_path / "logs")
    demo = subprocess.Popen(
        [sys.executable, "-m", "devstack.demo"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    while demo.poll() is None and time.monotonic() < deadline:
        seen |= _live_descendants(demo.pid)
        time.sleep(0.5)
    if demo.poll() is None:
        demo.kill()
    output = demo.communicate()[0].decode(errors="replace")

    assert demo.returncode == 0, output[-3000:]
    assert "What customers received" in output
    assert "notification_history" in output
    assert "Demo finished" in output
    assert len(seen) >= 10  # emulators, fakes and the function processes really ran
    assert not seen & _all_live(), "processes of the demo's stack outlived it"


def _all_live() -> set[int]:
    live = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                live.add(int(entry.name))
    return live
