"""The vocabulary of the contract: channels, event keys, statuses and the Firestore documents.

Documents are parsed leniently (unknown fields kept, wrong types of optional fields dropped with
the rest of the document still usable) because they are written by apps and people, not by us.
Enums that mirror provider values have an ``UNKNOWN`` member instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


from pydantic import BaseModel, ConfigDict, Field, field_validator


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


@dataclass(frozen=True)
class CustomerContext:
    """The customer behind a document: ``profile`` is None for walk-ins or missing profiles."""

    customer_id: str | None
    profile: CustomerProfile | None
    client: ClientRecord | None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_profile(customer_id: str, data: Mapping[str, Any] | None) -> CustomerProfile | None:
    if data is None:
        return None
    return CustomerProfile.model_validate({**data, "id": customer_id})


def parse_client(client_id: str, data: Mapping[str, Any] | None) -> ClientRecord | None:
    if data is None:
        return None
    return ClientRecord.model_validate({**data, "id": client_id})
