"""A resumed (or cancelled) campaign's waiting messages, enqueued again page by page.

A message that met a paused campaign at send time was held: its claim given back, its status
left waiting, no task kept. Resuming enqueues each waiting message once more, under the next
generation of its task name (the one its held attempt used is taken), at its own time when a
marketing window or quiet hours still hold it. Delivery then sends it, or for a cancelled
campaign cancels it. Enqueueing a message that still has a task is harmless: delivery claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.adapters.campaign_tasks import StepQueue
from shared.adapters.tasks import TaskQueue, get_queue
from shared.flows.campaigns.steps import enqueue
from shared.model.campaign import CampaignStep, StepKind
from shared.platform.clock import as_datetime, utcnow
from shared.platform.log import get_logger
from shared.platform.queues import CAMPAIGNS_QUEUE
from shared.store import campaigns
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
PAGE_SIZE = 300


@dataclass(frozen=True)
class Resumed:
    campaign_id: str
    page: int
    enqueued: int
    next_cursor: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "campaignId": self.campaign_id,
            "page": self.page,
            "outcome": "resumed",
            "enqueued": self.enqueued,
            "nextCursor": self.next_cursor,
        }


def resume_page(
    step: CampaignStep,
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    steps: StepQueue | None = None,
    now: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> Resumed:
    """Enqueue one page of the campaign's waiting messages; then the next page."""
    db = db or get_db()
    now = now or utcnow()
    queue = queue or get_queue(CAMPAIGNS_QUEUE.name)
    found, following = campaigns.held_page(
        db, step.campaign_id, cursor=step.cursor, page_size=page_size
    )
    for notification_id, doc in found:
        attempts = doc.get("attempts")
        generation = attempts if isinstance(attempts, int) and attempts > 0 else 0
        due = as_datetime(doc.get("scheduledFor"))
        queue.enqueue(
            notification_id, generation=generation, schedule_time=due if due and due > now else None
        )
    if following is not None:
        nxt = CampaignStep(step.campaign_id, StepKind.RESUME, step.run, step.page + 1, following)
        enqueue(nxt, queue=steps)
    log.info("campaign %s: %d waiting messages enqueued again", step.campaign_id, len(found))
    return Resumed(step.campaign_id, step.page, len(found), following)
