"""Delivery statuses reported by providers, applied to ``notification_history``.

The notification is found by ``providerMessageId`` with an equality query (a single-field
index, never a scan); a Meta status carrying our notification id in ``biz_opaque_callback_data``
is read directly. The change is computed by ``status_fields`` (pure), forward-only
(``shared.model.status``), and written with the read's update time as a precondition
(``compare_and_set``): when another callback of the same message wrote in between, the document
is read again and the change decided afresh. So duplicates, out-of-order and concurrent
callbacks are harmless, and one that changes nothing (a duplicate, a late ``sent``) costs only
the query. A compare-and-set rather than a transaction: it is the same atomic read-decide-write
on one document, in two round trips instead of four, and without the lock waits that many
callbacks of one message would queue behind.

A timestamp per status (``sentAt``, ``deliveredAt``, ``readAt``, ``failedAt``,
``undeliveredAt``) is filled when first reported, also for progress reported late (a ``sent``
after ``delivered`` fills ``sentAt`` without moving the status back). A failure the status
refuses (a ``failed`` after ``delivered``) writes nothing.

A late permanent failure creates the planned fallback through ``trigger_fallback``, the same
call delivery makes at send time (idempotent: the fallback id derives from the original).

A status for a message id we do not know (the callback beat our own ``sent`` write, or the
message was not ours) is kept in ``provider_status_orphans`` and acknowledged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.flows.fallback import trigger_fallback
from shared.model.enums import NotificationStatus, Provider
from shared.model.ids import is_firestore_id
from shared.model.inbound import StatusUpdate
from shared.model.status import can_transition
from shared.platform.log import get_logger
from shared.rules.provider_errors import classify_twilio
from shared.store.client import compare_and_set, create_if_absent
from shared.store.history import HISTORY

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot

    Snapshot = DocumentSnapshot[DocumentReference]

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)

ORPHANS = "provider_status_orphans"
S = NotificationStatus
AT_FIELD: Mapping[NotificationStatus, str] = {
    S.SENDING: "sendingAt",
    S.SENT: "sentAt",
    S.DELIVERED: "deliveredAt",
    S.READ: "readAt",
    S.FAILED: "failedAt",
    S.UNDELIVERED: "undeliveredAt",
    S.CANCELLED: "cancelledAt",
}
_PROGRESS = frozenset({S.SENT, S.DELIVERED, S.READ})  # a late "queued" is not worth a write
FAILURES = frozenset({S.FAILED, S.UNDELIVERED})


@dataclass(frozen=True)
class StatusOutcome:
    """What one status callback did."""

    message_id: str
    notification_id: str | None
    status: str | None  # the notification's status afterwards
    changed: bool = False
    orphan: bool = False
    fallback_id: str | None = None


def status_fields(doc: Mapping[str, Any], update: StatusUpdate, now: datetime) -> dict[str, Any]:
    """The fields to write for ``update`` on a history document (empty: nothing to write)."""
    current = S(str(doc.get("status") or "unknown"))
    new = update.status
    fields: dict[str, Any] = {}
    moved = can_transition(current, new)
    if moved:
        fields["status"] = new.value
        fields["providerStatus"] = update.provider_status
        if new in FAILURES:
            fields["errorCode"] = update.error_code
            fields["errorMessage"] = (update.error_message or "")[:500] or None
            fields["statusReason"] = "provider_reported_failure"
    at_field = AT_FIELD.get(new)
    if at_field and doc.get(at_field) is None and (moved or new in _PROGRESS):
        fields[at_field] = update.at or now
    raw_metadata = doc.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    if update.cost is not None and (
        metadata.get("cost") != update.cost or metadata.get("costEstimated")
    ):
        fields["metadata.cost"] = update.cost
        fields["metadata.currency"] = update.currency
        fields["metadata.costEstimated"] = False
    if update.pricing and metadata.get("pricing") != dict(update.pricing):
        fields["metadata.pricing"] = dict(update.pricing)
    if update.conversation and metadata.get("conversation") != dict(update.conversation):
        fields["metadata.conversation"] = dict(update.conversation)
    if fields:
        fields["updatedAt"] = now
    return fields


def merged(doc: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with an update's fields applied (dotted paths go one map down)."""
    out = dict(doc)
    for key, value in fields.items():
        head, dot, tail = key.partition(".")
        if dot:
            inner = out.get(head)
            out[head] = {**(inner if isinstance(inner, Mapping) else {}), tail: value}
        else:
            out[key] = value
    return out


def is_permanent_failure(update: StatusUpdate) -> bool:
    """Whether a failure report calls for the fallback: every Meta failure, and Twilio's
    unless its code is one a retry could fix (queue overflow, rate limits)."""
    if update.status not in FAILURES:
        return False
    if update.provider is Provider.TWILIO and update.error_code:
        return not classify_twilio(None, update.error_code, update.error_message or "").transient
    return True


def _hinted(db: Client, update: StatusUpdate) -> Snapshot | None:
    hint = update.notification_hint
    if not hint or not is_firestore_id(hint):
        return None
    snapshot = db.collection(HISTORY).document(hint).get()
    if not snapshot.exists:
        return None
    recorded = (snapshot.to_dict() or {}).get("providerMessageId")
    return snapshot if recorded in (None, update.message_id) else None


def find_notification(db: Client, update: StatusUpdate) -> Snapshot | None:
    """The history document of the message a status is about, without a scan."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    hinted = _hinted(db, update)
    if hinted is not None:
        return hinted
    query = db.collection(HISTORY).where(
        filter=FieldFilter("providerMessageId", "==", update.message_id)
    )
    for snapshot in query.limit(5).stream():
        provider = (snapshot.to_dict() or {}).get("provider")
        if provider in (None, update.provider.value):
            return snapshot
    return None


def orphan_id(update: StatusUpdate) -> str:
    parts = f"{update.provider.value}\x1f{update.message_id}\x1f{update.provider_status}"
    return "o_" + hashlib.sha256(parts.encode()).hexdigest()[:24]


def record_orphan(db: Client, update: StatusUpdate, now: datetime) -> bool:
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


def apply_status(
    db: Client, update: StatusUpdate, *, now: datetime, queue: TaskQueue | None = None
) -> StatusOutcome:
    """Apply one provider status to its notification (or keep it as an orphan)."""
    snapshot = find_notification(db, update)
    if snapshot is None:
        created = record_orphan(db, update, now)
        log.info(
            "status %s for an unknown %s message kept as an orphan",
            update.provider_status,
            update.provider.value,
            extra={"providerMessageId": update.message_id, "new": created},
        )
        return StatusOutcome(update.message_id, None, None, orphan=True)
    ref = snapshot.reference
    written = compare_and_set(
        ref, lambda doc: status_fields(doc or {}, update, now), snapshot=snapshot
    )
    fields = written.fields
    after = merged(written.current or {}, fields)
    status = str(after.get("status") or "")
    fallback_id = None
    if (
        S(status) in FAILURES
        and is_permanent_failure(update)
        and not after.get("fallbackId")
        and not after.get("fallbackOf")
    ):
        fallback_id = trigger_fallback(db, ref.id, after, queue=queue, now=now)
    log.info(
        "status %s -> %s (%s)",
        update.provider_status,
        status,
        "changed" if fields else "no change",
        extra={"notificationId": ref.id, "providerMessageId": update.message_id},
    )
    return StatusOutcome(update.message_id, ref.id, status, bool(fields), False, fallback_id)
