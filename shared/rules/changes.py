"""Which customer events a document change means: pure functions of before and after.

An edit that changes no status sends nothing. Delayed reminders are returned with the time
they become due; whether they are still wanted is checked again at delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.model.enums import EventKey, OrderStatus, PaymentStatus, TicketStatus
from shared.platform.clock import as_datetime

_TICKET_KEYS = {
    TicketStatus.DIAGNOSING: EventKey.TICKET_STATUS_CHANGED,
    TicketStatus.WAITING_PARTS: EventKey.TICKET_STATUS_CHANGED,
    TicketStatus.IN_REPAIR: EventKey.TICKET_STATUS_CHANGED,
    TicketStatus.COMPLETED: EventKey.TICKET_COMPLETED,
}
_ORDER_KEYS = {
    OrderStatus.SHIPPED: EventKey.ORDER_SHIPPED,
    OrderStatus.OUT_FOR_DELIVERY: EventKey.ORDER_OUT_FOR_DELIVERY,
    OrderStatus.DELIVERED: EventKey.ORDER_DELIVERED,
    OrderStatus.CANCELLED: EventKey.ORDER_CANCELLED,
}


@dataclass(frozen=True)
class CustomerEvent:
    """One thing to tell the customer about, now or at ``due_at``."""

    key: EventKey
    due_at: datetime | None = None


def _status(doc: Mapping[str, Any] | None) -> str | None:
    if doc is None:
        return None
    value = doc.get("status")
    return value.strip().lower() if isinstance(value, str) else None


def ticket_events(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    completed_at: datetime,
    pickup_reminder_days: int,
) -> list[CustomerEvent]:
    """``tickets/{id}`` change -> events: received on creation, then one per status move.

    A ticket created already completed (entered after the fact) says so instead of "received";
    one created at any other stage just says "received": one message, not two at once.
    """
    if after is None:
        return []
    new = TicketStatus(_status(after) or "unknown")
    if before is None and new is not TicketStatus.COMPLETED:
        return [CustomerEvent(EventKey.TICKET_RECEIVED)]
    if before is not None and _status(before) == _status(after):
        return []
    events: list[CustomerEvent] = []
    key = _TICKET_KEYS.get(new)
    if key is not None:
        events.append(CustomerEvent(key))
    if new is TicketStatus.COMPLETED and pickup_reminder_days > 0:
        due = completed_at + timedelta(days=pickup_reminder_days)
        events.append(CustomerEvent(EventKey.TICKET_PICKUP_REMINDER, due_at=due))
    return events


def payment_reminder_due(
    order: Mapping[str, Any], *, hours_before: int, now: datetime
) -> datetime | None:
    """When to remind about payment, or ``None`` when no reminder makes sense.

    Only while ``paymentStatus`` is pending and the due date is still ahead; a due date closer
    than ``hours_before`` gets its reminder right away.
    """
    if PaymentStatus(str(order.get("paymentStatus") or "unknown")) is not PaymentStatus.PENDING:
        return None
    if OrderStatus(str(order.get("status") or "unknown")) is OrderStatus.CANCELLED:
        return None
    due = as_datetime(order.get("paymentDueAt"))
    if due is None or due <= now:
        return None
    return max(now, due - timedelta(hours=hours_before))


def order_events(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    now: datetime,
    payment_reminder_hours_before: int,
) -> list[CustomerEvent]:
    """``orders/{id}`` change -> events: placed on creation, shipping moves, payment reminder."""
    if after is None:
        return []
    events: list[CustomerEvent] = []
    if before is None:
        events.append(CustomerEvent(EventKey.ORDER_PLACED))
    elif _status(before) != _status(after):
        key = _ORDER_KEYS.get(OrderStatus(_status(after) or "unknown"))
        if key is not None:
            events.append(CustomerEvent(key))
    due_changed = before is None or before.get("paymentDueAt") != after.get("paymentDueAt")
    if due_changed:
        due = payment_reminder_due(after, hours_before=payment_reminder_hours_before, now=now)
        if due is not None:
            events.append(CustomerEvent(EventKey.ORDER_PAYMENT_REMINDER, due_at=due))
    return events
