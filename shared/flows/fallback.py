"""Fallback: a message that failed for good is replaced by its planned alternative, once.

The cascade decided the fallback when it planned the message (WhatsApp -> SMS when SMS is
allowed); it is stored on the history document. The replacement is a new notification with
``fallbackOf``, its id derived from the original's, so a repeated failure report (a send-time
error and a late status callback, or a retried webhook) creates it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.adapters.tasks import TaskQueue, get_queue
from shared.flows.outbox import submit
from shared.model.record import NotificationRecord
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.store import history
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


def trigger_fallback(
    db: Client | None,
    record: NotificationRecord,
    *,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> str | None:
    """Create (once) and enqueue the fallback of a permanently failed notification."""
    db = db or get_db()
    replacement = record.fallback()
    if replacement is None:
        return None
    now = now or utcnow()
    submit([replacement], db=db, queue=queue or get_queue(), now=now)
    history.update(
        db, record.notification_id, {"fallbackId": replacement.notification_id, "updatedAt": now}
    )
    log.info(
        "fell back to %s",
        replacement.channel.value,
        extra={"fallbackId": replacement.notification_id},
    )
    return replacement.notification_id
