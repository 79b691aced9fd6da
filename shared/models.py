"""The vocabulary of the contract: channels, event keys, statuses and the Firestore documents.

Documents are parsed leniently (unknown fields kept, wrong types of optional fields dropped with
the rest of the document still usable) because they are written by apps and people, not by us.
Enums that mirror provider values have an ``UNKNOWN`` member instead of raising.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
        """Marketing messages need ``marketingEnabled``; transactional ones do not."""
        return self.value.startswith("cart.")

    @property
    def source_collection(self) -> str:
        return {"ticket": "tickets", "order": "orders", "cart": "carts"}[self.value.split(".")[0]]


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


class _Document(BaseModel):
    """Base for Firestore documents written by apps: extra fields kept, bad optionals ignored."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @field_validator("*", mode="wrap")
    @classmethod
    def _drop_invalid_optional(cls, value: Any, handler: Any, info: Any) -> Any:
        try:
            return handler(value)
        except ValueError:
            field = cls.model_fields.get(info.field_name) if info.field_name else None
            if field is not None and not field.is_required():
                return field.get_default(call_default_factory=True)
            raise


class NotificationPreferences(_Document):
    """Per-customer channel switches, with the contract's defaults (SMS and marketing opt-in)."""

    email_enabled: bool = Field(default=True, alias="emailEnabled")
    sms_enabled: bool = Field(default=False, alias="smsEnabled")
    whatsapp_enabled: bool = Field(default=False, alias="whatsappEnabled")
    push_enabled: bool = Field(default=True, alias="pushEnabled")
    marketing_enabled: bool = Field(default=False, alias="marketingEnabled")


class CustomerProfile(_Document):
    """``customer_profiles/{customerId}``."""

    id: str = ""
    display_name: str | None = Field(default=None, alias="displayName")
    email: str | None = None
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    country: str | None = None
    language: str | None = None
    client_id: str | None = Field(default=None, alias="clientId")
    fcm_tokens: list[str] = Field(default_factory=list, alias="fcmTokens")
    notification_preferences: NotificationPreferences = Field(
        default_factory=NotificationPreferences, alias="notificationPreferences"
    )
    last_inbound_at: dict[str, Any] = Field(default_factory=dict, alias="lastInboundAt")


class ClientRecord(_Document):
    """``clients/{clientId}``: made at the counter, often phone only."""

    id: str = ""
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class CartItem(_Document):
    sku: str | None = None
    name: str | None = None
    quantity: float = 1
    price: float | None = None


def document_data(model: BaseModel) -> dict[str, Any]:
    """A model back to its Firestore field names (camelCase), unset optionals left out."""
    return model.model_dump(by_alias=True, exclude_none=True)
