"""What delivery re-checks against live data before sending: is this message still wanted?

A reminder for a ticket already picked up, an order already paid or a cart already bought is
cancelled; a customer who opted out since the plan gets nothing; a message that would now
land in quiet hours waits for the next allowed minute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.model.documents import CustomerProfile, parse_profile
from shared.model.enums import (
    Channel,
    EventKey,
    NotificationStatus,
    OrderStatus,
    PaymentStatus,
    TicketStatus,
)
from shared.model.shop import ShopSettings
from shared.rules.cart_episodes import abandoned_reason
from shared.rules.timerules import QUIET_CHANNELS, next_allowed_send
from shared.store.client import read
from shared.store.customers import CLIENTS, PROFILES

if TYPE_CHECKING:
    from google.cloud.firestore import Client

QUIET_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class Check:
    """The verdict: go ahead (with the live profile), cancel with a reason, or wait."""

    cancel: bool = False
    reason: str = ""
    reschedule_at: datetime | None = None
    profile: CustomerProfile | None = None


SourceCheck = Callable[[Mapping[str, Any] | None], str | None]


def _ticket_waiting_for_pickup(ticket: Mapping[str, Any] | None) -> str | None:
    if ticket is None:
        return "ticket_deleted"
    status = TicketStatus(str(ticket.get("status") or "unknown"))
    return None if status is TicketStatus.COMPLETED else f"ticket_{status.value}"


def _order_awaiting_payment(order: Mapping[str, Any] | None) -> str | None:
    if order is None:
        return "order_deleted"
    if OrderStatus(str(order.get("status") or "unknown")) is OrderStatus.CANCELLED:
        return "order_cancelled"
    payment = PaymentStatus(str(order.get("paymentStatus") or "unknown"))
    if payment in (PaymentStatus.PENDING, PaymentStatus.OVERDUE):
        return None
    return f"order_{payment.value}"


def _cart_still_abandoned(cart: Mapping[str, Any] | None) -> str | None:
    # Bought, deleted, or the customer came back (new episode) since the reminder was planned.
    return abandoned_reason(cart)


# Event key -> (collection, id field, check). Keys absent here are sent whatever the source.
SOURCE_CHECKS: dict[str, tuple[str, str, SourceCheck]] = {
    EventKey.TICKET_PICKUP_REMINDER.value: ("tickets", "ticketId", _ticket_waiting_for_pickup),
    EventKey.ORDER_PAYMENT_REMINDER.value: ("orders", "orderId", _order_awaiting_payment),
    EventKey.CART_REMINDER_1.value: ("carts", "cartId", _cart_still_abandoned),
    EventKey.CART_REMINDER_2.value: ("carts", "cartId", _cart_still_abandoned),
}

_CHANNEL_SWITCH = {
    Channel.EMAIL: "email_enabled",
    Channel.SMS: "sms_enabled",
    Channel.WHATSAPP: "whatsapp_enabled",
    Channel.PUSH: "push_enabled",
}


def _opted_out(profile: CustomerProfile, channel: Channel, event_type: str) -> str | None:
    prefs = profile.notification_preferences
    if not getattr(prefs, _CHANNEL_SWITCH[channel]):
        return "opted_out"
    if event_type.startswith("cart.") and not prefs.marketing_enabled:
        return "marketing_not_enabled"
    return None


def _client_opted_out(db: Client, client_id: Any, channel: Channel) -> str | None:
    """A walk-in without a profile who texted STOP: the webhook turned the switch off on the
    client record. Only an explicit ``False`` counts (walk-ins never opted in to anything)."""
    if not isinstance(client_id, str) or not client_id or "/" in client_id:
        return None
    client = read(db.collection(CLIENTS).document(client_id)) or {}
    prefs = client.get("notificationPreferences")
    if not isinstance(prefs, Mapping):
        return None
    key = {"email": "emailEnabled", "sms": "smsEnabled", "whatsapp": "whatsappEnabled"}.get(
        channel.value
    )
    return "opted_out" if key and prefs.get(key) is False else None


def check(
    db: Client,
    doc: Mapping[str, Any],
    *,
    now: datetime,
    shop: ShopSettings,
    default_country: str = "FR",
) -> Check:
    """Re-read what the message depends on and decide."""
    event_type = str(doc.get("type") or "")
    rule = SOURCE_CHECKS.get(event_type)
    if rule is not None:
        collection, id_field, still_wanted = rule
        source_id = doc.get(id_field)
        source = (
            read(db.collection(collection).document(str(source_id)))
            if isinstance(source_id, str) and source_id and "/" not in source_id
            else None
        )
        reason = still_wanted(source)
        if reason:
            return Check(cancel=True, reason=reason)

    profile = None
    customer_id = doc.get("customerId")
    if isinstance(customer_id, str) and customer_id and "/" not in customer_id:
        profile = parse_profile(customer_id, read(db.collection(PROFILES).document(customer_id)))
    channel = Channel(str(doc.get("channel")))
    if not event_type.startswith("reply."):
        reason = (
            _opted_out(profile, channel, event_type)
            if profile is not None
            else _client_opted_out(db, doc.get("clientId"), channel)
        )
        if reason:
            return Check(cancel=True, reason=reason, profile=profile)

    status = NotificationStatus(str(doc.get("status") or "unknown"))
    urgent = bool(doc.get("urgent")) or shop.is_urgent(event_type)
    quiet_applies = channel in QUIET_CHANNELS and not urgent
    if status in (NotificationStatus.PENDING, NotificationStatus.SCHEDULED) and quiet_applies:
        country = str(doc.get("country") or "")
        allowed = next_allowed_send(now, country, shop, fallback_country=default_country)
        if allowed > now + QUIET_SLACK:
            return Check(reschedule_at=allowed, profile=profile)
    return Check(profile=profile)


def remove_push_tokens(db: Client, customer_id: str, tokens: tuple[str, ...]) -> None:
    """Forget push tokens FCM called unregistered or invalid."""
    from google.cloud import firestore  # noqa: PLC0415

    db.collection(PROFILES).document(customer_id).update(
        {"fcmTokens": firestore.ArrayRemove(list(tokens))}
    )
