"""Meta Cloud API WhatsApp adapter through ``requests`` against the fake Graph endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.fakes import FakeProviders
from shared.adapters.channels.meta_whatsapp import MetaWhatsAppSender
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, WhatsAppTemplate
from shared.rules.provider_errors import ErrorKind, PermanentProviderError, TransientProviderError
from tests.integration.fakes_support import (
    META_PHONE_NUMBER_ID,
    CallbackReceiver,
    settings_for,
)

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.fakes_fixture"]

TIMEOUT = 0.5
TEMPLATE = WhatsAppTemplate(
    meta_name="order_shipped", meta_language="sw", variables=("Amani", "O-7")
)
MESSAGE = OutboundMessage(
    "orders_O7_shipped_whatsapp",
    Channel.WHATSAPP,
    "+254712345678",
    "Oda yako imetumwa",
    template=TEMPLATE,
)


def sender(fakes: FakeProviders, **env: str) -> MetaWhatsAppSender:
    return MetaWhatsAppSender(settings_for(fakes, **env).meta, timeout=TIMEOUT)


def only_send(fakes: FakeProviders) -> dict[str, Any]:
    sends = fakes.requests("meta")
    assert len(sends) == 1
    return sends[0]


def test_text_inside_the_window_is_posted_to_the_phone_number_with_the_bearer_token(
    provider_fakes: FakeProviders,
) -> None:
    result = sender(provider_fakes).send(MESSAGE)

    request = only_send(provider_fakes)
    assert request["auth"] == "ok"
    assert request["path"] == f"/v21.0/{META_PHONE_NUMBER_ID}/messages"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "254712345678",
        "biz_opaque_callback_data": "orders_O7_shipped_whatsapp",
        "type": "text",
        "text": {"body": "Oda yako imetumwa", "preview_url": False},
    }
    assert result.provider_message_id == request["message_id"]
    assert str(result.provider_message_id).startswith("wamid.")
    assert result.status == "accepted"


def test_outside_the_window_the_approved_template_is_sent(provider_fakes: FakeProviders) -> None:
    sender(provider_fakes).send(replace(MESSAGE, use_template=True))
    body = only_send(provider_fakes)["json"]
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_shipped",
        "language": {"code": "sw"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Amani"}, {"type": "text", "text": "O-7"}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("fault", "kind", "transient"),
    [
        ({"status": 503}, ErrorKind.UNAVAILABLE, True),
        ({"code": 131000}, ErrorKind.UNAVAILABLE, True),
        ({"code": 130429}, ErrorKind.RATE_LIMITED, True),
        ({"status": 429, "code": 131056}, ErrorKind.RATE_LIMITED, True),
        ({"code": 131026}, ErrorKind.INVALID_RECIPIENT, False),
        ({"code": 131047}, ErrorKind.WINDOW_CLOSED, False),
        ({"code": 132001}, ErrorKind.TEMPLATE, False),
        ({"code": 100}, ErrorKind.INVALID_REQUEST, False),
    ],
)
def test_graph_errors_are_classified(
    provider_fakes: FakeProviders, fault: dict[str, Any], kind: ErrorKind, transient: bool
) -> None:
    provider_fakes.set_faults([{"provider": "meta", **fault}])
    expected = TransientProviderError if transient else PermanentProviderError
    with pytest.raises(expected) as caught:
        sender(provider_fakes).send(MESSAGE)
    assert caught.value.kind is kind
    assert caught.value.http_status == only_send(provider_fakes)["status"]
    assert caught.value.details["fbtrace_id"]


def test_undeliverable_and_window_errors_carry_their_flags(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults(
        [{"provider": "meta", "code": 131026}, {"provider": "meta", "code": 131047}]
    )
    with pytest.raises(PermanentProviderError) as first:
        sender(provider_fakes).send(MESSAGE)
    with pytest.raises(PermanentProviderError) as second:
        sender(provider_fakes).send(MESSAGE)
    assert first.value.invalid_recipient
    assert "not a WhatsApp user" in first.value.message
    assert second.value.window_closed


def test_a_wrong_token_is_a_permanent_auth_error(provider_fakes: FakeProviders) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sender(provider_fakes, META_WHATSAPP_TOKEN="expired").send(MESSAGE)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.AUTH, "190")


def test_a_timeout_is_transient_and_the_cloud_api_cannot_be_asked_about_it(
    provider_fakes: FakeProviders,
) -> None:
    since = datetime.now(UTC)
    provider_fakes.set_faults([{"provider": "meta", "action": "accept_then_timeout", "delay": 5}])
    meta = sender(provider_fakes)
    started = time.monotonic()
    with pytest.raises(TransientProviderError) as caught:
        meta.send(MESSAGE)
    assert time.monotonic() - started < 3
    assert (caught.value.kind, caught.value.ambiguous) == (ErrorKind.TIMEOUT, True)
    assert len(provider_fakes.messages("meta")) == 1  # accepted, answer lost
    assert meta.find_previous(MESSAGE, since) is None  # documented policy: no lookup API


def test_status_webhooks_are_signed_with_the_app_secret_and_echo_the_notification_id(
    provider_fakes: FakeProviders, callback_receiver: CallbackReceiver
) -> None:
    provider_fakes.set_meta_webhook_url(f"{callback_receiver.url}/meta_webhook")
    wamid = sender(provider_fakes).send(MESSAGE).provider_message_id
    assert wamid is not None

    provider_fakes.send_meta_status(wamid, "delivered")
    provider_fakes.send_meta_status(wamid, "failed")

    delivered, failed = callback_receiver.wait_for(2)
    secret = provider_fakes.config.meta_app_secret.encode()
    for received in (delivered, failed):
        expected = hmac.new(secret, received.body, hashlib.sha256).hexdigest()
        assert received.headers["X-Hub-Signature-256"] == f"sha256={expected}"
    body = json.loads(delivered.body)
    assert body["object"] == "whatsapp_business_account"
    change = body["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    assert change["value"]["metadata"]["phone_number_id"] == META_PHONE_NUMBER_ID
    status = change["value"]["statuses"][0]
    assert status["id"] == wamid
    assert status["status"] == "delivered"
    assert status["recipient_id"] == "254712345678"
    assert status["biz_opaque_callback_data"] == MESSAGE.notification_id
    assert status["pricing"] == {"billable": True, "pricing_model": "CBP", "category": "service"}
    failure = json.loads(failed.body)["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert failure["errors"][0]["code"] == 131026
