"""Which adapter carries each channel, each created once per process, on first use.

Cold start matters: this module imports no SDK. ``twilio`` is imported when the first SMS or
Twilio WhatsApp sender is made, ``firebase_admin`` with the first push sender, ``smtplib`` with
the first email sender, ``requests`` with the Meta sender. Both Twilio senders share one client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.model.enums import Channel, Provider
from shared.model.messages import Sender
from shared.model.plan import provider_for
from shared.platform.settings import Settings, get_settings
from shared.rules.provider_errors import ProviderNotConfiguredError


@dataclass
class Senders:
    """The channel -> sender table of one deployment. Clients may be injected (tests)."""

    settings: Settings
    twilio_client: Any | None = None
    meta_session: Any | None = None
    smtp_factory: Callable[[str, int, float], Any] | None = None
    fcm_client: Any | None = None
    timeout: float | None = None  # None: settings.provider_timeout (PROVIDER_TIMEOUT_SECONDS)
    _senders: dict[tuple[Channel, Provider], Sender] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def _timeout(self) -> float:
        return self.timeout if self.timeout is not None else self.settings.provider_timeout

    def provider_for(self, channel: Channel) -> Provider:
        """Who carries ``channel`` in this deployment (``WHATSAPP_PROVIDER`` for WhatsApp)."""
        return provider_for(channel, Provider(self.settings.whatsapp_provider))

    def is_configured(self, channel: Channel) -> bool:
        """Whether ``channel``'s provider has its variables (else: skip, never crash)."""
        s = self.settings
        return {
            Channel.SMS: s.twilio.sms_configured,
            Channel.WHATSAPP: s.whatsapp_configured,
            Channel.EMAIL: s.smtp.configured,
            Channel.PUSH: s.push_configured,
        }[channel]

    def sender_for(self, channel: Channel, provider: Provider | None = None) -> Sender | None:
        """The sender of ``channel`` (through ``provider`` when given), ``None`` if not configured.

        ``provider`` is the one recorded on the notification when it was planned: a WhatsApp
        message planned for Twilio keeps going through Twilio while it is configured, even if
        ``WHATSAPP_PROVIDER`` changed since. A provider that cannot carry the channel is ``None``.
        """
        wanted = provider or self.provider_for(channel)
        if not self._configured(channel, wanted):
            return None
        key = (channel, wanted)
        sender = self._senders.get(key)
        if sender is None:
            with self._lock:
                sender = self._senders.get(key)
                if sender is None:
                    sender = self._senders[key] = self._create(channel, wanted)
        return sender

    def for_channel(self, channel: Channel) -> Sender:
        """The sender of ``channel``; ``ProviderNotConfiguredError`` when it has none."""
        sender = self.sender_for(channel)
        if sender is None:
            provider = self.provider_for(channel)
            raise ProviderNotConfiguredError(
                f"{channel.value} via {provider.value} is not configured in this deployment",
                provider=provider,
            )
        return sender

    def _configured(self, channel: Channel, provider: Provider) -> bool:
        s = self.settings
        if channel is Channel.WHATSAPP and provider is Provider.META:
            return s.meta.sender_configured
        if channel is Channel.WHATSAPP and provider is Provider.TWILIO:
            return s.twilio.whatsapp_configured
        return provider is self.provider_for(channel) and self.is_configured(channel)

    def _twilio(self) -> Any:
        """One Twilio client for SMS and WhatsApp (called with the lock held)."""
        if self.twilio_client is None:
            from shared.adapters.channels.twilio_common import make_twilio_client  # noqa: PLC0415

            self.twilio_client = make_twilio_client(self.settings.twilio, timeout=self._timeout)
        return self.twilio_client

    def _create(self, channel: Channel, provider: Provider) -> Sender:
        # Each branch imports its SDK only when that channel is first used.
        s = self.settings
        if channel is Channel.SMS:
            from shared.adapters.channels.twilio_sms import TwilioSmsSender  # noqa: PLC0415

            return TwilioSmsSender(s.twilio, client=self._twilio(), timeout=self._timeout)
        if channel is Channel.WHATSAPP and provider is Provider.META:
            from shared.adapters.channels.meta_whatsapp import MetaWhatsAppSender  # noqa: PLC0415

            return MetaWhatsAppSender(s.meta, session=self.meta_session, timeout=self._timeout)
        if channel is Channel.WHATSAPP:
            from shared.adapters.channels.twilio_whatsapp import TwilioWhatsAppSender  # noqa: PLC0415

            return TwilioWhatsAppSender(s.twilio, client=self._twilio(), timeout=self._timeout)
        if channel is Channel.EMAIL:
            from shared.adapters.channels.smtp_email import SmtpEmailSender  # noqa: PLC0415

            if self.smtp_factory is None:
                return SmtpEmailSender(s.smtp, timeout=self._timeout)
            return SmtpEmailSender(s.smtp, smtp_factory=self.smtp_factory, timeout=self._timeout)
        from shared.adapters.channels.fcm_push import FcmPushSender  # noqa: PLC0415

        return FcmPushSender(s, client=self.fcm_client, timeout=self._timeout)


_registry: dict[Settings, Senders] = {}
_registry_lock = threading.Lock()


def senders_from_settings(settings: Settings | None = None) -> Senders:
    """The process-wide ``Senders`` for ``settings`` (default: the environment's)."""
    settings = settings if settings is not None else get_settings()
    with _registry_lock:
        senders = _registry.get(settings)
        if senders is None:
            senders = _registry[settings] = Senders(settings)
        return senders
