"""Delivery statuses reported by providers, applied to ``notification_history``.

The notification is found by ``providerMessageId`` with an equality query (a single-field
index, never a scan); a Meta status carrying our notification id in ``biz_opaque_callback_data``
is read directly. The change is computed by ``shared.rules.status_update`` (pure,
forward-only) and written with the read's update time as a precondition (``compare_and_set``):
when another callback of the same message wrote in between, the document is read again and the
change decided afresh. So duplicates, out-of-order and concurrent callbacks are harmless, and
one that changes nothing (a duplicate, a late ``sent``) costs only the query. A compare-and-set
rather than a transaction: it is the same atomic read-decide-write on one document, in two
round trips instead of four, and without the lock waits that many callbacks of one message
would queue behind.

A late permanent failure creates the planned fallback through ``trigger_fallback``, the same
call delivery makes at send time (idempotent: the fallback id derives from the original).

A status for a message id we do not know (the callback beat our own ``sent`` write, or the
message was not ours) is kept in ``provider_status_orphans`` and acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.fallback import trigger_fallback
from shared.model.enums import NotificationStatus
from shared.model.ids import is_firestore_id
from shared.model.inbound import StatusUpdate
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.rules.status_update import FAILURES, is_permanent_failure, merged, status_fields
from shared.store import history, orphans
from shared.store.client import compare_and_set

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot

    Snapshot = DocumentSnapshot[DocumentReference]

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)


@dataclass(frozen=True)
class StatusOutcome:
    """What one status callback did."""

    message_id: str
    notification_id: str | None
    status: str | None  # the notification's status afterwards
    changed: bool = False
    orphan: bool = False
    fallback_id: str | None = None


def _hinted(db: Client, update: StatusUpdate) -> Snapshot | None:
    hint = update.notification_hint
    if not hint or not is_firestore_id(hint):
        return None
    snapshot = history.ref(db, hint).get()
    if not snapshot.exists:
        return None
    recorded = (snapshot.to_dict() or {}).get("providerMessageId")
    return snapshot if recorded in (None, update.message_id) else None


def find_notification(db: Client, update: StatusUpdate) -> Snapshot | None:
    """The history document of the message a status is about, without a scan."""
    hinted = _hinted(db, update)
    if hinted is not None:
        return hinted
    for snapshot in history.by_provider_message_id(db, update.message_id):
        provider = (snapshot.to_dict() or {}).get("provider")
        if provider in (None, update.provider.value):
            return snapshot
    return None


def apply_status(
    db: Client, update: StatusUpdate, *, now: datetime, queue: TaskQueue | None = None
) -> StatusOutcome:
    """Apply one provider status to its notification (or keep it as an orphan)."""
    snapshot = find_notification(db, update)
    if snapshot is None:
        created = orphans.keep(db, update, now)
        log.info(
            "status %s for an unknown %s message kept as an orphan",
            update.provider_status,
            update.provider.value,
            extra={"providerMessageId": update.message_id, "new": created},
        )
        return StatusOutcome(update.message_id, None, None, orphan=True)
    notification_id = snapshot.id
    written = compare_and_set(
        snapshot.reference, lambda doc: status_fields(doc or {}, update, now), snapshot=snapshot
    )
    after = merged(written.current or {}, written.fields)
    status = NotificationStatus(str(after.get("status") or "unknown"))
    fallback_id = None
    if status in FAILURES and is_permanent_failure(update):
        record = NotificationRecord.from_document(notification_id, after)
        if not record.fallback_id and not record.fallback_of:
            fallback_id = trigger_fallback(db, record, queue=queue, now=now)
    log.info(
        "status %s -> %s (%s)",
        update.provider_status,
        status.value,
        "changed" if written.fields else "no change",
        extra={"notificationId": notification_id, "providerMessageId": update.message_id},
    )
    return StatusOutcome(
        update.message_id, notification_id, status.value, bool(written.fields), False, fallback_id
    )
