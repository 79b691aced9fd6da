"""Cloud Tasks for a campaign's own steps: one HTTP task per step to ``campaign_step``.

A step is a page of the audience to plan, a page of held messages to resume, or a refresh of
the results. Each task is named after (campaign, step, run, page) (``campaign_task_id``), so a
page enqueued twice is refused as a duplicate; correctness never depends on it: every step is
idempotent (deterministic history ids, results recomputed whole).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from shared.adapters.tasks import TaskQueueNotConfiguredError, TasksClientHolder, create_http_task
from shared.platform.queues import CAMPAIGN_STEPS_QUEUE
from shared.platform.settings import get_settings

if TYPE_CHECKING:
    pass


class StepQueue(Protocol):
    """What campaigns need from a queue of steps."""

    def enqueue_step(
        self, task_id: str, body: Mapping[str, Any], *, schedule_time: datetime | None = None
    ) -> str: ...


@dataclass
class CloudTasksStepQueue(TasksClientHolder):
    """Steps on the ``campaign-steps`` queue, posted to ``CAMPAIGN_STEP_URL``."""

    queue: str = CAMPAIGN_STEPS_QUEUE.name

    def enqueue_step(
        self, task_id: str, body: Mapping[str, Any], *, schedule_time: datetime | None = None
    ) -> str:

        url = self.settings.campaign_step_url
        if not self.settings.project or not url:
            raise TaskQueueNotConfiguredError("GOOGLE_CLOUD_PROJECT and CAMPAIGN_STEP_URL")
        parent = (
            f"projects/{self.settings.project}/locations/{self.settings.location}"
            f"/queues/{self.queue}"
        )
        name = f"{parent}/tasks/{task_id}"
        create_http_task(
            self._client(), self.settings, parent=parent, name=name, url=url,
            body=json.dumps(dict(body)).encode(), schedule_time=schedule_time,
        )  # fmt: skip
        return name


_steps: CloudTasksStepQueue | None = None
_steps_lock = threading.Lock()


def get_step_queue() -> CloudTasksStepQueue:
    """The process-wide queue of campaign steps."""
    global _steps  # noqa: PLW0603 - one adapter per process
    if _steps is None:
        with _steps_lock:
            if _steps is None:
                _steps = CloudTasksStepQueue(get_settings().tasks)
    return _steps
