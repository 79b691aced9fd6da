"""The outbox: planned messages become ``notification_history`` documents and Cloud Tasks.

``submit`` is idempotent: the history id is deterministic and created with ``create()``, so an
event handled three times (even at once) yields one document. Every caller that finds the
document still waiting also enqueues its task: if the first caller died between the two
steps, a redelivery repairs it, and duplicate tasks are harmless because delivery claims its
work in Firestore.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.firestore import create_if_absent, get_db, read, utcnow
from shared.log import get_logger
from shared.models import Channel, NotificationStatus, Provider
from shared.tasks import TaskQueue, get_queue, task_id

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

HISTORY = "notification_history"
_WAITING = {NotificationStatus.PENDING, NotificationStatus.SCHEDULED}


@dataclass(frozen=True)
class Draft:
    """One message to one channel, as planned; becomes one history document."""

    notification_id: str
    type: str
    channel: Channel
    provider: Provider | None
    to: str | None
    customer_id: str | None
    refs: Mapping[str, str] = field(default_factory=dict)
    status: NotificationStatus = NotificationStatus.PENDING
    status_reason: str = ""
    status_detail: str = ""
    template: str = ""
    language: str = "fr"
    country: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    body: str | None = None
    source_event_id: str = ""
    scheduled_for: datetime | None = None
    fallback_channel: Channel | None = None
    fallback_to: str | None = None
    fallback_provider: Provider | None = None
    fallback_of: str | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Submitted:
    """What ``submit`` did for one draft."""

    notification_id: str
    created: bool
    status: NotificationStatus
    task: str | None


def to_document(draft: Draft, now: datetime) -> dict[str, Any]:
    """The history document of a draft (contract fields plus ``docs/data-model.md`` ones)."""
    status = draft.status
    if status is NotificationStatus.PENDING and draft.scheduled_for and draft.scheduled_for > now:
        status = NotificationStatus.SCHEDULED
    doc: dict[str, Any] = {
        "customerId": draft.customer_id,
        "type": draft.type,
        "channel": draft.channel.value,
        "provider": draft.provider.value if draft.provider else None,
        "to": draft.to,
        "status": status.value,
        "statusReason": draft.status_reason,
        "statusDetail": draft.status_detail,
        "attempts": 0,
        "createdAt": now,
        "updatedAt": now,
        "sourceEventId": draft.source_event_id,
        "template": draft.template,
        "language": draft.language,
        "country": draft.country,
        "data": dict(draft.data),
        "metadata": {"template": draft.template},
        "urgent": draft.urgent,
    }
    doc.update({k: v for k, v in draft.refs.items() if v})
    if draft.body is not None:
        doc["body"] = draft.body
    if draft.fallback_of:
        doc["fallbackOf"] = draft.fallback_of
    if draft.fallback_channel:
        doc["fallbackChannel"] = draft.fallback_channel.value
        doc["fallbackTo"] = draft.fallback_to
        doc["fallbackProvider"] = draft.fallback_provider.value if draft.fallback_provider else None
    if status is NotificationStatus.SCHEDULED:
        doc["scheduledFor"] = draft.scheduled_for
        doc["scheduledAt"] = now
    elif status is NotificationStatus.SKIPPED:
        doc["skippedAt"] = now
    if status in _WAITING:
        doc["taskName"] = task_id(draft.notification_id, 0)
    return doc


def submit(
    drafts: Sequence[Draft],
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> list[Submitted]:
    """Create each draft's history document (once) and enqueue its delivery task."""
    db = db or get_db()
    now = now or utcnow()
    results: list[Submitted] = []
    for draft in drafts:
        ref = db.collection(HISTORY).document(draft.notification_id)
        doc = to_document(draft, now)
        created = create_if_absent(ref, doc)
        status = NotificationStatus(doc["status"])
        if not created:
            existing = read(ref) or {}
            status = NotificationStatus(str(existing.get("status", "unknown")))
        task = None
        if status in _WAITING:
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
