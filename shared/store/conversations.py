"""``conversations/{customerId or E.164 or WhatsApp user id}``: every message, both ways.

Inbound messages are stored by the inbound flow (``message_ref``, the message document being
its claim); ``outbound_write`` is what delivery records of what it sent (committed with the
notification's ``sent`` write), under the same conversation key (the customer id, else the
recipient's E.164 or WhatsApp user id), with the notification id as document id so a repeated
record is the same document.

A WhatsApp edit is a new version of the message it edits (``add_version``: ``versions`` keeps
every one, the latest is its ``text`` and ``media``); a deletion marks it ``deleted``
(``mark_deleted``), its content kept for the shop's records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, SendResult
from shared.model.record import NotificationRecord
from shared.platform.clock import as_datetime
from shared.rules.whatsapp_ids import is_whatsapp_user_id
from shared.store.client import compare_and_set
from shared.store.collections import CONVERSATIONS, MESSAGES

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference


def conversation_key(record: NotificationRecord, message: OutboundMessage) -> str | None:
    customer_id = record.customer_id
    if customer_id and "/" not in customer_id:
        return customer_id
    if message.channel in (Channel.SMS, Channel.WHATSAPP) and message.to.startswith("+"):
        return message.to
    if message.channel is Channel.WHATSAPP and is_whatsapp_user_id(message.to):
        return message.to.strip()  # a WhatsApp user known by their user id only
    return None


def outbound_write(
    db: Client,
    record: NotificationRecord,
    message: OutboundMessage,
    result: SendResult,
    *,
    now: datetime,
) -> tuple[DocumentReference, dict[str, Any]] | None:
    """The sent message's document in its conversation and its fields (None: no conversation,
    as for push), for delivery to commit with the notification's own ``sent`` write."""
    if message.channel is Channel.PUSH:
        return None
    key = conversation_key(record, message)
    notification_id = record.notification_id
    if key is None:
        return None
    return message_ref(db, key, notification_id), {
        "direction": "outbound",
        "channel": message.channel.value,
        "provider": result.provider.value,
        "providerMessageId": result.provider_message_id,
        "notificationId": notification_id,
        "type": record.type,
        "to": message.to,
        "subject": message.subject,
        "text": message.text if not message.use_template else None,
        "template": message.template.content_sid or message.template.meta_name
        if message.use_template and message.template
        else None,
        "at": now,
    }


def message_ref(db: Client, conversation_id: str, message_doc_id: str) -> DocumentReference:
    """``conversations/{customerId or E.164}/messages/{id}``."""
    conversation: DocumentReference = db.collection(CONVERSATIONS).document(conversation_id)
    message: DocumentReference = conversation.collection(MESSAGES).document(message_doc_id)
    return message


def touch(
    db: Client,
    conversation_id: str,
    fields: Mapping[str, Any],
) -> None:
    """The conversation's own document: who, last channel, last inbound time (merged)."""
    db.collection(CONVERSATIONS).document(conversation_id).set(dict(fields), merge=True)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _version_at(version: Mapping[str, Any]) -> datetime:
    return as_datetime(version.get("at")) or _EPOCH


def add_version(
    db: Client, conversation_id: str, message_doc_id: str, version: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """An edit of a stored message: ``version`` (``text``, ``media``, ``kind``, ``at``,
    ``providerMessageId`` of the edit) joins its ``versions`` (the first one being the message
    as first received); the latest by time becomes its ``text`` and ``media``. Once per edit
    (an edit already there changes nothing), in any order. The latest version, or None when
    the message is not stored here."""

    def decide(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is None:
            return None
        versions = [dict(v) for v in current.get("versions") or [] if isinstance(v, Mapping)]
        if not versions:
            versions = [
                {
                    "text": current.get("text"),
                    "media": list(current.get("media") or []),
                    "kind": current.get("kind"),
                    "at": current.get("sentAt") or current.get("receivedAt"),
                    "providerMessageId": current.get("providerMessageId"),
                }
            ]
        if any(v.get("providerMessageId") == version.get("providerMessageId") for v in versions):
            return None
        versions = sorted([*versions, dict(version)], key=_version_at)
        latest = versions[-1]
        return {
            "versions": versions,
            "text": latest.get("text"),
            "media": list(latest.get("media") or []),
            "edited": True,
            "editedAt": latest.get("at"),
            "editCount": len(versions) - 1,
        }

    ref = message_ref(db, conversation_id, message_doc_id)
    written = compare_and_set(ref, decide)
    if written.current is None:
        return None
    fields = {**written.current, **written.fields}
    versions = [v for v in fields.get("versions") or [] if isinstance(v, Mapping)]
    return max(versions, key=_version_at) if versions else fields


def mark_deleted(
    db: Client, conversation_id: str, message_doc_id: str, *, at: datetime, revoked_by: str
) -> bool:
    """The customer deleted a message: marked ``deleted`` (content kept). False when the
    message is not stored here."""
    from google.api_core.exceptions import NotFound  # noqa: PLC0415

    ref = message_ref(db, conversation_id, message_doc_id)
    try:
        ref.update({"deleted": True, "deletedAt": at, "revokedBy": revoked_by})
    except NotFound:
        return False
    return True
