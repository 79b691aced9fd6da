"""What delivery re-checks against live data before sending: is this message still wanted?

Pure: the facts are read by ``shared.flows.live_checks`` and handed in. A reminder for a ticket
already picked up, an order already paid or a cart already bought is cancelled; a customer who
opted out since the plan gets nothing (a walk-in's STOP, kept in the consent ledger on their
number, too); a marketing message whose proof of consent is gone from the ledger is cancelled;
a message that would now land in quiet hours waits for the next allowed minute, and a marketing
SMS or WhatsApp outside the country's marketing window waits for it to open (to the second: a
legal window has no slack).
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
    Purpose,
    TicketStatus,
)
from shared.model.plan import Reason
from shared.model.record import WAITING, NotificationRecord
from shared.model.shop import ShopSettings
from shared.rules.cart_episodes import abandoned_reason
from shared.rules.consent import ConsentFacts
from shared.rules.timerules import MARKETING_CHANNELS, send_time

QUIET_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class Check:
    """The verdict: go ahead (with the live profile), cancel with a reason, or wait (until a
    time, or ``hold``: until the campaign it belongs to is resumed)."""

    cancel: bool = False
    hold: bool = False
    reason: str = ""
    reschedule_at: datetime | None = None
    profile: CustomerProfile | None = None


@dataclass(frozen=True)
class LiveFacts:
    """What was read for one check: the source document (when the type needs it), the
    customer's profile, the preferences on the client record of a walk-in, and what the consent
    ledger says (for a marketing message, or a walk-in's number; None when not read)."""

    source: Mapping[str, Any] | None = None
    profile: CustomerProfile | None = None
    client_preferences: Mapping[str, Any] | None = None
    consent: ConsentFacts | None = None


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

_CLIENT_SWITCH = {
    Channel.EMAIL: "emailEnabled",
    Channel.SMS: "smsEnabled",
    Channel.WHATSAPP: "whatsappEnabled",
}


def source_needed(record: NotificationRecord) -> str | None:
    """The reference field whose document the check must read, if the type needs one."""
    rule = SOURCE_CHECKS.get(record.type)
    return rule[0] if rule is not None else None


def _opted_out(record: NotificationRecord, facts: LiveFacts, shop: ShopSettings) -> str | None:
    marketing = record.effective_purpose is Purpose.MARKETING
    ledger = facts.consent
    if facts.profile is not None:
        prefs = facts.profile.notification_preferences
        if not prefs.allows(record.channel):
            return Reason.OPTED_OUT
        if marketing and not prefs.marketing_enabled:
            return Reason.MARKETING_NOT_ENABLED
        if marketing and ledger is not None and not ledger.allows_marketing(record.channel):
            return Reason.MARKETING_CONSENT_NOT_RECORDED  # withdrawn since the plan
        return None
    if marketing:
        return Reason.MARKETING_NOT_ENABLED  # marketing goes to a profile that accepted it
    # A walk-in without a profile who texted STOP: the webhook turned the switch off on the
    # client record when there is one, and the ledger holds it on the number in any case.
    # Only an explicit False counts (walk-ins never opted in to anything).
    key = _CLIENT_SWITCH.get(record.channel)
    switches = facts.client_preferences
    if key and switches is not None and switches.get(key) is False:
        return Reason.OPTED_OUT
    if ledger is not None and record.channel in ledger.opted_out:
        return Reason.OPTED_OUT
    walk_in = not record.customer_id and not record.profile_at_plan
    if walk_in and record.channel is Channel.SMS and not shop.walk_in_service_sms:
        return Reason.WALK_IN_SMS_OFF
    return None


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
        reason = _opted_out(record, facts, shop)
        if reason:
            return Check(cancel=True, reason=reason, profile=facts.profile)
    purpose = record.effective_purpose
    windowed = purpose is Purpose.MARKETING and record.channel in MARKETING_CHANNELS
    urgent = record.urgent or shop.is_urgent(record.type)
    allowed = send_time(
        now,
        channel=record.channel,
        purpose=purpose,
        country=record.country or "",
        settings=shop,
        fallback_country=default_country,
        # Quiet hours hold a message not yet attempted; a retry already under way goes on.
        quiet_hours=record.status in WAITING and not urgent,
    )
    slack = timedelta(0) if windowed else QUIET_SLACK
    if allowed > now + slack:
        return Check(reschedule_at=allowed, profile=facts.profile)
    return Check(profile=facts.profile)
