"""With FIRESTORE_EMULATOR_HOST set by the developer, the stack uses that emulator instead.

Its writes reach the functions through the stack's router when that emulator was started with
``--functions_emulator`` naming the router's port (``DEVSTACK_ROUTER_PORT`` fixes it): here a
Cloud Firestore emulator started beforehand stands in for the developer's own.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

from devstack.config import ROOT, TRIGGERS, FunctionSpec, StackConfig
from devstack.firestore.start import start_emulator
from devstack.process import Child, port_is_free, stop_children
from devstack.recorder import read_records
from devstack.stack import Stack
from tests.support.wait import wait_for


def _fixed_port() -> int:
    """A free port below the kernel's ephemeral range, as a developer's DEVSTACK_ROUTER_PORT
    is: the emulator started in between binds its own ports with port 0 (the kernel's pick,
    from that range), so it cannot take this one before the router binds it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(low // 2, low), 200):
        if port_is_free("127.0.0.1", port):
            return port
    raise RuntimeError(f"no free port below {low}")


def test_a_developers_own_emulator_triggers_the_functions_through_the_router(
    tmp_path: Path,
) -> None:
    router_port = _fixed_port()
    children: list[Child] = []

    def spawn(name: str, argv: Sequence[str]) -> Child:
        child = Child(name, argv, env=dict(os.environ), log_path=tmp_path / f"own-{name}.log")
        children.append(child)
        child.start()
        return child

    record_file = tmp_path / "events.jsonl"
    recorder = FunctionSpec(
        "recorder",
        "cloudevent",
        source=ROOT / "devstack" / "recorder.py",
        target="record_event",
        env={"RECORDER_FILE": str(record_file)},
    )
    try:
        _, own = start_emulator(
            spawn, children.remove, host="127.0.0.1", functions_emulator=f"127.0.0.1:{router_port}"
        )
        config = StackConfig(
            functions=(recorder,),
            triggers=dict.fromkeys(TRIGGERS, "recorder"),
            tasks=False,
            fakes=False,
            external_firestore=own,
            router_port=router_port,
            log_dir=tmp_path / "logs",
        )
        with Stack(config) as stack:
            assert stack.firestore_host == own
            assert not any(c.name == "firestore" for c in stack.children)  # none of its own
            ref = stack.firestore_client().collection("tickets").document("EXT-1")
            ref.set({"status": "received", "device": "Galaxy S21"})
            ref.update({"status": "completed"})
            ref.delete()
            assert stack.flush_triggers(15)
            records = wait_for(
                lambda: (r := read_records(record_file))[2:] and r, timeout=15, message="3 events"
            )
    finally:
        stop_children(children)

    created, updated, deleted = records
    assert created["before"] is None
    assert created["after"] == {"status": "received", "device": "Galaxy S21"}
    assert updated["before"]["status"] == "received"
    assert updated["after"]["status"] == "completed"
    assert updated["update_mask"] == ["status"]
    assert deleted["before"]["status"] == "completed"
    assert deleted["after"] is None
    assert created["attributes"]["subject"] == "documents/tickets/EXT-1"
