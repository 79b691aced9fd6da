"""Enqueueing a campaign's next step: one place that names the task and picks its queue."""

from __future__ import annotations

from datetime import datetime

from shared.adapters.campaign_tasks import StepQueue, get_step_queue
from shared.model.campaign import CampaignStep, StepKind
from shared.model.ids import campaign_task_id

# How often a running campaign's results are recomputed and its health checked: a pause it
# decides for itself takes effect within this (plus a send's own time).
MONITOR_SECONDS = 30.0


def enqueue(
    step: CampaignStep,
    *,
    queue: StepQueue | None = None,
    at: datetime | None = None,
    tick: int | None = None,
) -> str:
    """Enqueue ``step`` (at ``at``); a monitor step is named by its ``tick``, a page by its run
    and number, so the same step enqueued twice is one task."""
    number = tick if tick is not None else step.page
    task_id = campaign_task_id(step.campaign_id, step.kind.value, step.run, number)
    return (queue or get_step_queue()).enqueue_step(task_id, step.body(), schedule_time=at)


def start_monitor(
    campaign_id: str,
    *,
    queue: StepQueue | None = None,
    at: datetime,
    interval: float = MONITOR_SECONDS,
) -> str:
    """The monitor's tick at ``at``: ticks are named by their time slot, so two chains that
    meet in one slot become one."""
    tick = int(at.timestamp() // interval)
    step = CampaignStep(campaign_id, StepKind.MONITOR, "monitor")
    return enqueue(step, queue=queue, at=at, tick=tick)
