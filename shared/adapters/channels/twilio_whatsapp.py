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
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.channels.twilio_common import (
    TwilioSender,
    body_matcher,
    find_previous_message,
    variables_matcher,
)
from shared.model.enums import Provider
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import TwilioSettings
from shared.rules.provider_errors import ErrorKind, provider_error

if TYPE_CHECKING:
    pass

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


class TwilioWhatsAppSender(TwilioSender):
    """Sends WhatsApp messages with an injected ``twilio.rest.Client`` (made lazily)."""

    missing = "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM"

    def configured(self) -> bool:
        return self.settings.whatsapp_configured

    def params(self, message: OutboundMessage) -> dict[str, Any]:
        return whatsapp_params(message, self.settings)

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
