"""Moved from shared.model.documents (issue 12)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class _TolerantEnum(StrEnum):
    """A string enum whose unknown values map to ``UNKNOWN`` instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            for member in cls:
                if member.value == lowered:
                    return member
        return cls.__members__.get("UNKNOWN")


class Channel(StrEnum):
    """A way to reach a customer."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"


class Provider(StrEnum):
    """Who carries a channel."""

    TWILIO = "twilio"
    META = "meta"
    SMTP = "smtp"
    FCM = "fcm"


class EventKey(StrEnum):
    """The event keys of the contract: what happened, in the customer's terms."""

    TICKET_RECEIVED = "ticket.received"
    TICKET_STATUS_CHANGED = "ticket.status_changed"
    TICKET_COMPLETED = "ticket.completed"
    TICKET_PICKUP_REMINDER = "ticket.pickup_reminder"
    ORDER_PLACED = "order.placed"
    ORDER_SHIPPED = "order.shipped"
    ORDER_OUT_FOR_DELIVERY = "order.out_for_delivery"
    ORDER_DELIVERED = "order.delivered"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_PAYMENT_REMINDER = "order.payment_reminder"
    CART_REMINDER_1 = "cart.reminder_1"
    CART_REMINDER_2 = "cart.reminder_2"

    @property
    def is_marketing(self) -> bool:
        """Marketing messages need a recorded opt-in; service ones do not."""
        return self.purpose is Purpose.MARKETING

    @property
    def purpose(self) -> Purpose:
        return purpose_of(self.value)


class NotificationStatus(_TolerantEnum):
    """Lifecycle of one message to one channel (``notification_history.status``)."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class TicketStatus(_TolerantEnum):
    RECEIVED = "received"
    DIAGNOSING = "diagnosing"
    WAITING_PARTS = "waiting_parts"
    IN_REPAIR = "in_repair"
    COMPLETED = "completed"
    PICKED_UP = "picked_up"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class OrderStatus(_TolerantEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class PaymentStatus(_TolerantEnum):
    PENDING = "pending"
    PAID = "paid"
    OVERDUE = "overdue"
    UNKNOWN = "unknown"


class CartStatus(_TolerantEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    UNKNOWN = "unknown"


class Purpose(StrEnum):
    """Why a message is sent: consent, send windows and footers follow it (``purpose``)."""

    SERVICE = "service"  # the customer's own repair or order, replies to them
    MARKETING = "marketing"  # cart reminders, campaigns


MARKETING_PREFIXES = ("cart.", "campaign.")


def purpose_of(event_type: str) -> Purpose:
    """The purpose of an event key or reply type: marketing for carts and campaigns."""
    return Purpose.MARKETING if event_type.startswith(MARKETING_PREFIXES) else Purpose.SERVICE
