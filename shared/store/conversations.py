"""Outbound messages in ``conversations``: the contract keeps every message, both ways.

Inbound messages are stored by the webhooks; this records what delivery sent, under the same
conversation key (the customer id, else the recipient's E.164), with the notification id as
document id so a repeated record is the same document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, SendResult

if TYPE_CHECKING:
    from google.cloud.firestore import Client

CONVERSATIONS = "conversations"
MESSAGES = "messages"


def conversation_key(doc: Mapping[str, Any], message: OutboundMessage) -> str | None:
    customer_id = doc.get("customerId")
    if isinstance(customer_id, str) and customer_id and "/" not in customer_id:
        return customer_id
    if message.channel in (Channel.SMS, Channel.WHATSAPP) and message.to.startswith("+"):
        return message.to
    return None


def record_outbound(
    db: Client,
    notification_id: str,
    doc: Mapping[str, Any],
    message: OutboundMessage,
    result: SendResult,
    *,
    now: datetime,
) -> None:
    """Add the sent message to its conversation (push notifications are not conversations)."""
    if message.channel is Channel.PUSH:
        return
    key = conversation_key(doc, message)
    if key is None:
        return
    db.collection(CONVERSATIONS).document(key).collection(MESSAGES).document(notification_id).set(
        {
            "direction": "outbound",
            "channel": message.channel.value,
            "provider": result.provider.value,
            "providerMessageId": result.provider_message_id,
            "notificationId": notification_id,
            "type": doc.get("type"),
            "to": message.to,
            "subject": message.subject,
            "text": message.text if not message.use_template else None,
            "template": message.template.content_sid or message.template.meta_name
            if message.use_template and message.template
            else None,
            "at": now,
        }
    )
