"""``notification_history/{id}``: one message to one channel, as one typed record.

``NotificationRecord`` is what the planner makes (a new record: ``pending``, ``scheduled`` or
``skipped``) and what every later step reads (delivery, live checks, rendering, fallback, status
callbacks, reports). ``to_document`` and ``from_document`` are the only mapping between the
record and the stored document: field names are written here once.

``from_document`` is lenient, as for every document: a field of the wrong type reads as its
default, unknown statuses as ``UNKNOWN``; only a document with no usable channel cannot be a
record (``InvalidRecordError``): nothing could be sent for it.

The fallback is derived from the record (``fallback()``): the planned alternative channel, one
per original, its id derived from the original's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.model.enums import Channel, NotificationStatus, Provider, Purpose, purpose_of
from shared.model.ids import fallback_notification_id, task_name
from shared.platform.clock import as_datetime
from shared.platform.errors import InvalidInputError

REF_FIELDS = (
    "ticketId", "orderId", "cartId", "clientId", "cartEpisode", "campaignId",
    "staffId", "inboxItemId",  # a staff reply: who wrote it, what it answers
    "retryOf",  # a staff retry: the failed message it sends again
)  # fmt: skip
STAFF_REPLY = "reply.staff"  # a reply written by a person at the shop (issue 18)
WAITING = frozenset({NotificationStatus.PENDING, NotificationStatus.SCHEDULED})


class InvalidRecordError(InvalidInputError):
    """A history document that cannot be read as a notification (no usable channel)."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _enum(kind: type[Channel] | type[Provider], value: Any) -> Any:
    try:
        return kind(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class NotificationRecord:
    """One ``notification_history`` document (contract fields and ``docs/data-model.md``)."""

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
    purpose: Purpose | None = None  # None: derived from the type
    profile_at_plan: bool = False  # the customer had a profile when this was planned
    # Kept by the system once the record exists:
    attempts: int = 0
    provider_message_id: str | None = None
    fallback_id: str | None = None
    ambiguous_since: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None

    @property
    def effective_purpose(self) -> Purpose:
        return self.purpose or purpose_of(self.type)

    @property
    def is_reply(self) -> bool:
        """An automatic answer to an inbound message (``reply.*``): never held back by an
        opt-out (the STOP confirmation goes to the channel just switched off) and always
        free-form. A staff member's reply (``reply.staff``) is not one: it obeys opt-outs and
        takes the approved template outside the WhatsApp window, as any service message."""
        return self.type.startswith("reply.") and self.type != STAFF_REPLY

    def ref(self, name: str) -> str | None:
        value = self.refs.get(name)
        return value if isinstance(value, str) and value and "/" not in value else None

    # -- the stored document ----------------------------------------------------------------

    def to_document(self, now: datetime) -> dict[str, Any]:
        """The new document of a planned record (``pending`` due later becomes ``scheduled``)."""
        status = self.status
        if status is NotificationStatus.PENDING and self.scheduled_for and self.scheduled_for > now:
            status = NotificationStatus.SCHEDULED
        doc: dict[str, Any] = {
            "customerId": self.customer_id,
            "type": self.type,
            "purpose": self.effective_purpose.value,
            "channel": self.channel.value,
            "provider": self.provider.value if self.provider else None,
            "to": self.to,
            "status": status.value,
            "statusReason": self.status_reason,
            "statusDetail": self.status_detail,
            "attempts": 0,
            "createdAt": now,
            "updatedAt": now,
            "sourceEventId": self.source_event_id,
            "template": self.template,
            "language": self.language,
            "country": self.country,
            "data": dict(self.data),
            "metadata": {"template": self.template, **dict(self.metadata)},
            "urgent": self.urgent,
        }
        if self.profile_at_plan:
            doc["profileAtPlan"] = True
        doc.update({k: v for k, v in self.refs.items() if v})
        if self.body is not None:
            doc["body"] = self.body
        if self.fallback_of:
            doc["fallbackOf"] = self.fallback_of
        if self.fallback_channel:
            doc["fallbackChannel"] = self.fallback_channel.value
            doc["fallbackTo"] = self.fallback_to
            doc["fallbackProvider"] = (
                self.fallback_provider.value if self.fallback_provider else None
            )
        if status is NotificationStatus.SCHEDULED:
            doc["scheduledFor"] = self.scheduled_for
            doc["scheduledAt"] = now
        elif status is NotificationStatus.SKIPPED:
            doc["skippedAt"] = now
        if status in WAITING:
            doc["taskName"] = task_name(self.notification_id, 0)
        return doc

    @classmethod
    def from_document(cls, notification_id: str, doc: Mapping[str, Any]) -> NotificationRecord:
        """The record of a stored document (lenient; ``InvalidRecordError`` without a channel)."""
        channel = _enum(Channel, doc.get("channel"))
        if channel is None:
            raise InvalidRecordError(f"{notification_id} has no usable channel")
        data = doc.get("data")
        metadata = doc.get("metadata")
        purpose = doc.get("purpose")
        attempts = doc.get("attempts")
        return cls(
            notification_id=notification_id,
            type=_text(doc.get("type")) or "",
            channel=channel,
            provider=_enum(Provider, doc.get("provider")),
            to=_text(doc.get("to")),
            customer_id=_text(doc.get("customerId")),
            refs={k: v for k in REF_FIELDS if (v := _text(doc.get(k)))},
            status=NotificationStatus(str(doc.get("status") or "unknown")),
            status_reason=_text(doc.get("statusReason")) or "",
            status_detail=_text(doc.get("statusDetail")) or "",
            template=_text(doc.get("template")) or _text(doc.get("type")) or "",
            language=_text(doc.get("language")) or "fr",
            country=_text(doc.get("country")),
            data=dict(data) if isinstance(data, Mapping) else {},
            body=doc.get("body") if isinstance(doc.get("body"), str) else None,
            source_event_id=_text(doc.get("sourceEventId")) or "",
            scheduled_for=as_datetime(doc.get("scheduledFor")),
            fallback_channel=_enum(Channel, doc.get("fallbackChannel")),
            fallback_to=_text(doc.get("fallbackTo")),
            fallback_provider=_enum(Provider, doc.get("fallbackProvider")),
            fallback_of=_text(doc.get("fallbackOf")),
            urgent=doc.get("urgent") is True,
            profile_at_plan=doc.get("profileAtPlan") is True,
            purpose=Purpose(purpose) if purpose in {p.value for p in Purpose} else None,
            attempts=attempts
            if isinstance(attempts, int) and not isinstance(attempts, bool)
            else 0,
            provider_message_id=_text(doc.get("providerMessageId")),
            fallback_id=_text(doc.get("fallbackId")),
            ambiguous_since=as_datetime(doc.get("ambiguousSince")),
            metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
            error_code=_text(doc.get("errorCode")),
            created_at=as_datetime(doc.get("createdAt")),
            sent_at=as_datetime(doc.get("sentAt")),
        )

    # -- derived -------------------------------------------------------------------------------

    def fallback(self) -> NotificationRecord | None:
        """The record that replaces this one after it failed for good, if the plan had one."""
        if not self.fallback_channel or not self.fallback_to or self.fallback_of:
            return None
        return NotificationRecord(
            notification_id=fallback_notification_id(
                self.notification_id, self.fallback_channel.value
            ),
            type=self.type,
            channel=self.fallback_channel,
            provider=self.fallback_provider,
            to=self.fallback_to,
            customer_id=self.customer_id,
            refs={k: v for k, v in self.refs.items() if k in ("ticketId", "orderId", "cartId")},
            status_reason="fallback",
            status_detail=f"{self.channel.value} failed: {self.status_reason or 'error'}",
            template=self.template or self.type,
            language=self.language,
            country=self.country,
            data=dict(self.data),
            body=self.body,
            source_event_id=self.source_event_id,
            fallback_of=self.notification_id,
            urgent=self.urgent,
            purpose=self.purpose,
        )
