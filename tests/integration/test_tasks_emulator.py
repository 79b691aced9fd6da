"""The local Tasks emulator dispatches as Cloud Tasks does: concurrently, in schedule-time order,
with the queue's backoff and limits, Cloud Tasks' headers and its task-name rules.

The emulator is started here directly (``tasks_argv`` on a free port, queues made by
``ensure_queues`` with a 0.05 backoff scale), against a local receiver that records each attempt.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

from devstack.tasks.queues import ensure_queues, queue_path, tasks_argv
from shared.platform.queues import QUEUES, QueueConfig
from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
TASKS_PYTHON = ROOT / ".venv-tasks" / "bin" / "python"
PROJECT, LOCATION = "demo-tasks", "europe-west1"
SCALE = 0.05  # a 10 s backoff becomes 0.5 s


def _config(name: str, **overrides: Any) -> QueueConfig:
    values: dict[str, Any] = {
        "max_attempts": 3,
        "min_backoff_seconds": 10,
        "max_backoff_seconds": 10,
        "max_doublings": 0,
        "max_dispatches_per_second": 100,
        "max_concurrent_dispatches": 10,
    }
    return QueueConfig(name=name, **{**values, **overrides})


NARROW = _config("narrow", max_concurrent_dispatches=3)
SERIAL = _config("serial", max_concurrent_dispatches=1)
# 4 attempts; waits 10 s, doubled once to 20 s, then capped at 25 s: scaled 0.5, 1.0, 1.25 s.
FLAKY = _config("flaky", max_attempts=4, max_backoff_seconds=25, max_doublings=1)
PATIENT = _config("patient", min_backoff_seconds=100, max_backoff_seconds=100)  # 5 s
TEST_QUEUES = (*QUEUES, NARROW, SERIAL, FLAKY, PATIENT)


def path(config: QueueConfig) -> str:
    return queue_path(PROJECT, LOCATION, config.name)


NOTIFICATIONS = path(QUEUES[0])


class Emulator:
    """One emulator process on a free port, with a client on it."""

    def __init__(self, log_path: Path, deadline: float | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DEVSTACK_TASKS_DISPATCH_DEADLINE"}
        if deadline is not None:
            env["DEVSTACK_TASKS_DISPATCH_DEADLINE"] = str(deadline)
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            tasks_argv(str(TASKS_PYTHON), 0),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.proc.stdout is not None
        readable, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if readable else b""
        if not line:
            self.stop()
            pytest.fail(f"the emulator printed no ready line; see {log_path}")
        ready = json.loads(line)
        assert ready["event"] == "ready"
        self.host = str(ready["host"])
        self._channel = grpc.insecure_channel(self.host)
        transport = CloudTasksGrpcTransport(channel=self._channel)
        self.client = tasks_v2.CloudTasksClient(transport=transport)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (``/proc/PID/stat``)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wakeups(self) -> int:
        """Context switches of all its threads so far: how often the process woke up."""
        total = 0
        for thread in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                for line in (thread / "status").read_text().splitlines():
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
        return total

    def stop(self) -> float:
        """SIGTERM, and how long the process took to exit."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elapsed = time.monotonic() - started
        if hasattr(self, "_channel"):
            self._channel.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
        return elapsed


@dataclass
class Call:
    """One attempt as the receiver saw it."""

    id: str
    headers: dict[str, str]
    body: bytes
    at: float
    done_at: float = 0.0
    status: int = 0


@dataclass
class Receiver:
    """A local HTTP target; ``plan`` says how to answer each attempt of a notification id
    (status, seconds to wait first), 200 at once when nothing (more) is planned."""

    calls: list[Call] = field(default_factory=list)
    plans: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    inflight: int = 0
    max_inflight: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                call = Call(json.loads(body)["notificationId"], headers, body, time.time())
                with receiver.lock:
                    receiver.calls.append(call)
                    receiver.inflight += 1
                    receiver.max_inflight = max(receiver.max_inflight, receiver.inflight)
                    steps = receiver.plans.get(call.id) or []
                    status, delay = steps.pop(0) if steps else (200, 0.0)
                time.sleep(delay)
                with receiver.lock:
                    receiver.inflight -= 1
                    call.done_at, call.status = time.time(), status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the emulator gave up waiting (dispatch deadline)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/deliver_notification"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def of(self, notification_id: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.id == notification_id]

    def done(self, notification_id: str, count: int = 1) -> list[Call]:
        """The calls for the id once ``count`` of them are answered, else []."""
        calls = self.of(notification_id)
        return calls if len([c for c in calls if c.done_at]) >= count else []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = Emulator(tmp_path_factory.mktemp("tasks") / "emulator.log")
    try:
        ensure_queues(running.client, PROJECT, LOCATION, TEST_QUEUES, backoff_scale=SCALE)
        yield running
    finally:
        running.stop()


@pytest.fixture
def receiver(emulator: Emulator) -> Iterator[Receiver]:
    for config in TEST_QUEUES:
        emulator.client.resume_queue(name=path(config))
        emulator.client.purge_queue(name=path(config))
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def task(
    url: str,
    notification_id: str,
    *,
    queue: str = NOTIFICATIONS,
    schedule: datetime | None = None,
    named: bool = True,
) -> tasks_v2.Task:
    result = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"notificationId": notification_id}).encode(),
        )
    )
    if named:
        result.name = f"{queue}/tasks/{notification_id}"
    if schedule is not None:
        result.schedule_time = schedule
    return result


def test_ensure_queues_gives_each_queue_its_rate_limits_and_retry_configuration(
    emulator: Emulator,
) -> None:
    client = emulator.client
    queue = client.get_queue(name=NOTIFICATIONS)
    listed = client.list_queues(parent=f"projects/{PROJECT}/locations/{LOCATION}")

    assert sorted(q.name for q in listed) == sorted(path(c) for c in TEST_QUEUES)
    assert queue.rate_limits.max_dispatches_per_second == 20
    assert queue.rate_limits.max_concurrent_dispatches == 50
    assert queue.retry_config.max_attempts == 8
    assert queue.retry_config.min_backoff == timedelta(seconds=0.5)
    assert queue.retry_config.max_backoff == timedelta(seconds=30)
    assert queue.retry_config.max_doublings == 5

    changed = tasks_v2.Queue(name=path(NARROW), rate_limits={"max_concurrent_dispatches": 7})
    mask = {"paths": ["rate_limits.max_concurrent_dispatches"]}
    client.update_queue(queue=changed, update_mask=mask)
    assert client.get_queue(name=path(NARROW)).rate_limits.max_concurrent_dispatches == 7
    ensure_queues(client, PROJECT, LOCATION, TEST_QUEUES, backoff_scale=SCALE)
    assert client.get_queue(name=path(NARROW)).rate_limits.max_concurrent_dispatches == 3


def test_a_slow_target_does_not_delay_the_tasks_behind_it(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.plans["slow"] = [(200, 3.0)]
    emulator.client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "slow"))
    for n in range(10):
        emulator.client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, f"fast-{n}"))

    (slow,) = wait_for(lambda: receiver.done("slow"), timeout=10, message="slow task answered")
    fast = [c for c in receiver.calls if c.id.startswith("fast-")]

    assert len(fast) == 10
    assert max(c.done_at for c in fast) < slow.done_at - 2


def test_attempts_in_flight_never_exceed_max_concurrent_dispatches(
    emulator: Emulator, receiver: Receiver
) -> None:
    for n in range(12):
        receiver.plans[f"busy-{n}"] = [(200, 0.3)]
        emulator.client.create_task(
            parent=path(NARROW), task=task(receiver.url, f"busy-{n}", queue=path(NARROW))
        )

    wait_for(lambda: len([c for c in receiver.calls if c.done_at]) == 12, timeout=15)

    assert receiver.max_inflight == NARROW.max_concurrent_dispatches  # concurrent, never more


def test_a_paused_queue_holds_its_tasks_then_sends_them_in_schedule_time_order(
    emulator: Emulator, receiver: Receiver
) -> None:
    queue = path(SERIAL)
    now = datetime.now(UTC)
    schedule = {
        "c": now - timedelta(seconds=30),
        "a": now - timedelta(seconds=50),
        "b-1": now - timedelta(seconds=40),
        "b-2": now - timedelta(seconds=40),  # same time as b-1, created after it
        "d": now - timedelta(seconds=10),
        "f": now + timedelta(seconds=1.5),
        "e": None,  # now, when created
    }
    emulator.client.pause_queue(name=queue)
    for notification_id, at in schedule.items():
        emulator.client.create_task(
            parent=queue, task=task(receiver.url, notification_id, queue=queue, schedule=at)
        )
    time.sleep(0.5)
    assert receiver.calls == []

    emulator.client.resume_queue(name=queue)
    calls = wait_for(lambda: receiver.done("f") and receiver.calls, timeout=10, message="all sent")

    assert [c.id for c in calls] == ["a", "b-1", "b-2", "c", "d", "e", "f"]
    assert calls[-1].at >= (now + timedelta(seconds=1.5)).timestamp()


def test_a_failing_target_is_retried_with_the_queue_backoff_then_given_up(
    emulator: Emulator, receiver: Receiver
) -> None:
    queue = path(FLAKY)
    receiver.plans["down"] = [(503, 0.0)] * 10
    emulator.client.create_task(parent=queue, task=task(receiver.url, "down", queue=queue))

    calls = wait_for(lambda: receiver.done("down", 4), timeout=10, message="four attempts")
    gaps = [later.at - earlier.done_at for earlier, later in itertools.pairwise(calls)]
    time.sleep(1.6)  # longer than any backoff of the queue: a fifth attempt would be here

    assert gaps == pytest.approx([0.5, 1.0, 1.25], abs=0.25)
    assert all(gap >= wait - 0.02 for gap, wait in zip(gaps, [0.5, 1.0, 1.25], strict=True))
    assert len(receiver.of("down")) == FLAKY.max_attempts
    with pytest.raises(exceptions.NotFound):
        emulator.client.get_task(name=f"{queue}/tasks/down")


def test_each_attempt_carries_the_headers_cloud_tasks_sends(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.plans["flaky"] = [(404, 0.0), (503, 0.0)]
    created = emulator.client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "flaky"))

    calls = wait_for(lambda: receiver.done("flaky", 3), timeout=10, message="three attempts")
    first, second, third = (c.headers for c in calls)

    assert json.loads(calls[0].body) == {"notificationId": "flaky"}
    assert first["content-type"] == "application/json"
    assert first["user-agent"] == "Google-Cloud-Tasks"
    assert first["x-cloudtasks-queuename"] == "notifications"
    assert first["x-cloudtasks-taskname"] == "flaky"
    assert float(first["x-cloudtasks-tasketa"]) == pytest.approx(
        created.schedule_time.timestamp(), abs=0.001
    )
    assert "x-cloudtasks-taskpreviousresponse" not in first
    assert [h["x-cloudtasks-taskretrycount"] for h in (first, second, third)] == ["0", "1", "2"]
    # the 404 was an answer from the handler, the 503 is not counted (as documented)
    assert [h["x-cloudtasks-taskexecutioncount"] for h in (first, second, third)] == ["0", "1", "1"]
    assert second["x-cloudtasks-taskpreviousresponse"] == "404"
    assert third["x-cloudtasks-taskpreviousresponse"] == "503"
    assert "x-cloudtasks-taskretryreason" in second
    assert float(second["x-cloudtasks-tasketa"]) > float(first["x-cloudtasks-tasketa"])


def test_a_task_name_is_refused_while_it_waits_and_after_it_ran_or_was_deleted(
    emulator: Emulator, receiver: Receiver
) -> None:
    client = emulator.client
    later = datetime.now(UTC) + timedelta(hours=1)
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "waits", schedule=later))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "runs"))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "deleted", schedule=later))
    client.delete_task(name=f"{NOTIFICATIONS}/tasks/deleted")
    wait_for(lambda: receiver.done("runs"), timeout=10, message="dispatched")
    wait_for(lambda: len(client.list_tasks(parent=NOTIFICATIONS).tasks) == 1, timeout=5)

    for notification_id in ("waits", "runs", "deleted"):
        with pytest.raises(exceptions.AlreadyExists):
            client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, notification_id))
    unnamed = client.create_task(
        parent=NOTIFICATIONS, task=task(receiver.url, "anonymous", named=False)
    )
    assert unnamed.name.startswith(f"{NOTIFICATIONS}/tasks/")
    assert len(receiver.of("runs")) == 1


def test_purge_drops_waiting_tasks_and_names_while_attempts_on_the_wire_finish_unretried(
    emulator: Emulator, receiver: Receiver
) -> None:
    client = emulator.client
    later = datetime.now(UTC) + timedelta(hours=1)
    receiver.plans["on-the-wire"] = [(503, 1.0)]
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "held", schedule=later))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "ran"))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "on-the-wire"))
    wait_for(lambda: receiver.done("ran") and receiver.of("on-the-wire"), timeout=5)

    client.purge_queue(name=NOTIFICATIONS)
    assert list(client.list_tasks(parent=NOTIFICATIONS)) == []
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "held", schedule=later))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "ran"))

    wait_for(lambda: receiver.done("ran", 2), timeout=5, message="dispatched after the purge")
    wait_for(lambda: receiver.done("on-the-wire"), timeout=5, message="attempt answered")
    time.sleep(1.0)  # twice the queue's first backoff
    assert len(receiver.of("on-the-wire")) == 1
    assert [t.name for t in client.list_tasks(parent=NOTIFICATIONS)] == [
        f"{NOTIFICATIONS}/tasks/held"
    ]


def test_tasks_an_hour_ahead_wait_without_the_emulator_spinning(
    emulator: Emulator, receiver: Receiver
) -> None:
    """20 more queues each hold a task too: a dispatcher polling every 0.1 s would wake the
    process ~400 times in 2 s; waiting on the next due time, only gRPC's own threads stir."""
    client = emulator.client
    at = datetime.now(UTC) + timedelta(hours=1)
    idle = [queue_path(PROJECT, LOCATION, f"idle-{n}") for n in range(20)]
    for queue in idle:
        client.create_queue(parent=queue.rsplit("/queues/", 1)[0], queue=tasks_v2.Queue(name=queue))
        client.create_task(parent=queue, task=task(receiver.url, "idle", queue=queue, schedule=at))
    client.create_task(parent=NOTIFICATIONS, task=task(receiver.url, "next", schedule=at))
    time.sleep(0.2)

    try:
        cpu, wakeups = emulator.cpu_seconds(), emulator.wakeups()
        time.sleep(2.0)
        cpu, wakeups = emulator.cpu_seconds() - cpu, emulator.wakeups() - wakeups

        assert cpu < 0.05, f"the emulator used {cpu:.2f}s of CPU in 2s holding tasks"
        assert wakeups < 200, f"the emulator's threads woke {wakeups} times in 2s"
        assert receiver.calls == []
        (waiting,) = client.list_tasks(parent=NOTIFICATIONS)
        assert waiting.dispatch_count == 0
        assert abs(waiting.schedule_time.timestamp() - at.timestamp()) < 0.001
    finally:
        for queue in idle:
            client.delete_queue(name=queue)
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=idle[0])


def test_get_list_and_delete_task_show_attempts_as_the_api_does(
    emulator: Emulator, receiver: Receiver
) -> None:
    queue, client = path(PATIENT), emulator.client
    name = f"{queue}/tasks/patient"
    receiver.plans["patient"] = [(503, 0.0)]
    client.create_task(parent=queue, task=task(receiver.url, "patient", queue=queue))
    (call,) = wait_for(lambda: receiver.done("patient"), timeout=5, message="first attempt")
    (listed,) = wait_for(
        lambda: [t for t in client.list_tasks(parent=queue) if t.response_count], timeout=5
    )

    assert listed.dispatch_count == 1
    assert listed.first_attempt.dispatch_time.timestamp() == pytest.approx(call.at, abs=0.1)
    assert listed.last_attempt.response_status.code == 14  # UNAVAILABLE, the 503
    assert listed.schedule_time.timestamp() == pytest.approx(call.done_at + 5.0, abs=0.3)
    full = client.get_task(request={"name": name, "response_view": tasks_v2.Task.View.FULL})
    assert json.loads(full.http_request.body) == {"notificationId": "patient"}
    assert client.get_task(name=name).http_request.body == b""  # BASIC leaves it out

    client.delete_task(name=name)
    with pytest.raises(exceptions.NotFound):
        client.get_task(name=name)
    with pytest.raises(exceptions.NotFound):
        client.delete_task(name=name)
    assert list(client.list_tasks(parent=queue)) == []


def test_run_task_dispatches_at_once_a_future_task_of_a_paused_queue(
    emulator: Emulator, receiver: Receiver
) -> None:
    queue, client = path(SERIAL), emulator.client
    client.pause_queue(name=queue)
    at = datetime.now(UTC) + timedelta(hours=1)
    client.create_task(parent=queue, task=task(receiver.url, "forced", queue=queue, schedule=at))

    ran = client.run_task(name=f"{queue}/tasks/forced")

    assert ran.dispatch_count == 1
    wait_for(lambda: receiver.done("forced"), timeout=3, message="dispatched by RunTask")
    wait_for(lambda: list(client.list_tasks(parent=queue)) == [], timeout=3, message="done")


def test_a_target_slower_than_the_dispatch_deadline_fails_the_attempt_and_sigterm_is_prompt(
    tmp_path: Path, receiver: Receiver
) -> None:
    """``DEVSTACK_TASKS_DISPATCH_DEADLINE`` is the deadline of a task without its own."""
    second = Emulator(tmp_path / "emulator.log", deadline=1.0)
    try:
        ensure_queues(second.client, PROJECT, LOCATION, (FLAKY,), backoff_scale=SCALE)
        queue = path(FLAKY)
        receiver.plans["late"] = [(200, 2.0)]
        receiver.plans["hung"] = [(200, 30.0)]
        second.client.create_task(parent=queue, task=task(receiver.url, "late", queue=queue))

        first, retry = wait_for(lambda: receiver.done("late", 2), timeout=10, message="retried")
        assert retry.headers["x-cloudtasks-taskretrycount"] == "1"
        assert retry.headers["x-cloudtasks-taskpreviousresponse"] == "504"
        assert retry.at - first.at == pytest.approx(1.0 + 0.5, abs=0.3)  # deadline + backoff

        second.client.create_task(parent=queue, task=task(receiver.url, "hung", queue=queue))
        wait_for(lambda: receiver.of("hung"), timeout=5, message="hung attempt on the wire")
    finally:
        took = second.stop()
    assert second.proc.returncode == 0
    assert took < 3.0
