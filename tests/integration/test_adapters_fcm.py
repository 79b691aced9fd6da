"""FCM push adapter through the real ``firebase-admin`` messaging service, aimed at the fake."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from firebase_admin import messaging

from devstack.fakes import FakeProviders
from shared.adapters.channels.fcm_push import (
    FcmPushSender,
    FirebaseMessagingClient,
    make_fcm_client,
)
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage
from shared.rules.provider_errors import ErrorKind, PermanentProviderError, TransientProviderError
from tests.integration.fakes_support import PROJECT, settings_for

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.fakes_fixture"]

TIMEOUT = 0.5
PUSH = OutboundMessage(
    "orders_O3_out_for_delivery_push",
    Channel.PUSH,
    "",
    "Votre colis arrive aujourd'hui",
    title="En route",
    push_tokens=("token-phone", "token-tablet"),
    data={"orderId": "O3"},
)


def sender(fakes: FakeProviders) -> FcmPushSender:
    return FcmPushSender(settings_for(fakes), timeout=TIMEOUT)


def test_fcm_api_base_url_points_the_real_messaging_service_at_the_fake(
    provider_fakes: FakeProviders,
) -> None:
    client = make_fcm_client(settings_for(provider_fakes), timeout=TIMEOUT)
    assert isinstance(client, FirebaseMessagingClient)
    service = messaging._get_messaging_service(client.app)  # the private hook we rely on
    assert service._fcm_url == (
        f"{provider_fakes.fcm_base_url}/v1/projects/{PROJECT}/messages:send"
    )


def test_one_message_per_token_with_the_notification_and_its_id_in_data(
    provider_fakes: FakeProviders,
) -> None:
    result = sender(provider_fakes).send(PUSH)

    requests = provider_fakes.requests("fcm")
    assert sorted(r["token"] for r in requests) == ["token-phone", "token-tablet"]
    for request in requests:
        assert request["auth"] == "ok"
        message = request["json"]["message"]
        assert message["notification"] == {"title": "En route", "body": PUSH.text}
        assert message["data"] == {"orderId": "O3", "notificationId": PUSH.notification_id}
    assert str(result.provider_message_id).startswith(f"projects/{PROJECT}/messages/")
    assert result.invalid_tokens == ()
    assert result.raw["success_count"] == 2


@pytest.mark.parametrize("code", ["UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"])
def test_a_dead_token_is_returned_for_removal_while_the_others_get_the_push(
    provider_fakes: FakeProviders, code: str
) -> None:
    provider_fakes.set_faults([{"provider": "fcm", "code": code, "to": "token-tablet"}])
    result = sender(provider_fakes).send(PUSH)
    assert result.invalid_tokens == ("token-tablet",)
    assert result.raw == {
        "message_ids": [result.provider_message_id],
        "success_count": 1,
        "failure_count": 1,
    }


def test_every_token_dead_is_a_permanent_failure_listing_them(
    provider_fakes: FakeProviders,
) -> None:
    provider_fakes.set_faults([{"provider": "fcm", "code": "UNREGISTERED", "times": None}])
    with pytest.raises(PermanentProviderError) as caught:
        sender(provider_fakes).send(PUSH)
    assert caught.value.kind is ErrorKind.INVALID_TOKEN
    assert caught.value.invalid_recipient
    assert sorted(caught.value.invalid_tokens) == ["token-phone", "token-tablet"]


def test_every_token_throttled_is_transient(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "fcm", "code": "QUOTA_EXCEEDED", "times": None}])
    with pytest.raises(TransientProviderError) as caught:
        sender(provider_fakes).send(PUSH)
    assert (caught.value.kind, caught.value.http_status) == (ErrorKind.RATE_LIMITED, 429)


def test_a_single_503_is_retried_inside_firebase_admin(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "fcm", "status": 503}])
    result = sender(provider_fakes).send(PUSH)
    assert result.raw["success_count"] == 2
    assert len(provider_fakes.requests("fcm")) == 3
    assert len(provider_fakes.messages("fcm")) == 2


def test_a_hanging_fcm_is_a_transient_timeout(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "fcm", "action": "timeout", "delay": 5, "times": None}])
    started = time.monotonic()
    with pytest.raises(TransientProviderError) as caught:
        sender(provider_fakes).send(replace(PUSH, push_tokens=("token-phone",)))
    assert time.monotonic() - started < 3  # firebase-admin retries a read timeout once
    assert caught.value.kind is ErrorKind.TIMEOUT


def test_no_token_is_a_permanent_invalid_recipient(provider_fakes: FakeProviders) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sender(provider_fakes).send(replace(PUSH, push_tokens=()))
    assert caught.value.invalid_recipient
    assert provider_fakes.requests("fcm") == []
