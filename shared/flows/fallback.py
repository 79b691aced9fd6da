"""Fallback: a message that failed for good is replaced by its planned alternative, once.

The cascade decided the fallback when it planned the message (WhatsApp -> SMS when SMS is
allowed); it is stored on the history document. The replacement is a new notification with
``fallbackOf``, its id derived from the original's, so a repeated failure report (a send-time
error and a late status callback, or a retried webhook) creates it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks import TaskQueue, get_queue
from shared.flows.outbox import submit
from shared.model.enums import Channel, Provider
from shared.model.ids import fallback_notification_id
from shared.model.record import Draft
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.store.client import get_db, read
from shared.store.history import HISTORY

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
_REFS = ("ticketId", "orderId", "cartId")


def fallback_draft(notification_id: str, doc: Mapping[str, Any]) -> Draft | None:
    """The replacement of a failed notification, or None when it has no fallback."""
    channel = doc.get("fallbackChannel")
    to = doc.get("fallbackTo")
    if not channel or not to or doc.get("fallbackOf"):
        return None
    provider = doc.get("fallbackProvider")
    return Draft(
        notification_id=fallback_notification_id(notification_id, str(channel)),
        type=str(doc.get("type") or ""),
        channel=Channel(str(channel)),
        provider=Provider(str(provider)) if provider else None,
        to=str(to),
        customer_id=doc.get("customerId"),
        refs={k: str(doc[k]) for k in _REFS if doc.get(k)},
        status_reason="fallback",
        status_detail=f"{doc.get('channel')} failed: {doc.get('statusReason') or 'error'}",
        template=str(doc.get("template") or doc.get("type") or ""),
        language=str(doc.get("language") or "fr"),
        country=doc.get("country"),
        data=dict(doc.get("data") or {}),
        body=doc.get("body"),
        source_event_id=str(doc.get("sourceEventId") or ""),
        fallback_of=notification_id,
        urgent=bool(doc.get("urgent")),
    )


def trigger_fallback(
    db: Client | None,
    notification_id: str,
    doc: Mapping[str, Any] | None = None,
    *,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> str | None:
    """Create (once) and enqueue the fallback of a permanently failed notification."""
    db = db or get_db()
    ref = db.collection(HISTORY).document(notification_id)
    if doc is None:
        doc = read(ref)
        if doc is None:
            return None
    draft = fallback_draft(notification_id, doc)
    if draft is None:
        return None
    now = now or utcnow()
    submit([draft], db=db, queue=queue or get_queue(), now=now)
    ref.update({"fallbackId": draft.notification_id, "updatedAt": now})
    log.info("fell back to %s", draft.channel.value, extra={"fallbackId": draft.notification_id})
    return draft.notification_id
