"""With FIRESTORE_EMULATOR_HOST set by the developer, the Python bridge listens instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.recorder import read_records
from devstack.stack import ROOT, TRIGGERS, FunctionSpec, Stack, StackConfig
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def users_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Stands in for `firebase emulators:start`: an emulator whose own bridge sends nowhere."""
    config = StackConfig(
        functions=(), triggers={}, tasks=False, fakes=False, log_dir=tmp_path_factory.mktemp("ext")
    )
    with Stack(config) as stack:
        yield stack


def test_python_bridge_sends_create_update_delete_with_old_values(
    users_emulator: Stack, tmp_path: Path
) -> None:
    record_file = tmp_path / "events.jsonl"
    recorder = FunctionSpec(
        "recorder",
        "cloudevent",
        source=ROOT / "devstack" / "recorder.py",
        target="record_event",
        env={"RECORDER_FILE": str(record_file)},
    )
    config = StackConfig(
        functions=(recorder,),
        triggers=dict.fromkeys(TRIGGERS, "recorder"),
        tasks=False,
        fakes=False,
        external_firestore=users_emulator.firestore_host,
        log_dir=tmp_path / "logs",
    )
    with Stack(config) as stack:
        assert stack.firestore_host == users_emulator.firestore_host
        ref = stack.firestore_client().collection("tickets").document("PY-1")
        ref.set({"status": "received", "device": "Galaxy S21"})
        wait_for(lambda: len(read_records(record_file)) >= 1, timeout=15, message="create")
        ref.update({"status": "completed"})
        wait_for(lambda: len(read_records(record_file)) >= 2, timeout=15, message="update")
        ref.delete()
        records = wait_for(
            lambda: (r := read_records(record_file))[2:] and r, timeout=15, message="delete"
        )

    created, updated, deleted = records
    assert created["before"] is None
    assert created["after"] == {"status": "received", "device": "Galaxy S21"}
    assert updated["before"]["status"] == "received"
    assert updated["after"]["status"] == "completed"
    assert updated["update_mask"] == ["status"]
    assert deleted["before"]["status"] == "completed"
    assert deleted["after"] is None
    assert created["attributes"]["subject"] == "documents/tickets/PY-1"
