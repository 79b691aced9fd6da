"""Integration fixtures: real emulators, fake providers, function processes.

Nothing here starts unless a test asks for it. The full local stack (``stack``) starts once per
session; every fixture a test uses to touch it (``functions``, ``firestore_client``,
``tasks_client``, ``fakes``, ``stack_env``) first resets it (``clean_stack``): Firestore emptied
through the trigger router (no event of what it held reaches a function), the task queues
purged, the fakes' recordings cleared. Work already on the wire when a test ends (a task being
dispatched) can still land after the reset, so tests also use ids of their own (``unique_id``).

``recording_router`` is a second, small stack (Firestore + trigger router + a recording CloudEvent
target for every watched collection) to check exactly what reaches a function.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.config import ROOT, TRIGGERS, FunctionSpec, StackConfig
from devstack.fakes import FakeProvidersClient
from devstack.recorder import read_records
from devstack.stack import Stack

# gRPC's C core logs an INFO line for each channel an emulator closes at teardown.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

# A developer may point the tests at an emulator of their own (``firebase emulators:start``);
# FIRESTORE_EMULATOR_HOST itself is ignored so a shell that sourced .devstack/env never wipes
# the dev stack's data.
EXTERNAL_FIRESTORE = os.environ.get("DEVSTACK_TEST_FIRESTORE_EMULATOR_HOST") or None
# The queues retry with their deployed backoff, shortened twentyfold (10 s -> 0.5 s).
TASKS_BACKOFF_SCALE = 0.05


# -- the full stack --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Everything of ``make dev``, on free ports, logs under the session's tmp dir."""
    config = StackConfig(
        log_dir=tmp_path_factory.mktemp("stack-logs"),
        external_firestore=EXTERNAL_FIRESTORE,
        env_file=None,
        tasks_backoff_scale=TASKS_BACKOFF_SCALE,
    )
    with Stack(config) as running:
        yield running


@pytest.fixture
def clean_stack(stack: Stack) -> Stack:
    """The session stack, reset for this test."""
    stack.reset()
    return stack


@pytest.fixture
def functions(clean_stack: Stack) -> dict[str, str]:
    """Target name -> URL of its functions-framework process (``http://127.0.0.1:P/name``)."""
    return dict(clean_stack.urls)


@pytest.fixture
def firestore_client(clean_stack: Stack) -> Any:
    """A real Firestore client on the stack's (emptied) emulator."""
    return clean_stack.firestore_client()


@pytest.fixture
def tasks_client(clean_stack: Stack) -> Any:
    """A real ``CloudTasksClient`` on the Tasks emulator (queues created, purged)."""
    return clean_stack.tasks_client()


@pytest.fixture
def fakes(clean_stack: Stack) -> FakeProvidersClient:
    """The control client of the stack's fake providers: recordings and faults cleared,
    automatic status callbacks off, Meta webhook aimed at the stack's ``meta_webhook``.
    Their URLs are in ``stack.fakes`` (the ready line)."""
    client: FakeProvidersClient = clean_stack.fakes_client()
    return client


@pytest.fixture
def stack_env(clean_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The functions' environment, set in this process for the test: code driven in process
    (``functions_framework.create_app(...).test_client()``) talks to the same stack."""
    for key, value in clean_stack.env.items():
        monkeypatch.setenv(key, value)
    _clear_settings_cache()
    return dict(clean_stack.env)


@pytest.fixture(autouse=True)
def _fresh_settings_after_test() -> Iterator[None]:
    yield
    _clear_settings_cache()


def _clear_settings_cache() -> None:
    with contextlib.suppress(ImportError, AttributeError):
        from shared.platform.settings import get_settings  # noqa: PLC0415

        get_settings.cache_clear()


@pytest.fixture
def unique_id() -> str:
    """A short id no other test uses (for document ids, phone suffixes, ...)."""
    return uuid.uuid4().hex[:12]


# -- the recording router -------------------------------------------------------------------------
@dataclass
class RecordingRouter:
    """Firestore + router whose every watched collection goes to a recording target."""

    stack: Stack
    record_file: Path
    client: Any

    def records(self) -> list[dict[str, Any]]:
        """What the target received, decoded by ``functions.boundary.cloudevents``, in order."""
        return read_records(self.record_file)

    def wait_idle(self, timeout: float = 30.0) -> None:
        assert self.stack.flush_triggers(timeout), self.stack.trigger_stats()

    def fail_first(self, attempts: int) -> None:
        """Answer 500 to the first ``attempts`` deliveries of each event from now on."""
        Path(f"{self.record_file}.fail").write_text(str(attempts))

    def reset(self) -> None:
        self.stack.reset()
        self.fail_first(0)
        self.record_file.write_text("")

    @property
    def url(self) -> str:
        return self.stack.urls["recorder"]


@pytest.fixture(scope="session")
def _recording_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingRouter]:
    base = tmp_path_factory.mktemp("recording-router")
    record_file = base / "events.jsonl"
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
        external_firestore=EXTERNAL_FIRESTORE,
        log_dir=base / "logs",
    )
    with Stack(config) as running:
        yield RecordingRouter(
            stack=running, record_file=record_file, client=running.firestore_client()
        )


@pytest.fixture
def recording_router(_recording_stack: RecordingRouter) -> RecordingRouter:
    """The recording stack, emptied for this test."""
    _recording_stack.reset()
    return _recording_stack
