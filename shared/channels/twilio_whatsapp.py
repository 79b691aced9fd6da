"""WhatsApp through Twilio's Messages API.

``From`` is ``TWILIO_WHATSAPP_FROM`` (``whatsapp:+E164``), ``To`` is ``whatsapp:+E164``. Inside
the 24-hour window the text goes as a free-form ``Body``; outside it (``use_template``) the
approved Content template goes as ``ContentSid`` + ``ContentVariables`` (a JSON object
``{"1": ..., "2": ...}``). A 63016 answer (window closed after all) is classified
``window_closed`` so the pipeline resends as a template.

Lost responses: ``find_previous`` lists recent messages between the same two addresses and
matches the body (free-form) or the template variables; see ``twilio_common``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.channels.base import OutboundMessage, SendResult
from shared.channels.errors import ErrorKind, ProviderNotConfiguredError, provider_error
from shared.channels.twilio_common import (
    DEFAULT_TIMEOUT,
    body_matcher,
    find_previous_message,
    make_twilio_client,
    result_from_message,
    twilio_errors,
    variables_matcher,
)
from shared.models import Provider
from shared.settings import TwilioSettings

if TYPE_CHECKING:
    from twilio.rest import Client

WHATSAPP_PREFIX = "whatsapp:"


def whatsapp_address(phone: str) -> str:
    """``+33612345678`` -> ``whatsapp:+33612345678`` (already prefixed: unchanged)."""
    return phone if phone.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{phone}"


def content_variables(variables: tuple[str, ...]) -> str:
    """Twilio's ``ContentVariables``: ``{"1": "Marie", "2": "T-42"}`` as a JSON string."""
    return json.dumps({str(i): v for i, v in enumerate(variables, start=1)}, ensure_ascii=False)


def whatsapp_params(message: OutboundMessage, settings: TwilioSettings) -> dict[str, Any]:
    """The ``messages.create`` keyword arguments for ``message`` (pure, tested as a table)."""
    params: dict[str, Any] = {
        "to": whatsapp_address(message.to),
        "from_": whatsapp_address(settings.whatsapp_from or ""),
    }
    if message.use_template:
        template = message.template
        if template is None or not template.content_sid:
            raise provider_error(
                Provider.TWILIO,
                ErrorKind.TEMPLATE,
                "outside the WhatsApp window and no approved template (contentSid) for it",
            )
        params["content_sid"] = template.content_sid
        if template.variables:
            params["content_variables"] = content_variables(template.variables)
    else:
        params["body"] = message.text
    if settings.status_callback_url:
        params["status_callback"] = settings.status_callback_url
    return params


@dataclass
class TwilioWhatsAppSender:
    """Sends WhatsApp messages with an injected ``twilio.rest.Client`` (made lazily)."""

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
                    if not self.settings.whatsapp_configured:
                        raise ProviderNotConfiguredError(
                            "Twilio WhatsApp needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                            "TWILIO_WHATSAPP_FROM",
                            provider=Provider.TWILIO,
                        )
                    self.client = make_twilio_client(self.settings, timeout=self.timeout)
        return self.client

    def send(self, message: OutboundMessage) -> SendResult:
        params = whatsapp_params(message, self.settings)
        client = self._client()
        with twilio_errors():
            created = client.messages.create(**params)
        return result_from_message(created)

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        if message.use_template and message.template is not None:
            matches = variables_matcher(message.template.variables)
        else:
            matches = body_matcher(message.text)
        return find_previous_message(
            self._client(),
            to=whatsapp_address(message.to),
            from_=whatsapp_address(self.settings.whatsapp_from or ""),
            messaging_service_sid=None,
            since=since,
            matches=matches,
        )
