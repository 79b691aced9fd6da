"""What every channel adapter takes and returns, and the one protocol they share.

An adapter is told *what* to send (an ``OutboundMessage``, already rendered and routed: the
pipeline chose the channel, the recipient and whether the WhatsApp window is open) and answers
with the provider's receipt (``SendResult``) or raises a classified ``ProviderError``
(``shared.channels.errors``). Adapters take their SDK client as an argument and create a default
lazily, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from shared.model.enums import Channel, Provider

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved template for sends outside the 24-hour window.

    ``content_sid`` is Twilio's Content API template (``HX...``); ``meta_name`` and
    ``meta_language`` name the same template on the Cloud API. ``variables`` fill ``{{1}}``,
    ``{{2}}``... in order.
    """

    content_sid: str | None = None
    meta_name: str | None = None
    meta_language: str | None = None
    variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboundMessage:
    """One rendered message to one recipient on one channel.

    ``to`` is E.164 (``+33612345678``) for SMS and WhatsApp, an email address for email, and
    ignored for push (``push_tokens`` are the devices). ``use_template`` says the WhatsApp
    24-hour window is closed, so ``template`` must be sent instead of ``text``.
    """

    notification_id: str
    channel: Channel
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    title: str | None = None
    push_tokens: tuple[str, ...] = ()
    template: WhatsAppTemplate | None = None
    use_template: bool = False
    data: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Email only: extra headers (a marketing email's List-Unsubscribe and -Post, RFC 8058).
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class SendResult:
    """The provider's receipt for an accepted message.

    ``status`` is the provider's own word (Twilio ``queued``/``accepted``, Meta ``accepted``,
    SMTP and FCM ``sent``); ``price`` and ``price_unit`` only when the provider says (Twilio
    usually answers ``null`` at send time). ``invalid_tokens`` lists push tokens FCM rejected
    as unregistered or malformed: the pipeline removes them from the profile. ``raw`` keeps the
    non-personal fields of the provider's answer for the history document and debugging.
    """

    provider: Provider
    provider_message_id: str | None
    status: str
    segments: int | None = None
    price: str | None = None
    price_unit: str | None = None
    invalid_tokens: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


class Sender(Protocol):
    """A channel adapter: sends one message, or finds it if a previous attempt got through."""

    provider: Provider

    def send(self, message: OutboundMessage) -> SendResult:
        """Send ``message``; raise ``TransientProviderError`` / ``PermanentProviderError``."""
        ...

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """The message a previous attempt (started at ``since``) got accepted, if one did.

        Called before resending after an ambiguous failure (a timeout after the request left):
        the provider may have accepted it and only the answer was lost. ``None`` means "not
        found, or this provider cannot tell": each adapter's docstring states its policy.
        """
        ...
