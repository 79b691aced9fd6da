"""``provider_status_orphans``: statuses that arrived before their send was recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.inbound import StatusUpdate
from shared.rules.status_update import orphan_id
from shared.store.client import create_if_absent
from shared.store.collections import ORPHANS

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot

    Snapshot = DocumentSnapshot[DocumentReference]


def keep(db: Client, update: StatusUpdate, now: datetime) -> bool:
    """Keep a status nobody claims (once per provider, message and status)."""
    return create_if_absent(
        db.collection(ORPHANS).document(orphan_id(update)),
        {
            "provider": update.provider.value,
            "providerMessageId": update.message_id,
            "providerStatus": update.provider_status,
            "status": update.status.value,
            "errorCode": update.error_code,
            "errorMessage": update.error_message,
            "cost": update.cost,
            "currency": update.currency,
            "pricing": dict(update.pricing) if update.pricing else None,
            "notificationHint": update.notification_hint,
            "reportedAt": update.at,
            "receivedAt": now,
            "reconciled": False,
        },
    )


def waiting(db: Client, limit: int) -> Iterator[Snapshot]:
    """Orphans not reconciled yet (at most ``limit``)."""
    from google.cloud.firestore_v1.base_query import FieldFilter  # noqa: PLC0415

    query = db.collection(ORPHANS).where(filter=FieldFilter("reconciled", "==", False))
    yield from query.limit(limit).stream()


def mark(snapshot: Snapshot, fields: dict[str, Any]) -> None:
    snapshot.reference.update({"reconciled": True, **fields})
