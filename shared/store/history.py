"""``notification_history``: records created once, read back typed, found by provider id.

The document shape is ``shared.model.record.NotificationRecord``'s; this module only knows
where records live and how to find them without a scan (single-field and composite indexes of
``firestore.indexes.json``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import NotificationStatus
from shared.model.record import NotificationRecord
from shared.store.client import create_if_absent, read
from shared.store.collections import HISTORY

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot

    Snapshot = DocumentSnapshot[DocumentReference]


def ref(db: Client, notification_id: str) -> DocumentReference:
    return db.collection(HISTORY).document(notification_id)


def get(db: Client, notification_id: str) -> NotificationRecord | None:
    """The record, or None when there is none (``InvalidRecordError`` when unreadable)."""
    doc = read(ref(db, notification_id))
    return None if doc is None else NotificationRecord.from_document(notification_id, doc)


def create(
    db: Client, record: NotificationRecord, now: datetime
) -> tuple[bool, NotificationStatus]:
    """Create the record's document once: (created by this call?, its status now).

    A document Firestore refuses as too large (its 1 MiB entity limit) is never lost without a
    trace: the record is stored ``skipped`` with ``statusReason`` ``document_too_large`` and
    without the snapshot that made it too large.
    """
    from google.api_core.exceptions import InvalidArgument  # noqa: PLC0415

    target = ref(db, record.notification_id)
    doc = record.to_document(now)
    try:
        created = create_if_absent(target, doc)
    except InvalidArgument as exc:
        doc = replace(
            record,
            status=NotificationStatus.SKIPPED,
            status_reason="document_too_large",
            status_detail=f"the message's data could not be stored: {str(exc)[:200]}",
            data={},
            body=None,
        ).to_document(now)
        created = create_if_absent(target, doc)
    if created:
        return True, NotificationStatus(doc["status"])
    existing = read(target) or {}
    return False, NotificationStatus(str(existing.get("status", "unknown")))


def by_provider_message_id(db: Client, message_id: str, limit: int = 5) -> Iterator[Snapshot]:
    """The documents a provider's message id was recorded on (an equality query, indexed)."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    query = db.collection(HISTORY).where(filter=FieldFilter("providerMessageId", "==", message_id))
    yield from query.limit(limit).stream()


def of_cart(db: Client, cart_id: str, statuses: Sequence[str] | None = None) -> Iterator[Snapshot]:
    """A cart's notifications (all, or those in ``statuses``)."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    query = db.collection(HISTORY).where(filter=FieldFilter("cartId", "==", cart_id))
    if statuses is not None:
        query = query.where(filter=FieldFilter("status", "in", list(statuses)))
    yield from query.stream()


def update(db: Client, notification_id: str, fields: dict[str, Any]) -> None:
    ref(db, notification_id).update(fields)
