"""Answers to inbound messages: their texts and their outbox drafts.

The texts are catalog entries (``[replies]`` in ``templates/catalog/<language>.toml``) rendered
by the template engine, in the language notifications use (``shared.rules.language``): the
customer's when supported, else their country's, else English.

Replies go out like any message (``shared.flows.outbox.submit``): a ``notification_history``
document with a pre-rendered ``body``, then a task to ``deliver_notification``. They are
``urgent`` (an answer to someone who just wrote is never held for quiet hours) and typed
``reply.*`` (delivery does not cancel them for a switched-off channel: the opt-out
confirmation goes to the channel just switched off, once).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.model.enums import Channel, Provider
from shared.model.ids import notification_id, reply_event_id
from shared.model.record import NotificationRecord
from shared.rules.language import choose_language
from shared.rules.templates import UnknownTemplateError, render_reply
from shared.rules.templates.loader import label


class ReplyType(StrEnum):
    """``notification_history.type`` of each answer, and its id in the catalog."""

    OPT_OUT = "reply.opt_out"
    OPT_IN = "reply.opt_in"
    STATUS = "reply.status"
    AFTER_HOURS = "reply.after_hours"
    UNKNOWN_SENDER = "reply.unknown_sender"


def reply_language(profile_language: str | None, region: str | None) -> str:
    """The language of an answer: the one notifications to the same customer use."""
    return choose_language(profile_language, region)


def _consent_text(reply_type: ReplyType, lang: str, channel: Channel, shop: str | None) -> str:
    if label("channel", channel.value, lang) is None:
        raise UnknownTemplateError(f"no consent confirmation for {channel.value}")
    return render_reply(reply_type.value, lang, {"channel": channel.value, "shopName": shop})


def opt_out_text(lang: str, channel: Channel, shop_name: str | None = None) -> str:
    """The confirmation that ``channel`` is switched off, and how to switch it back on."""
    return _consent_text(ReplyType.OPT_OUT, lang, channel, shop_name)


def opt_in_text(lang: str, channel: Channel, shop_name: str | None = None) -> str:
    """The confirmation that ``channel`` is switched on again, and how to switch it off."""
    return _consent_text(ReplyType.OPT_IN, lang, channel, shop_name)


def status_text(
    lang: str, collection: str | None, record_id: str | None, data: Mapping[str, Any]
) -> str:
    """The latest ticket or order status, or a sentence saying there is none."""
    values: dict[str, Any] = {}
    if collection == "tickets" and record_id:
        values = {"ticketId": record_id, "status": data.get("status"), "device": data.get("device")}
    elif collection == "orders" and record_id:
        values = {
            "orderId": record_id,
            "status": data.get("status"),
            "trackingUrl": data.get("trackingUrl"),
        }
    return render_reply(ReplyType.STATUS.value, lang, values)


def after_hours_text(
    lang: str, opening: datetime, now: datetime, timezone: str, shop_name: str | None = None
) -> str:
    """The shop is closed: when it opens again (today, tomorrow or a weekday, local time)."""
    values = {"shopName": shop_name, "opening": opening, "now": now, "timezone": timezone}
    return render_reply(ReplyType.AFTER_HOURS.value, lang, values)


def unknown_sender_text(lang: str, shop_name: str | None = None) -> str:
    """A polite answer to a number the shop does not know."""
    return render_reply(ReplyType.UNKNOWN_SENDER.value, lang, {"shopName": shop_name})


def reply_draft(
    *,
    reply_type: ReplyType,
    dedupe_key: str,
    channel: Channel,
    provider: Provider,
    to: str,
    customer_id: str | None,
    body: str,
    language: str,
    country: str | None,
    refs: Mapping[str, str] | None = None,
) -> NotificationRecord:
    """An answer as an outbox draft; ``dedupe_key`` makes its id (one answer per key)."""
    source = reply_event_id(dedupe_key, reply_type.value)
    return NotificationRecord(
        notification_id=notification_id(source, reply_type.value, channel.value),
        type=reply_type.value,
        channel=channel,
        provider=provider,
        to=to,
        customer_id=customer_id,
        refs=dict(refs or {}),
        status_reason="reply",
        template=reply_type.value,
        language=language,
        country=country,
        body=body,
        source_event_id=source,
        urgent=True,
    )
