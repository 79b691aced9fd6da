"""Moved from functions.boundary.payloads (issue 12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from shared.model.enums import Channel, NotificationStatus, Provider

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class StatusUpdate:
    """One delivery status reported for a message we sent."""

    provider: Provider
    message_id: str
    provider_status: str
    status: NotificationStatus
    at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    cost: float | None = None
    currency: str | None = None
    pricing: Mapping[str, Any] | None = None
    conversation: Mapping[str, Any] | None = None
    notification_hint: str | None = None  # Meta ``biz_opaque_callback_data``
    errors: tuple[Mapping[str, Any], ...] = ()  # Meta's error objects, for classification


@dataclass(frozen=True)
class InboundMessage:
    """One message a customer sent us."""

    provider: Provider
    channel: Channel
    message_id: str
    sender: str  # as the provider wrote it: ``whatsapp:+336...``, ``+336...`` or a wa_id
    kind: str  # text, image, audio, location, reaction, button, unsupported, ...
    text: str | None = None
    recipient: str | None = None
    profile_name: str | None = None
    at: datetime | None = None
    media: tuple[Mapping[str, str], ...] = ()
    opt_out_type: str | None = None  # Twilio Advanced Opt-Out: STOP / START / HELP
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class PreferenceUpdate:
    """Meta ``user_preferences``: a customer stopped or resumed marketing messages."""

    wa_id: str
    category: str
    value: str
    at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class MetaBatch:
    """Everything one Meta webhook body carries."""

    statuses: tuple[StatusUpdate, ...] = ()
    messages: tuple[InboundMessage, ...] = ()
    preferences: tuple[PreferenceUpdate, ...] = ()
    ignored: int = 0
