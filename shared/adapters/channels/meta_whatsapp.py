"""WhatsApp through Meta's Cloud API (``POST {META_GRAPH_BASE_URL}/{phone-number-id}/messages``).

Inside the 24-hour window a ``text`` message, outside it (``use_template``) a ``template``
message with the approved name, language and body parameters. A phone number goes as ``to``
(digits); a WhatsApp business-scoped user id (a user who hides their number) as ``recipient``,
as Meta's business-scoped user ids page says (``to`` omitted). Every send carries
``biz_opaque_callback_data`` = the notification id, which Meta echoes in the status webhooks.

Lost responses: the Cloud API has no idempotency key and no way to list sent messages, so
``find_previous`` always answers ``None``. The policy is to rely on the pipeline's claim (one
worker per attempt) and accept a rare duplicate when a response is lost; a duplicate still
points back at its notification through ``biz_opaque_callback_data`` in its status webhooks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from shared.model.enums import Provider
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import MetaSettings
from shared.rules.provider_errors import (
    ErrorKind,
    ProviderNotConfiguredError,
    classify_meta,
    classify_transport,
    provider_error,
)
from shared.rules.whatsapp_ids import is_whatsapp_user_id

DEFAULT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
DEFAULT_TEMPLATE_LANGUAGE = "en"


def wa_id(phone: str) -> str:
    """``+33 6 12 34 56 78`` or ``whatsapp:+336...`` -> ``33612345678`` (digits only)."""
    return "".join(ch for ch in phone.removeprefix("whatsapp:") if ch.isdigit())


def meta_payload(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body for ``message`` (pure, tested as a table)."""
    payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if is_whatsapp_user_id(message.to):
        payload["recipient"] = message.to.strip()
    else:
        payload["to"] = wa_id(message.to)
    payload["biz_opaque_callback_data"] = message.notification_id
    if not message.use_template:
        payload["type"] = "text"
        payload["text"] = {"body": message.text, "preview_url": False}
        return payload
    template = message.template
    if template is None or not template.meta_name:
        raise provider_error(
            Provider.META,
            ErrorKind.TEMPLATE,
            "outside the WhatsApp window and no approved template (metaName) for it",
        )
    body: dict[str, Any] = {
        "name": template.meta_name,
        "language": {"code": template.meta_language or DEFAULT_TEMPLATE_LANGUAGE},
    }
    if template.variables:
        parameters = [{"type": "text", "text": value} for value in template.variables]
        body["components"] = [{"type": "body", "parameters": parameters}]
    payload["type"] = "template"
    payload["template"] = body
    return payload


def _json(response: requests.Response) -> dict[str, Any] | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class MetaWhatsAppSender:
    """Sends through the Cloud API with an injected ``requests.Session`` (made lazily)."""

    settings: MetaSettings
    session: requests.Session | None = None
    timeout: float = DEFAULT_TIMEOUT
    provider: Provider = field(default=Provider.META, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        if not self.settings.sender_configured:
            raise ProviderNotConfiguredError(
                "Meta WhatsApp needs META_WHATSAPP_TOKEN and META_PHONE_NUMBER_ID",
                provider=Provider.META,
            )
        if self.session is None:
            with self._lock:
                if self.session is None:
                    self.session = requests.Session()
        return self.session

    @property
    def messages_url(self) -> str:
        base = self.settings.graph_base_url.rstrip("/")
        return f"{base}/{self.settings.phone_number_id}/messages"

    def send(self, message: OutboundMessage) -> SendResult:
        payload = meta_payload(message)
        session = self._session()
        try:
            response = session.post(
                self.messages_url,
                json=payload,
                headers={"Authorization": f"Bearer {self.settings.token}"},
                timeout=(CONNECT_TIMEOUT, self.timeout),
            )
        except requests.RequestException as exc:
            raise classify_transport(Provider.META, exc) from exc
        body = _json(response)
        if response.status_code >= 400 or body is None or "error" in body:
            raise classify_meta(response.status_code, body)
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else {}
        message_id = first.get("id") if isinstance(first, dict) else None
        if not message_id:
            raise provider_error(
                Provider.META,
                ErrorKind.REJECTED,
                "the Cloud API answered without a message id",
                http_status=response.status_code,
            )
        status = str(first.get("message_status") or "accepted")
        return SendResult(
            provider=Provider.META,
            provider_message_id=str(message_id),
            status=status,
            raw={"id": message_id, "message_status": status, "type": payload["type"]},
        )

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Always ``None``: the Cloud API cannot list sent messages (see the module docstring)."""
        return None
