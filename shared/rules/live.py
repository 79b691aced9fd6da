"""What delivery re-checks against live data before sending: is this message still wanted?

Pure: the facts are read by ``shared.flows.live_checks`` and handed in. A reminder for a ticket
already picked up, an order already paid or a cart already bought is cancelled; a customer who
opted out since the plan gets nothing; a message that would now land in quiet hours waits for
the next allowed minute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.model.documents import CustomerProfile
from shared.model.enums import (
    Channel,
    EventKey,
    OrderStatus,
    PaymentStatus,
    TicketStatus,
)
from shared.model.record import WAITING, NotificationRecord
from shared.model.shop import ShopSettings
from shared.rules.cart_episodes import abandoned_reason
from shared.rules.timerules import QUIET_CHANNELS, next_allowed_send

QUIET_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class Check:
    """The verdict: go ahead (with the live profile), cancel with a reason, or wait."""

    cancel: bool = False
    reason: str = ""
    reschedule_at: datetime | None = None
    profile: CustomerProfile | None = None


@dataclass(frozen=True)
class LiveFacts:
    """What was read for one check: the source document (when the type needs it), the
    customer's profile, and the preferences on the client record of a walk-in."""

    source: Mapping[str, Any] | None = None
    profile: CustomerProfile | None = None
    client_preferences: Mapping[str, Any] | None = None


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


# Event key -> (reference field of the document it depends on, check). Keys absent here are
# sent whatever becomes of their source. A cart reminder waits on a cart still abandoned: not
# bought, not deleted, the customer not back since (a new episode).
SOURCE_CHECKS: dict[str, tuple[str, SourceCheck]] = {
    EventKey.TICKET_PICKUP_REMINDER.value: ("ticketId", _ticket_waiting_for_pickup),
    EventKey.ORDER_PAYMENT_REMINDER.value: ("orderId", _order_awaiting_payment),
    EventKey.CART_REMINDER_1.value: ("cartId", abandoned_reason),
    EventKey.CART_REMINDER_2.value: ("cartId", abandoned_reason),
}

_CHANNEL_SWITCH = {
    Channel.EMAIL: "email_enabled",
    Channel.SMS: "sms_enabled",
    Channel.WHATSAPP: "whatsapp_enabled",
    Channel.PUSH: "push_enabled",
}
_CLIENT_SWITCH = {
    Channel.EMAIL: "emailEnabled",
    Channel.SMS: "smsEnabled",
    Channel.WHATSAPP: "whatsappEnabled",
}


def source_needed(record: NotificationRecord) -> str | None:
    """The reference field whose document the check must read, if the type needs one."""
    rule = SOURCE_CHECKS.get(record.type)
    return rule[0] if rule is not None else None


def _opted_out(record: NotificationRecord, facts: LiveFacts) -> str | None:
    if facts.profile is not None:
        prefs = facts.profile.notification_preferences
        if not getattr(prefs, _CHANNEL_SWITCH[record.channel]):
            return "opted_out"
        if record.type.startswith("cart.") and not prefs.marketing_enabled:
            return "marketing_not_enabled"
        return None
    # A walk-in without a profile who texted STOP: the webhook turned the switch off on the
    # client record. Only an explicit False counts (walk-ins never opted in to anything).
    key = _CLIENT_SWITCH.get(record.channel)
    switches = facts.client_preferences
    return "opted_out" if key and switches is not None and switches.get(key) is False else None


def verdict(
    record: NotificationRecord,
    facts: LiveFacts,
    *,
    now: datetime,
    shop: ShopSettings,
    default_country: str = "FR",
) -> Check:
    """Go, cancel (why) or wait (until when), from what was read."""
    rule = SOURCE_CHECKS.get(record.type)
    if rule is not None:
        reason = rule[1](facts.source)
        if reason:
            return Check(cancel=True, reason=reason)
    if record.profile_at_plan and facts.profile is None:
        return Check(cancel=True, reason="customer_deleted")  # they left since the plan
    if not record.is_reply:
        reason = _opted_out(record, facts)
        if reason:
            return Check(cancel=True, reason=reason, profile=facts.profile)
    urgent = record.urgent or shop.is_urgent(record.type)
    quiet_applies = record.channel in QUIET_CHANNELS and not urgent
    if record.status in WAITING and quiet_applies:
        allowed = next_allowed_send(
            now, record.country or "", shop, fallback_country=default_country
        )
        if allowed > now + QUIET_SLACK:
            return Check(reschedule_at=allowed, profile=facts.profile)
    return Check(profile=facts.profile)
