"""The fake providers' pure parts: webhook signatures and fault rules."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from twilio.request_validator import RequestValidator

from devstack.fakes.faults import FaultBook, FaultRule, normalize_recipient
from devstack.fakes.signing import meta_signature, twilio_signature
from devstack.fakes.twilio_api import segments

URL = "https://europe-west1-shop.cloudfunctions.net/twilio_status?shop=fr"
PARAMS = {
    "MessageSid": "SM" + "a" * 32,
    "MessageStatus": "delivered",
    "To": "+33612345678",
    "From": "+15005550006",
    "AccountSid": "AC" + "b" * 32,
    "ApiVersion": "2010-04-01",
    "Body": "Prêt ✔",
}


def test_twilio_signature_is_the_one_the_sdk_validator_accepts() -> None:
    validator = RequestValidator("auth-token")
    signature = twilio_signature("auth-token", URL, PARAMS)
    assert signature == validator.compute_signature(URL, PARAMS)
    assert validator.validate(URL, PARAMS, signature)
    assert not validator.validate(URL, {**PARAMS, "MessageStatus": "failed"}, signature)


def test_twilio_signature_sorts_repeated_values_like_twilio() -> None:
    params = {"MediaUrl": ["https://b", "https://a"], "To": "+1"}
    expected = RequestValidator("t").compute_signature(URL, {"MediaUrl": "x", "To": "+1"})
    assert twilio_signature("t", URL, params) != expected
    manual = URL + "MediaUrlhttps://a" + "MediaUrlhttps://b" + "To+1"
    digest = hmac.new(b"t", manual.encode(), hashlib.sha1).digest()
    assert twilio_signature("t", URL, params) == base64.b64encode(digest).decode()


def test_meta_signature_is_sha256_hmac_hex_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    expected = hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert meta_signature("app-secret", body) == f"sha256={expected}"


def test_a_fault_fires_for_the_next_n_sends_then_stops() -> None:
    book = FaultBook()
    book.set([FaultRule.from_json({"provider": "twilio", "status": 503, "times": 2})])
    fired = [book.take("twilio", "+33612345678") for _ in range(3)]
    assert [f is not None for f in fired] == [True, True, False]
    assert book.take("meta", "33612345678") is None
    assert book.rules()[0]["fired"] == 2


def test_a_fault_for_one_recipient_matches_it_in_every_provider_notation() -> None:
    book = FaultBook()
    book.set(
        [FaultRule.from_json({"provider": "*", "code": 21610, "to": "+33612345678", "times": None})]
    )
    assert book.take("twilio", "+33 6 12 34 56 78") is not None
    assert book.take("twilio", "whatsapp:+33612345678") is not None
    assert book.take("meta", "33612345678") is not None
    assert book.take("twilio", "+33600000000") is None


def test_a_seeded_fraction_is_reproducible() -> None:
    def run() -> list[bool]:
        book = FaultBook()
        book.set(
            [
                FaultRule.from_json(
                    {"provider": "meta", "status": 503, "probability": 0.3, "seed": 7}
                )
            ]
        )
        return [book.take("meta", "1") is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 40 <= sum(first) <= 80


@pytest.mark.parametrize(
    "rule",
    [
        {"provider": "sms", "status": 503},
        {"provider": "twilio", "action": "explode"},
        {"provider": "twilio"},  # an error needs a status or a code
        {"provider": "twilio", "status": 503, "probability": 2},
        {"provider": "twilio", "status": 503, "color": "red"},
    ],
)
def test_bad_fault_rules_are_refused(rule: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultRule.from_json(rule)


def test_recipients_compare_by_digits_or_lowercase_email() -> None:
    assert normalize_recipient("whatsapp:+33 6 12") == "33612"
    assert normalize_recipient("Marie@Example.FR") == "marie@example.fr"
    assert normalize_recipient("fcm-token:ABC") == "fcm-token:ABC"


@pytest.mark.parametrize(
    ("body", "count"),
    [("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 81, 2), ("é" * 70, 1), ("ê" * 71, 2)],
)
def test_fake_twilio_counts_segments_like_twilio(body: str, count: int) -> None:
    assert segments(body) == count
