"""Twilio SMS and WhatsApp adapters through the real ``twilio`` SDK, against the fake API."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from devstack.fakes import FakeProviders
from shared.adapters.channels.twilio_common import make_twilio_client
from shared.adapters.channels.twilio_sms import TwilioSmsSender
from shared.adapters.channels.twilio_whatsapp import TwilioWhatsAppSender
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage, WhatsAppTemplate
from shared.rules.provider_errors import (
    ErrorKind,
    PermanentProviderError,
    TransientProviderError,
    classify_twilio,
)
from tests.integration.fakes_support import (
    SMS_FROM,
    STATUS_CALLBACK_URL,
    WHATSAPP_FROM,
    CallbackReceiver,
    settings_for,
)

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.fakes_fixture"]

TIMEOUT = 0.5
SMS = OutboundMessage(
    "tickets_T1_completed_sms", Channel.SMS, "+33612345678", "Votre réparation est prête."
)
TEMPLATE = WhatsAppTemplate(content_sid="HX" + "c" * 32, variables=("Marie", "T-42"))
WHATSAPP = OutboundMessage(
    "orders_O1_shipped_whatsapp",
    Channel.WHATSAPP,
    "+254712345678",
    "Habari Marie",
    template=TEMPLATE,
)


def sms_sender(fakes: FakeProviders, **env: str) -> TwilioSmsSender:
    return TwilioSmsSender(settings_for(fakes, **env).twilio, timeout=TIMEOUT)


def whatsapp_sender(fakes: FakeProviders, **env: str) -> TwilioWhatsAppSender:
    return TwilioWhatsAppSender(settings_for(fakes, **env).twilio, timeout=TIMEOUT)


def only_send(fakes: FakeProviders) -> dict[str, Any]:
    sends = [r for r in fakes.requests("twilio") if r["method"] == "POST"]
    assert len(sends) == 1
    return sends[0]


# -- success -----------------------------------------------------------------------------------
def test_sms_goes_from_the_configured_number_with_the_exact_status_callback(
    provider_fakes: FakeProviders,
) -> None:
    result = sms_sender(provider_fakes).send(SMS)

    request = only_send(provider_fakes)
    assert request["auth"] == "ok"
    assert request["params"] == {
        "To": "+33612345678",
        "From": SMS_FROM,
        "Body": "Votre réparation est prête.",
        "StatusCallback": STATUS_CALLBACK_URL,
    }
    assert result.provider_message_id == request["message_id"]
    assert str(result.provider_message_id).startswith("SM")
    assert len(str(result.provider_message_id)) == 34
    assert (result.status, result.segments, result.price) == ("queued", 1, None)


def test_sms_through_a_messaging_service_is_accepted_without_a_from(
    provider_fakes: FakeProviders,
) -> None:
    service = "MG" + "d" * 32
    result = sms_sender(provider_fakes, TWILIO_MESSAGING_SERVICE_SID=service).send(SMS)
    params = only_send(provider_fakes)["params"]
    assert params["MessagingServiceSid"] == service
    assert "From" not in params
    assert result.status == "accepted"


def test_a_long_accented_sms_reports_its_segments(provider_fakes: FakeProviders) -> None:
    message = replace(SMS, text="Votre réparation est terminée ✔ " * 6)
    assert sms_sender(provider_fakes).send(message).segments == 3


def test_whatsapp_inside_the_window_sends_free_form_text(provider_fakes: FakeProviders) -> None:
    whatsapp_sender(provider_fakes).send(WHATSAPP)
    assert only_send(provider_fakes)["params"] == {
        "To": "whatsapp:+254712345678",
        "From": WHATSAPP_FROM,
        "Body": "Habari Marie",
        "StatusCallback": STATUS_CALLBACK_URL,
    }


def test_whatsapp_outside_the_window_sends_the_content_template(
    provider_fakes: FakeProviders,
) -> None:
    whatsapp_sender(provider_fakes).send(replace(WHATSAPP, use_template=True))
    params = only_send(provider_fakes)["params"]
    assert "Body" not in params
    assert params["ContentSid"] == TEMPLATE.content_sid
    assert json.loads(params["ContentVariables"]) == {"1": "Marie", "2": "T-42"}
    assert params["StatusCallback"] == STATUS_CALLBACK_URL


# -- failures ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "kind", "transient"),
    [
        ({"status": 503}, ErrorKind.UNAVAILABLE, True),
        ({"status": 500}, ErrorKind.UNAVAILABLE, True),
        ({"status": 429, "code": 20429}, ErrorKind.RATE_LIMITED, True),
        ({"code": 21211}, ErrorKind.INVALID_RECIPIENT, False),
        ({"code": 21610}, ErrorKind.OPT_OUT, False),
        ({"code": 21614}, ErrorKind.LANDLINE, False),
        ({"code": 21635}, ErrorKind.LANDLINE, False),
        ({"code": 21408}, ErrorKind.RECIPIENT_NOT_ALLOWED, False),
    ],
)
def test_sms_provider_errors_are_classified(
    provider_fakes: FakeProviders, fault: dict[str, Any], kind: ErrorKind, transient: bool
) -> None:
    provider_fakes.set_faults([{"provider": "twilio", **fault}])
    expected = TransientProviderError if transient else PermanentProviderError
    with pytest.raises(expected) as caught:
        sms_sender(provider_fakes).send(SMS)
    error = caught.value
    assert error.kind is kind
    assert error.http_status == only_send(provider_fakes)["status"]
    assert not error.ambiguous
    assert provider_fakes.messages("twilio") == []


def test_unsubscribed_recipient_carries_the_opt_out_flag(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "twilio", "code": 21610}])
    with pytest.raises(PermanentProviderError) as caught:
        sms_sender(provider_fakes).send(SMS)
    assert caught.value.opt_out
    assert caught.value.code == "21610"
    assert "unsubscribed" in caught.value.message


def test_whatsapp_window_closed_asks_for_a_template(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "twilio", "code": 63016, "to": WHATSAPP.to}])
    with pytest.raises(PermanentProviderError) as caught:
        whatsapp_sender(provider_fakes).send(WHATSAPP)
    assert caught.value.window_closed


def test_the_fake_rejects_an_invalid_number_like_twilio(provider_fakes: FakeProviders) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sms_sender(provider_fakes).send(replace(SMS, to="0612345678"))
    assert caught.value.invalid_recipient
    assert caught.value.code == "21211"


def test_wrong_credentials_are_a_permanent_auth_error(provider_fakes: FakeProviders) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sms_sender(provider_fakes, TWILIO_AUTH_TOKEN="not-the-token").send(SMS)
    assert (caught.value.kind, caught.value.http_status) == (ErrorKind.AUTH, 401)


def test_a_hanging_twilio_is_a_transient_ambiguous_timeout(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "twilio", "action": "timeout", "delay": 5}])
    started = time.monotonic()
    with pytest.raises(TransientProviderError) as caught:
        sms_sender(provider_fakes).send(SMS)
    assert time.monotonic() - started < 3
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert caught.value.ambiguous
    assert provider_fakes.messages("twilio") == []


def test_twilio_unreachable_is_transient_and_certainly_not_sent(
    provider_fakes: FakeProviders,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(TransientProviderError) as caught:
        sms_sender(provider_fakes, TWILIO_API_BASE_URL=closed).send(SMS)
    assert caught.value.kind is ErrorKind.CONNECTION
    assert not caught.value.ambiguous


# -- lost responses ----------------------------------------------------------------------------
def test_a_lost_sms_response_is_found_before_resending(provider_fakes: FakeProviders) -> None:
    since = datetime.now(UTC)
    sender = sms_sender(provider_fakes)
    sender.send(replace(SMS, notification_id="other", text="Another message"))
    provider_fakes.set_faults([{"provider": "twilio", "action": "accept_then_timeout", "delay": 5}])

    with pytest.raises(TransientProviderError) as caught:
        sender.send(SMS)
    assert caught.value.ambiguous

    accepted = [m for m in provider_fakes.messages("twilio") if m["body"] == SMS.text]
    assert len(accepted) == 1
    found = sender.find_previous(SMS, since)
    assert found is not None
    assert found.provider_message_id == accepted[0]["sid"]
    assert found.status == "queued"
    assert sender.find_previous(replace(SMS, text="Un autre texte"), since) is None
    assert sender.find_previous(replace(SMS, to="+33698765432"), since) is None
    assert sender.find_previous(SMS, datetime.now(UTC) + timedelta(minutes=10)) is None


def test_a_lost_whatsapp_template_response_is_found_by_its_variables(
    provider_fakes: FakeProviders,
) -> None:
    since = datetime.now(UTC)
    sender = whatsapp_sender(provider_fakes)
    message = replace(WHATSAPP, use_template=True)
    provider_fakes.set_faults([{"provider": "twilio", "action": "accept_then_timeout", "delay": 5}])
    with pytest.raises(TransientProviderError):
        sender.send(message)
    found = sender.find_previous(message, since)
    assert found is not None
    assert found.provider_message_id == provider_fakes.messages("twilio")[0]["sid"]
    other = replace(message, template=replace(TEMPLATE, variables=("Paul", "T-43")))
    assert sender.find_previous(other, since) is None


# -- status callbacks --------------------------------------------------------------------------
def test_status_callbacks_are_form_posts_signed_like_twilio(
    provider_fakes: FakeProviders, callback_receiver: CallbackReceiver
) -> None:
    url = f"{callback_receiver.url}/twilio_status?shop=fr"
    settings = settings_for(provider_fakes, TWILIO_STATUS_CALLBACK_URL=url)
    sid = TwilioSmsSender(settings.twilio).send(SMS).provider_message_id
    assert sid is not None

    provider_fakes.send_twilio_status(sid, "sent")
    provider_fakes.send_twilio_status(sid, "undelivered", error_code=30003)

    sent, undelivered = callback_receiver.wait_for(2)
    assert sent.url == url
    assert sent.form == {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "sent",
        "SmsStatus": "sent",
        "To": SMS.to,
        "From": SMS_FROM,
        "AccountSid": settings.twilio.account_sid,
        "ApiVersion": "2010-04-01",
    }
    validator = RequestValidator(settings.twilio.auth_token)
    for received in (sent, undelivered):
        assert validator.validate(url, received.form, received.headers["X-Twilio-Signature"])
    assert undelivered.form["ErrorCode"] == "30003"
    assert classify_twilio(None, undelivered.form["ErrorCode"], "").kind is ErrorKind.UNDELIVERABLE

    fetched = make_twilio_client(settings.twilio).messages(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert fetched.date_sent is not None
    assert fetched.price is not None


def test_auto_callbacks_post_sent_then_delivered_after_each_send(
    provider_fakes: FakeProviders, callback_receiver: CallbackReceiver
) -> None:
    provider_fakes.set_auto_callbacks(True, delay=0.01)
    settings = settings_for(provider_fakes, TWILIO_STATUS_CALLBACK_URL=callback_receiver.url)
    sid = TwilioSmsSender(settings.twilio).send(SMS).provider_message_id
    received = callback_receiver.wait_for(2)
    assert [(r.form["MessageSid"], r.form["MessageStatus"]) for r in received] == [
        (sid, "sent"),
        (sid, "delivered"),
    ]


def test_the_fake_lists_messages_by_recipient_and_date_sent_through_the_sdk(
    provider_fakes: FakeProviders,
) -> None:
    settings = settings_for(provider_fakes)
    sender = TwilioSmsSender(settings.twilio)
    first = sender.send(SMS).provider_message_id
    second = sender.send(replace(SMS, text="Rappel")).provider_message_id
    sender.send(replace(SMS, to="+33698765432"))
    assert first is not None
    assert second is not None
    client = make_twilio_client(settings.twilio)

    listed = client.messages.list(to=SMS.to, page_size=1)  # newest first, across two pages
    assert [m.sid for m in listed] == [second, first]

    yesterday = datetime.now(UTC) - timedelta(days=1)
    assert client.messages.list(to=SMS.to, date_sent_after=yesterday) == []  # none sent yet
    provider_fakes.send_twilio_status(first, "sent", url="http://127.0.0.1:9/unused")
    assert [m.sid for m in client.messages.list(to=SMS.to, date_sent_after=yesterday)] == [first]
