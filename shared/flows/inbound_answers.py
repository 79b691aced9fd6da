"""Answers to inbound messages: status questions, and messages for a person at the shop.

A status question (or a short message naming one of their tickets) is answered with the named
ticket's status, else the latest ticket's or order's, else "none found". Anything else lands in
the staff inbox; a stranger gets a polite answer (once a day), a known customer an auto-reply
when the shop is closed (once per closing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.flows.inbound_context import Context
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.rules import replies
from shared.rules.keywords import short_ticket_mention
from shared.rules.replies import ReplyType
from shared.rules.timerules import in_business_hours, next_business_opening
from shared.store import inbox
from shared.store.lookup import Customer, Record, latest_record, ticket_by_number

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

Answer = tuple[str, list[NotificationRecord]]


def named_ticket(db: Client, customer: Customer, text: str | None) -> Record | None:
    """A ticket of this customer named in a short message (``"T123"``, ``"statut T123 ?"``)."""
    candidates = short_ticket_mention(text)
    return ticket_by_number(db, customer, candidates) if candidates else None


def status(ctx: Context, record: Record | None) -> Answer:
    """The named ticket's status, else the latest ticket's or order's, else "none found"."""
    if record is None and ctx.customer.known:
        record = latest_record(ctx.db, ctx.customer)
    if record is None:
        body = replies.status_text(ctx.language, None, None, {})
        return "status", [ctx.reply(ReplyType.STATUS, body)]
    ref_field = "ticketId" if record.collection == "tickets" else "orderId"
    body = replies.status_text(ctx.language, record.collection, record.id, record.data)
    return "status", [ctx.reply(ReplyType.STATUS, body, refs={ref_field: record.id})]


def for_a_person(ctx: Context) -> Answer:
    """Into the staff inbox; a polite answer to a stranger, an auto-reply when closed."""
    _to_inbox(ctx)
    customer, now = ctx.customer, ctx.now
    if not customer.known:
        log.info("message from an unknown sender %s", customer.masked)
        body = replies.unknown_sender_text(ctx.language, ctx.shop.shop_name)
        day_key = f"unknown:{customer.address}:{now.date().isoformat()}"
        return "inbox", [ctx.reply(ReplyType.UNKNOWN_SENDER, body, dedupe_key=day_key)]
    fallback = ctx.settings.default_country
    profile_country = customer.profile.country if customer.profile else None
    country = profile_country or customer.region or fallback
    if in_business_hours(now, country, ctx.shop, fallback_country=fallback):
        return "inbox", []
    opening = next_business_opening(now, country, ctx.shop, fallback_country=fallback)
    hours = ctx.shop.business_hours_for(country, fallback)
    timezone = hours.timezone if hours else "UTC"
    body = replies.after_hours_text(ctx.language, opening, now, timezone, ctx.shop.shop_name)
    closing_key = f"after_hours:{customer.conversation_id}:{opening.isoformat()}"
    return "inbox", [ctx.reply(ReplyType.AFTER_HOURS, body, dedupe_key=closing_key)]


def _to_inbox(ctx: Context) -> None:
    message, customer = ctx.message, ctx.customer
    inbox.add(
        ctx.db,
        ctx.key,
        {
            "customerId": customer.customer_id,
            "clientId": customer.client.id if customer.client else None,
            "name": customer.name or message.profile_name,
            "phone": customer.phone.e164 if customer.phone else None,
            **({"whatsappUserId": customer.user_id} if customer.user_id else {}),
            "channel": message.channel.value,
            "provider": message.provider.value,
            "text": message.text or "",
            "kind": message.kind,
            "mediaCount": len(message.media),
            "receivedAt": ctx.now,
            "status": "open",
            "conversationId": customer.conversation_id,
            "messagePath": ctx.ref.path,
            "ambiguousContacts": list(customer.ambiguous),
        },
    )
