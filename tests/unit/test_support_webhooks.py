"""Signed webhook builders agree with the providers' own algorithms."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from tests.support.webhooks import meta_json, twilio_form

URL = "https://europe-west1-demo-shop.cloudfunctions.net/twilio_status?x=1"
TOKEN = "12345"
PARAMS = {"MessageSid": "SM123", "MessageStatus": "delivered", "To": "+33612345678"}


def test_twilio_form_is_signed_as_the_sdk_validates() -> None:
    headers, body = twilio_form(URL, PARAMS, TOKEN)

    form = dict(parse_qsl(body.decode()))
    assert form == PARAMS
    assert RequestValidator(TOKEN).validate(URL, form, headers["X-Twilio-Signature"])


def test_twilio_wrong_and_missing_signatures() -> None:
    wrong, _ = twilio_form(URL, PARAMS, TOKEN, signature="wrong")
    missing, _ = twilio_form(URL, PARAMS, TOKEN, signature="missing")

    assert not RequestValidator(TOKEN).validate(URL, PARAMS, wrong["X-Twilio-Signature"])
    assert "X-Twilio-Signature" not in missing


def test_meta_json_is_signed_over_the_raw_body() -> None:
    headers, body = meta_json({"object": "whatsapp_business_account", "entry": []}, "secret")

    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    wrong, _ = meta_json(body, "secret", signature="wrong")
    assert wrong["X-Hub-Signature-256"] != headers["X-Hub-Signature-256"]
    missing, _ = meta_json(body, "secret", signature="missing")
    assert "X-Hub-Signature-256" not in missing
