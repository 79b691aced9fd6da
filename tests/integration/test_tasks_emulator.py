"""The Cloud Tasks emulator of the stack dispatches HTTP tasks as the pipeline needs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.cloud import tasks_v2

from devstack.stack import Stack, StackConfig
from tests.support.wait import wait_for


def _lower(items: Any) -> dict[str, str]:
    # The emulator sends "X-cloudtasks-queuename" (urllib capitalizes); HTTP names are
    # case-insensitive, as Flask's request.headers are.
    return {k.lower(): v for k, v in items}


class Receiver:
    """A local HTTP endpoint recording what the queue dispatches; can fail the first calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_first = 0
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append(
                    {"at": time.time(), "headers": _lower(self.headers.items()), "body": body}
                )
                time.sleep(receiver.delay)
                status = 503 if len(receiver.calls) <= receiver.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/deliver_notification"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tasks_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(functions=(), fakes=False, log_dir=tmp_path_factory.mktemp("tasks"))
    with Stack(config) as stack:
        yield stack


@pytest.fixture
def receiver(tasks_stack: Stack) -> Iterator[Receiver]:
    tasks_stack.purge_queues()
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def _task(url: str, notification_id: str, schedule: datetime | None = None) -> tasks_v2.Task:
    task = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"notificationId": notification_id}).encode(),
        )
    )
    if schedule is not None:
        task.schedule_time = schedule
    return task


def test_queue_from_shared_queues_exists(tasks_stack: Stack) -> None:
    client = tasks_stack.tasks_client()
    (path,) = tasks_stack.queue_paths()

    assert client.get_queue(name=path).name == path
    assert path == "projects/demo-shop/locations/europe-west1/queues/notifications"


def test_an_http_task_reaches_its_url_with_body_and_headers(
    tasks_stack: Stack, receiver: Receiver
) -> None:
    client = tasks_stack.tasks_client()
    (parent,) = tasks_stack.queue_paths()

    client.create_task(parent=parent, task=_task(receiver.url, "n-1"))

    (call,) = wait_for(lambda: receiver.calls, timeout=10, message="task dispatched")
    assert json.loads(call["body"]) == {"notificationId": "n-1"}
    assert call["headers"]["content-type"] == "application/json"
    assert call["headers"]["x-cloudtasks-queuename"] == parent
    assert call["headers"]["x-cloudtasks-taskretrycount"] == "0"


def test_schedule_time_is_honoured(tasks_stack: Stack, receiver: Receiver) -> None:
    client = tasks_stack.tasks_client()
    (parent,) = tasks_stack.queue_paths()
    due = datetime.now(UTC) + timedelta(seconds=2)

    client.create_task(parent=parent, task=_task(receiver.url, "later", schedule=due))

    (call,) = wait_for(lambda: receiver.calls, timeout=10, message="scheduled task dispatched")
    assert call["at"] >= due.timestamp()


def test_a_failed_dispatch_is_retried_with_a_growing_retry_count(
    tasks_stack: Stack, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    client = tasks_stack.tasks_client()
    (parent,) = tasks_stack.queue_paths()

    client.create_task(parent=parent, task=_task(receiver.url, "flaky"))

    calls = wait_for(lambda: receiver.calls[2:] and receiver.calls, timeout=10, message="retries")
    assert [c["headers"]["x-cloudtasks-taskretrycount"] for c in calls[:3]] == ["0", "1", "2"]
    time.sleep(0.5)
    assert len(receiver.calls) == 3  # accepted on the third attempt, then never again


def test_a_purge_while_dispatching_does_not_stop_the_queue(
    tasks_stack: Stack, receiver: Receiver
) -> None:
    """The emulator's dispatcher thread died on a task purged from under it (fixed in
    devstack/tasks/emulator.py): the queue must keep dispatching after a purge."""
    receiver.delay = 0.5
    client = tasks_stack.tasks_client()
    (parent,) = tasks_stack.queue_paths()
    for n in range(3):
        client.create_task(parent=parent, task=_task(receiver.url, f"slow-{n}"))
    wait_for(lambda: receiver.calls, timeout=10, message="first dispatch")

    tasks_stack.purge_queues()  # while the first one is still being answered
    time.sleep(1.0)
    receiver.delay = 0
    client.create_task(parent=parent, task=_task(receiver.url, "after-purge"))

    wait_for(
        lambda: any(
            json.loads(c["body"])["notificationId"] == "after-purge" for c in receiver.calls
        ),
        timeout=10,
        message="a task created after the purge is dispatched",
    )
