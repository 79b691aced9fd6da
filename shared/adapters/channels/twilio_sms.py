"""SMS through Twilio's Messages API.

The sender is ``TWILIO_MESSAGING_SERVICE_SID`` when set (Twilio picks the number or alphanumeric
id per country), else ``TWILIO_SMS_FROM``; ``StatusCallback`` is exactly
``TWILIO_STATUS_CALLBACK_URL`` when set, so delivery reports reach ``twilio_status``.

Lost responses: ``find_previous`` lists recent messages to the same number (and from the same
``From``) and matches the body; see ``twilio_common``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.channels.twilio_common import TwilioSender, body_matcher, find_previous_message
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import TwilioSettings

if TYPE_CHECKING:
    pass


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


class TwilioSmsSender(TwilioSender):
    """Sends SMS with an injected ``twilio.rest.Client`` (made from settings on first use)."""

    missing = (
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID"
    )

    def configured(self) -> bool:
        return self.settings.sms_configured

    def params(self, message: OutboundMessage) -> dict[str, Any]:
        return sms_params(message, self.settings)

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        return find_previous_message(
            self._client(),
            to=message.to,
            from_=None if self.settings.messaging_service_sid else self.settings.sms_from,
            messaging_service_sid=self.settings.messaging_service_sid,
            since=since,
            matches=body_matcher(message.text),
        )
