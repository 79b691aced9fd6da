"""A provider's delivery status applied to a notification: the fields that change, pure.

Forward-only (``shared.model.status``): a duplicate or out-of-order status changes nothing. A
timestamp per status (``sentAt``, ``deliveredAt``, ``readAt``, ``failedAt``, ``undeliveredAt``)
is filled when first reported, also for progress reported late (a ``sent`` after
``delivered`` fills ``sentAt`` without moving the status back). A failure the status refuses
(a ``failed`` after ``delivered``) writes nothing. Costs reported by the provider replace our
estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.model.enums import NotificationStatus, Provider
from shared.model.ids import orphan_status_id
from shared.model.inbound import StatusUpdate
from shared.model.status import can_transition
from shared.rules.provider_errors import classify_twilio

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


def orphan_id(update: StatusUpdate) -> str:
    """The id of a status kept while nobody claims it (one per provider, message, status)."""
    return orphan_status_id(update.provider.value, update.message_id, update.provider_status)
