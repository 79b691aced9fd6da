"""SMS through Twilio's Messages API.

The sender is ``TWILIO_MESSAGING_SERVICE_SID`` when set (Twilio picks the number or alphanumeric
id per country), else ``TWILIO_SMS_FROM``; ``StatusCallback`` is exactly
``TWILIO_STATUS_CALLBACK_URL`` when set, so delivery reports reach ``twilio_status``.

Lost responses: ``find_previous`` lists recent messages to the same number (and from the same
``From``) and matches the body; see ``twilio_common``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.channels.base import OutboundMessage, SendResult
from shared.channels.errors import ProviderNotConfiguredError
from shared.channels.twilio_common import (
    DEFAULT_TIMEOUT,
    body_matcher,
    find_previous_message,
    make_twilio_client,
    result_from_message,
    twilio_errors,
)
from shared.models import Provider
from shared.settings import TwilioSettings

if TYPE_CHECKING:
    from twilio.rest import Client


def sms_params(message: OutboundMessage, settings: TwilioSettings) -> dict[str, Any]:
    """The ``messages.create`` keyword arguments for ``message`` (pure, tested as a table)."""
    params: dict[str, Any] = {"to": message.to, "body": message.text}
    if settings.messaging_service_sid:
        params["messaging_service_sid"] = settings.messaging_service_sid
    else:
        params["from_"] = settings.sms_from
    if settings.status_callback_url:
        params["status_callback"] = settings.status_callback_url
    return params


@dataclass
class TwilioSmsSender:
    """Sends SMS with an injected ``twilio.rest.Client`` (made from settings on first use)."""

    settings: TwilioSettings
    client: Client | None = None
    timeout: float = DEFAULT_TIMEOUT
    provider: Provider = field(default=Provider.TWILIO, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _client(self) -> Client:
        if self.client is None:
            with self._lock:
                if self.client is None:
                    if not self.settings.sms_configured:
                        raise ProviderNotConfiguredError(
                            "Twilio SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                            "TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID",
                            provider=Provider.TWILIO,
                        )
                    self.client = make_twilio_client(self.settings, timeout=self.timeout)
        return self.client

    def send(self, message: OutboundMessage) -> SendResult:
        client = self._client()
        with twilio_errors():
            created = client.messages.create(**sms_params(message, self.settings))
        return result_from_message(created)

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        return find_previous_message(
            self._client(),
            to=message.to,
            from_=None if self.settings.messaging_service_sid else self.settings.sms_from,
            messaging_service_sid=self.settings.messaging_service_sid,
            since=since,
            matches=body_matcher(message.text),
        )
