"""Status callbacks the way Twilio and Meta send them, signed, plus an automatic mode.

- Twilio: a form POST to the message's ``StatusCallback`` with ``MessageSid``,
  ``MessageStatus``, ``ErrorCode`` (failures only), ``To``, ``From``, ``AccountSid``,
  ``ApiVersion``, ``SmsSid``, ``SmsStatus`` (and ``MessagingServiceSid`` when set), signed
  ``X-Twilio-Signature`` with the auth token over the URL and parameters.
- Meta: a ``statuses`` webhook (``whatsapp_business_account`` / ``messages`` change, with
  conversation and pricing, or ``errors`` when failed) POSTed to the configured webhook URL,
  signed ``X-Hub-Signature-256`` with the app secret over the raw body.

Automatic mode: after each accepted Twilio or Meta send, a worker thread posts the configured
statuses (default ``sent`` then ``delivered``) in order.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from devstack.fakes.signing import (
    META_SIGNATURE_HEADER,
    TWILIO_SIGNATURE_HEADER,
    meta_signature,
    twilio_signature,
)
from devstack.fakes.state import (
    DEFAULT_META_DISPLAY_PHONE,
    DEFAULT_META_WABA_ID,
    FakeState,
    now,
)
from devstack.fakes.twilio_api import rfc2822

TWILIO_STATUSES = ("accepted", "queued", "sending", "sent", "delivered", "undelivered",
                   "failed", "read", "canceled", "scheduled")  # fmt: skip
META_STATUSES = ("sent", "delivered", "read", "failed")
TIMEOUT = 10.0


class CallbackError(ValueError):
    """A callback that cannot be sent (unknown message, no URL, unknown status)."""


@dataclass
class AutoCallbacks:
    enabled: bool = False
    statuses: tuple[str, ...] = ("sent", "delivered")
    delay: float = 0.05


def _sms_price(message: dict[str, Any]) -> str | None:
    if str(message.get("to", "")).startswith("whatsapp:"):
        return "-0.00500"
    return f"-{0.0790 * int(message.get('num_segments') or 1):.5f}"


class Callbacks:
    """Builds, signs and posts status callbacks; runs the automatic mode's worker."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.auto = AutoCallbacks()
        self._session = requests.Session()
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    # -- Twilio ------------------------------------------------------------------------------
    def twilio(
        self, sid: str, status: str, *, error_code: int | str | None = None, url: str | None = None
    ) -> dict[str, Any]:
        if status not in TWILIO_STATUSES:
            raise CallbackError(f"unknown Twilio status {status!r}")
        message = self.state.message("twilio", sid)
        if message is None:
            raise CallbackError(f"no Twilio message {sid}")
        target = url or message.get("_status_callback")
        if not target:
            raise CallbackError(f"message {sid} has no StatusCallback and no url was given")
        fields: dict[str, Any] = {"status": status, "date_updated": message["date_updated"]}
        if status in {"sent", "delivered", "read"} and message.get("_sent") is None:
            sent_at = now()
            fields.update(_sent=sent_at, date_sent=rfc2822(sent_at))
            fields["price"] = _sms_price(message)
        if error_code is not None:
            fields["error_code"] = int(error_code)
        self.state.update_message("twilio", sid, **fields)
        cfg = self.state.config
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message["to"],
            "From": message.get("from") or "",
            "AccountSid": cfg.twilio_account_sid,
            "ApiVersion": "2010-04-01",
        }
        if message.get("messaging_service_sid"):
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if str(message["to"]).startswith("whatsapp:"):
            params["ChannelPrefix"] = "whatsapp"
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        headers = {TWILIO_SIGNATURE_HEADER: twilio_signature(cfg.twilio_auth_token, target, params)}
        return self._post("twilio", sid, status, target, headers=headers, data=params)

    # -- Meta --------------------------------------------------------------------------------
    def meta(
        self,
        message_id: str,
        status: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        if status not in META_STATUSES:
            raise CallbackError(f"unknown Meta status {status!r}")
        message = self.state.message("meta", message_id)
        if message is None:
            raise CallbackError(f"no Meta message {message_id}")
        target = url or self.state.config.meta_webhook_url
        if not target:
            raise CallbackError("no Meta webhook URL configured and no url was given")
        self.state.update_message("meta", message_id, status=status)
        body = json.dumps(meta_status_body(self.state, message, status, errors)).encode()
        secret = self.state.config.meta_app_secret
        headers = {
            "Content-Type": "application/json",
            META_SIGNATURE_HEADER: meta_signature(secret, body),
        }
        return self._post("meta", message_id, status, target, headers=headers, body=body)

    def _post(
        self,
        provider: str,
        message_id: str,
        status: str,
        url: str,
        *,
        headers: dict[str, str],
        data: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "provider": provider,
            "message_id": message_id,
            "status": status,
            "url": url,
            "params": data,
            "body": body.decode() if body else None,
            "response_status": None,
            "error": None,
        }
        try:
            response = self._session.post(
                url, data=data if data is not None else body, headers=headers, timeout=TIMEOUT
            )
            entry["response_status"] = response.status_code
        except requests.RequestException as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        self.state.add_callback(entry)
        return entry

    # -- automatic mode ----------------------------------------------------------------------
    def configure_auto(
        self, enabled: bool, statuses: Sequence[str] | None = None, delay: float | None = None
    ) -> AutoCallbacks:
        self.auto = AutoCallbacks(
            enabled=enabled,
            statuses=tuple(statuses) if statuses else self.auto.statuses,
            delay=self.auto.delay if delay is None else float(delay),
        )
        if enabled and self._worker is None:
            self._worker = threading.Thread(target=self._run, name="fake-callbacks", daemon=True)
            self._worker.start()
        return self.auto

    def accepted(self, provider: str, message_id: str) -> None:
        """Called by the fake APIs after each accepted send."""
        if self.auto.enabled:
            self._queue.put((provider, message_id))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            provider, message_id = item
            for status in self.auto.statuses:
                time.sleep(self.auto.delay)
                try:
                    if provider == "twilio":
                        self.twilio(message_id, status)
                    else:
                        self.meta(message_id, status)
                except CallbackError as exc:
                    self.state.add_callback(
                        {"provider": provider, "message_id": message_id, "status": status,
                         "error": str(exc)}
                    )  # fmt: skip
                    break

    def stop(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=5)
            self._worker = None
        self._session.close()


def meta_status_body(
    state: FakeState,
    message: dict[str, Any],
    status: str,
    errors: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``statuses`` webhook body, shaped like Meta's (see the shared fixtures)."""
    category = "utility" if message.get("type") == "template" else "service"
    item: dict[str, Any] = {
        "id": message["id"],
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": message["wa_id"],
    }
    if message.get("biz_opaque_callback_data"):
        item["biz_opaque_callback_data"] = message["biz_opaque_callback_data"]
    if status == "failed":
        item["errors"] = list(errors) if errors else [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message failed to send because the recipient is "
                               "not a WhatsApp user."},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]  # fmt: skip
    else:
        conversation: dict[str, Any] = {
            "id": "conv" + message["id"][-24:].encode().hex()[:26],
            "origin": {"type": category},
        }
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(time.time()) + 86400)
        item["conversation"] = conversation
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": category}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DEFAULT_META_DISPLAY_PHONE,
            "phone_number_id": message.get("phone_number_id") or "",
        },
        "statuses": [item],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": DEFAULT_META_WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
