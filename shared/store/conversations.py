"""``conversations/{customerId or E.164 or WhatsApp user id}``: every message, both ways.

Inbound messages are stored by the inbound flow (``message_ref``, the message document being
its claim); ``outbound_write`` is what delivery records of what it sent (committed with the
notification's ``sent`` write), under the same conversation key (the customer id, else the
recipient's E.164), with the notification id as document id so a repeated record is the same
document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, SendResult
from shared.model.record import NotificationRecord
from shared.rules.whatsapp_ids import is_whatsapp_user_id
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
