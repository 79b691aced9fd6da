"""The outbox: planned messages become ``notification_history`` documents and Cloud Tasks.

``submit`` is idempotent: the history id is deterministic and created with ``create()``, so an
event handled three times (even at once) yields one document. Every caller that finds the
document still waiting also enqueues its task: if the first caller died between the two
steps, a redelivery repairs it, and duplicate tasks are harmless because delivery claims its
work in Firestore.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.adapters.tasks import TaskQueue, get_queue
from shared.model.enums import NotificationStatus
from shared.model.record import WAITING, NotificationRecord
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.store import history
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


@dataclass(frozen=True)
class Submitted:
    """What ``submit`` did for one record."""

    notification_id: str
    created: bool
    status: NotificationStatus
    task: str | None


def submit(
    drafts: Sequence[NotificationRecord],
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> list[Submitted]:
    """Create each planned record's history document (once) and enqueue its delivery task."""
    db = db or get_db()
    now = now or utcnow()
    results: list[Submitted] = []
    for draft in drafts:
        created, status = history.create(db, draft, now)
        task = None
        if status in WAITING:
            q = queue or get_queue()
            scheduled = draft.scheduled_for if status is NotificationStatus.SCHEDULED else None
            task = q.enqueue(draft.notification_id, generation=0, schedule_time=scheduled)
        log.info(
            "%s %s %s (%s)",
            "created" if created else "found",
            draft.channel.value,
            status.value,
            draft.status_reason,
            extra={"notificationId": draft.notification_id, "type": draft.type},
        )
        results.append(Submitted(draft.notification_id, created, status, task))
    return results
