"""Moved from shared.flows.outbox (issue 12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel, NotificationStatus, Provider

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Draft:
    """One message to one channel, as planned; becomes one history document."""

    notification_id: str
    type: str
    channel: Channel
    provider: Provider | None
    to: str | None
    customer_id: str | None
    refs: Mapping[str, str] = field(default_factory=dict)
    status: NotificationStatus = NotificationStatus.PENDING
    status_reason: str = ""
    status_detail: str = ""
    template: str = ""
    language: str = "fr"
    country: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    body: str | None = None
    source_event_id: str = ""
    scheduled_for: datetime | None = None
    fallback_channel: Channel | None = None
    fallback_to: str | None = None
    fallback_provider: Provider | None = None
    fallback_of: str | None = None
    urgent: bool = False
