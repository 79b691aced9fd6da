"""Which adapter sends a notification: channel (+ provider) -> configured sender, or None."""

from __future__ import annotations

from typing import Protocol

from shared.model.enums import Channel, Provider
from shared.model.messages import Sender
from shared.platform.settings import Settings


class SenderRegistry(Protocol):
    """The senders a deployment has; None for a channel whose provider is not configured."""

    def sender_for(self, channel: Channel, provider: Provider | None) -> Sender | None: ...


def get_senders(settings: Settings) -> SenderRegistry:
    """The process-wide senders for ``settings`` (each SDK client created on first use)."""
    from shared.adapters.channels.factory import senders_from_settings  # noqa: PLC0415

    return senders_from_settings(settings)
