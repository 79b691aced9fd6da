"""Cloud Tasks adapter: one HTTP task per delivery attempt generation, to ``deliver_notification``.

Task names are deterministic (``shared.model.ids.task_name``: ``{notificationId}-g{generation}``),
so a repeated enqueue is refused by Cloud Tasks as a duplicate (``AlreadyExists``, taken as done),
but correctness never depends on it: delivery claims its work in Firestore.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.model.ids import task_name
from shared.platform.errors import PermanentError, TransientError
from shared.platform.log import get_logger
from shared.platform.settings import TasksSettings, get_settings

if TYPE_CHECKING:
    from google.cloud.tasks_v2 import CloudTasksClient

log = get_logger(__name__)


class TaskQueueError(TransientError):
    """Cloud Tasks refused or failed to take a task; the caller should be retried."""


class TaskQueueNotConfiguredError(PermanentError):
    """No project or ``DELIVER_URL``: tasks cannot be created in this deployment."""


class TaskQueue(Protocol):
    """What the pipeline needs from a queue."""

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str: ...


@dataclass
class TasksClientHolder:
    """A ``google-cloud-tasks`` client, injected or made on first use (once, whatever the
    threads): what every Cloud Tasks adapter here starts from."""

    settings: TasksSettings
    client: CloudTasksClient | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _client(self) -> CloudTasksClient:
        if self.client is None:
            with self._lock:
                if self.client is None:
                    self.client = make_client(self.settings)
        return self.client


@dataclass
class CloudTasksQueue(TasksClientHolder):
    """The real adapter, over ``google-cloud-tasks``; the client is injected or made lazily."""

    def queue_path(self) -> str:
        if not self.settings.configured or not self.settings.project:
            raise TaskQueueNotConfiguredError("GOOGLE_CLOUD_PROJECT and DELIVER_URL must be set")
        return (
            f"projects/{self.settings.project}/locations/{self.settings.location}"
            f"/queues/{self.settings.queue}"
        )

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        parent = self.queue_path()
        name = f"{parent}/tasks/{task_name(notification_id, generation)}"
        body = json.dumps({"notificationId": notification_id}).encode()
        assert self.settings.deliver_url is not None  # queue_path checked it
        create_http_task(
            self._client(), self.settings, parent=parent, name=name,
            url=self.settings.deliver_url, body=body, schedule_time=schedule_time,
        )  # fmt: skip
        return name


def create_http_task(
    client: CloudTasksClient,
    settings: TasksSettings,
    *,
    parent: str,
    name: str,
    url: str,
    body: bytes,
    schedule_time: datetime | None,
) -> bool:
    """Create the named POST task to ``url`` (with the deployment's OIDC token, not on the
    emulator); False when a task of that name exists already. ``TaskQueueError`` otherwise."""
    from google.api_core import exceptions as gexc  # noqa: PLC0415
    from google.cloud import tasks_v2  # noqa: PLC0415

    request = tasks_v2.HttpRequest(
        http_method=tasks_v2.HttpMethod.POST,
        url=url,
        headers={"Content-Type": "application/json"},
        body=body,
    )
    if settings.service_account and not settings.emulator_host:
        request.oidc_token = tasks_v2.OidcToken(
            service_account_email=settings.service_account, audience=url
        )
    task = tasks_v2.Task(name=name, http_request=request)
    if schedule_time is not None:
        task.schedule_time = schedule_time
    try:
        client.create_task(parent=parent, task=task, timeout=10.0)
    except gexc.AlreadyExists:
        log.info("task %s already exists", name)
        return False
    except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
        raise TaskQueueError(f"could not enqueue {name}: {exc}") from exc
    return True


def make_client(settings: TasksSettings) -> CloudTasksClient:
    """A Cloud Tasks client; on the emulator, an insecure gRPC channel to it."""
    from google.cloud import tasks_v2  # noqa: PLC0415

    if settings.emulator_host:
        import grpc  # noqa: PLC0415
        from google.cloud.tasks_v2.services.cloud_tasks.transports import (  # noqa: PLC0415
            CloudTasksGrpcTransport,
        )

        channel = grpc.insecure_channel(settings.emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


_queues: dict[str | None, CloudTasksQueue] = {}
_queue_lock = threading.Lock()


def get_queue(name: str | None = None) -> CloudTasksQueue:
    """The process-wide queue adapter: ``TASKS_QUEUE``'s, or the queue called ``name`` (the
    ``campaigns`` queue: same project, location and target, its own pacing)."""
    found = _queues.get(name)
    if found is None:
        with _queue_lock:
            found = _queues.get(name)
            if found is None:
                settings = get_settings().tasks
                if name is not None and name != settings.queue:
                    settings = replace(settings, queue=name)
                found = _queues[name] = CloudTasksQueue(settings)
    return found
