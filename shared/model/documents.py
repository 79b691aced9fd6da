"""The customer documents of the contract: profiles and the counter's client records.

Parsed leniently (unknown fields kept, a field of the wrong type read as its default with the
rest of the document still usable) because they are written by apps and people, not by us.
Plain frozen dataclasses with their own small parsers: read on nearly every request, they must
cost nothing at import (no validation library loaded for them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from shared.model.consent import ConsentState
from shared.model.enums import Channel

_TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "f", "n"})


def as_bool(value: Any, default: bool) -> bool:
    """A switch as apps write it (``true``, ``"yes"``, ``1``...); anything else: ``default``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return default


def as_text(value: Any) -> str | None:
    """A text field: a string (kept as written), anything else None."""
    return value if isinstance(value, str) else None


# Each channel's switch on ``NotificationPreferences`` (the attribute's name).
CHANNEL_SWITCHES: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.EMAIL: "email_enabled",
        Channel.SMS: "sms_enabled",
        Channel.WHATSAPP: "whatsapp_enabled",
        Channel.PUSH: "push_enabled",
    }
)


@dataclass(frozen=True)
class NotificationPreferences:
    """Per-customer channel switches, with the contract's defaults (SMS and marketing opt-in)."""

    email_enabled: bool = True
    sms_enabled: bool = False
    whatsapp_enabled: bool = False
    push_enabled: bool = True
    marketing_enabled: bool = False

    def allows(self, channel: Channel) -> bool:
        """Whether the customer's switch for ``channel`` is on."""
        return bool(getattr(self, CHANNEL_SWITCHES[channel]))

    def without(self, channels: Iterable[Channel]) -> NotificationPreferences:
        """These preferences with the switches of ``channels`` off."""
        fields = {CHANNEL_SWITCHES[c]: False for c in channels}
        return replace(self, **fields) if fields else self

    @classmethod
    def from_document(cls, data: Any) -> NotificationPreferences:
        raw: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        return cls(
            email_enabled=as_bool(raw.get("emailEnabled"), True),
            sms_enabled=as_bool(raw.get("smsEnabled"), False),
            whatsapp_enabled=as_bool(raw.get("whatsappEnabled"), False),
            push_enabled=as_bool(raw.get("pushEnabled"), True),
            marketing_enabled=as_bool(raw.get("marketingEnabled"), False),
        )


@dataclass(frozen=True)
class CustomerProfile:
    """``customer_profiles/{customerId}``; ``extra`` keeps the fields this model does not name."""

    id: str = ""
    display_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    country: str | None = None
    language: str | None = None
    client_id: str | None = None
    fcm_tokens: tuple[str, ...] = ()
    notification_preferences: NotificationPreferences = field(
        default_factory=NotificationPreferences
    )
    last_inbound_at: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Kept by the system (issue 14): the WhatsApp business-scoped user id seen with this
    # customer's number, and the number WhatsApp said they moved to (``user_changed_number``).
    whatsapp_user_id: str | None = None
    whatsapp_phone: str | None = None
    # Kept by the system (``on_consent_written``): the customer's ledger, replayed.
    consent_state: ConsentState | None = None

    @classmethod
    def from_document(cls, customer_id: str, data: Mapping[str, Any]) -> CustomerProfile:
        """Lenient: a field of the wrong type reads as its default, the rest stays usable; a
        push-token list keeps its string elements (one bad element drops only itself)."""
        tokens = data.get("fcmTokens")
        last = data.get("lastInboundAt")
        known = _PROFILE_FIELDS
        return cls(
            id=customer_id,
            display_name=as_text(data.get("displayName")),
            email=as_text(data.get("email")),
            phone_number=as_text(data.get("phoneNumber")),
            country=as_text(data.get("country")),
            language=as_text(data.get("language")),
            client_id=as_text(data.get("clientId")),
            fcm_tokens=tuple(t for t in tokens if isinstance(t, str) and t)
            if isinstance(tokens, list | tuple)
            else (),
            notification_preferences=NotificationPreferences.from_document(
                data.get("notificationPreferences")
            ),
            last_inbound_at=MappingProxyType(dict(last)) if isinstance(last, Mapping) else {},
            extra=MappingProxyType({k: v for k, v in data.items() if k not in known}),
            whatsapp_user_id=as_text(data.get("whatsappUserId")),
            whatsapp_phone=as_text(data.get("whatsappPhone")),
            consent_state=ConsentState.from_document(data.get("consentState")),
        )


_PROFILE_FIELDS = frozenset(
    {
        "id",
        "displayName",
        "email",
        "phoneNumber",
        "country",
        "language",
        "clientId",
        "fcmTokens",
        "notificationPreferences",
        "lastInboundAt",
        "whatsappUserId",
        "whatsappPhone",
        "consentState",
    }
)


_CLIENT_SWITCHES = {
    "emailEnabled": Channel.EMAIL,
    "smsEnabled": Channel.SMS,
    "whatsappEnabled": Channel.WHATSAPP,
}


@dataclass(frozen=True)
class ClientRecord:
    """``clients/{clientId}``: made at the counter, often phone only.

    ``opted_out``: the channels a walk-in without a profile switched off (their STOP is kept on
    this record's ``notificationPreferences``). Only an explicit ``false`` counts: a walk-in
    never opted in to anything, so silence is not an opt-out.
    """

    id: str = ""
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    opted_out: frozenset[Channel] = frozenset()

    @classmethod
    def from_document(cls, client_id: str, data: Mapping[str, Any]) -> ClientRecord:
        switches = data.get("notificationPreferences")
        raw: Mapping[str, Any] = switches if isinstance(switches, Mapping) else {}
        return cls(
            id=client_id,
            name=as_text(data.get("name")),
            phone=as_text(data.get("phone")),
            email=as_text(data.get("email")),
            opted_out=frozenset(
                channel for key, channel in _CLIENT_SWITCHES.items() if raw.get(key) is False
            ),
        )


@dataclass(frozen=True)
class CustomerContext:
    """The customer behind a document: ``profile`` is None for walk-ins or missing profiles."""

    customer_id: str | None
    profile: CustomerProfile | None
    client: ClientRecord | None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_profile(customer_id: str, data: Mapping[str, Any] | None) -> CustomerProfile | None:
    return None if data is None else CustomerProfile.from_document(customer_id, data)


def parse_client(client_id: str, data: Mapping[str, Any] | None) -> ClientRecord | None:
    return None if data is None else ClientRecord.from_document(client_id, data)
