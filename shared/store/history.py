"""Moved from shared.flows.outbox (issue 12)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import NotificationStatus
from shared.model.ids import task_name
from shared.model.record import Draft

if TYPE_CHECKING:
    pass


HISTORY = "notification_history"


_WAITING = {NotificationStatus.PENDING, NotificationStatus.SCHEDULED}


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
        doc["taskName"] = task_name(draft.notification_id, 0)
    return doc
