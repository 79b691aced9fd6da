"""Signature checks on the raw request: the URL Twilio signed, and Meta's body HMAC.

The Twilio corpus is Twilio's own validator test vectors (twilio-python and twilio-node, see
tests/fixtures/README.md); the rest are the cases the SDKs leave to us: which URL, which key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.boundary.errors import (
    CredentialsInvalidError,
    CredentialsMissingError,
    ForbiddenError,
    NotConfiguredError,
)
from functions.boundary.http import RawRequest
from functions.boundary.signatures import (
    TWILIO_SIGNATURE_SETTINGS_HEADER,
    PublicUrl,
    TwilioKeys,
    candidate_urls,
    meta_challenge,
    meta_signature,
    twilio_params,
    verify_meta,
    verify_twilio,
)
from tests.support.fixtures import load_json
from tests.support.webhooks import meta_signature as reference_meta_signature
from tests.support.webhooks import twilio_signature

TOKEN = "test-auth-token"
SHARED_KEY = "test-shared-key-secret"
SECRET = "test-app-secret"
KEYS = TwilioKeys(TOKEN)
BASE = "https://europe-west1-shop.cloudfunctions.net"
INBOUND = PublicUrl("twilio_inbound", public_base_url=BASE)
STATUS = PublicUrl("twilio_status", public_base_url=BASE)
VECTORS: list[dict[str, Any]] = load_json("twilio/request_validator.json")["cases"]


def request(
    path: str = "/",
    query: str = "",
    *,
    host: str = "10.0.0.7:8080",
    scheme: str = "http",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> RawRequest:
    """A request as Cloud Functions hands it over: plain HTTP on an internal host, the
    function's name stripped from the path."""
    return RawRequest(
        method="POST",
        scheme=scheme,
        host=host,
        path=path,
        query=query,
        body=body,
        headers={k.lower(): v for k, v in (headers or {}).items()},
    )


def signed(
    url: str,
    pairs: list[tuple[str, str]],
    *,
    key: str = TOKEN,
    algorithm: str | None = None,
    settings: str | None = None,
    **kwargs: Any,
) -> RawRequest:
    """A form POST signed for ``url``, the way Twilio signs it."""
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    if algorithm is None:
        signature = twilio_signature(key, url, params)
    else:
        from twilio.request_validator import RequestValidator  # noqa: PLC0415
        from werkzeug.datastructures import MultiDict  # noqa: PLC0415

        signature = RequestValidator(key).compute_signature(url, MultiDict(pairs), algorithm)
    headers = {"X-Twilio-Signature": signature, **kwargs.pop("headers", {})}
    if settings is not None:
        headers[TWILIO_SIGNATURE_SETTINGS_HEADER] = settings
    query = urlsplit(url).query
    return request(query=query, body=urlencode(pairs).encode(), headers=headers, **kwargs)


FORM = [("MessageSid", "SM1"), ("MessageStatus", "delivered"), ("Body", "é ü +&=")]


# --- Twilio's own vectors ----------------------------------------------------------------------


def _vector_request(case: dict[str, Any]) -> tuple[RawRequest, PublicUrl]:
    url = urlsplit(case["url"])
    public = url._replace(query="").geturl()
    if "body" in case:
        body = case["body"].encode()
    else:
        body = urlencode([tuple(pair) for pair in case["form"]]).encode()
    signature = case.get("signature") or twilio_signature(case["token"], case["signedUrl"], {})
    raw = request(
        query=url.query, body=body, headers={"X-Twilio-Signature": signature}, host="internal"
    )
    return raw, PublicUrl("twilio_inbound", webhook_public_url=public)


@pytest.mark.parametrize("case", VECTORS, ids=[f"{c['source']}: {c['test']}" for c in VECTORS])
def test_twilios_own_request_validator_vectors(case: dict[str, Any]) -> None:
    raw, where = _vector_request(case)
    keys = TwilioKeys(case["token"])
    if case["valid"]:
        verify_twilio(raw, keys, where)
    else:
        with pytest.raises(CredentialsInvalidError):
            verify_twilio(raw, keys, where)


def test_a_json_body_is_checked_through_its_hash_on_the_raw_bytes() -> None:
    [case] = [c for c in VECTORS if c["test"] == "test_validation_of_body_succeeds"]
    raw, where = _vector_request(case)
    assert verify_twilio(raw, TwilioKeys(case["token"]), where) == {}
    assert twilio_params(raw) == {"property": "value", "boolean": "true"}
    tampered = RawRequest(**{**raw.__dict__, "body": raw.body.replace(b"value", b"other")})
    with pytest.raises(CredentialsInvalidError, match="bodySHA256"):
        verify_twilio(tampered, TwilioKeys(case["token"]), where)
    spaced = RawRequest(**{**raw.__dict__, "body": raw.body + b" "})  # bytes, not JSON, count
    with pytest.raises(CredentialsInvalidError, match="bodySHA256"):
        verify_twilio(spaced, TwilioKeys(case["token"]), where)


# --- Which URL: never the client's headers -----------------------------------------------------


def test_a_form_signed_for_the_public_url_is_accepted() -> None:
    raw = signed(f"{BASE}/twilio_inbound", FORM)
    assert verify_twilio(raw, KEYS, INBOUND).to_dict() == dict(FORM)
    assert twilio_params(raw) == dict(FORM)


def test_a_callback_signed_for_twilio_status_is_refused_by_twilio_inbound() -> None:
    raw = signed(f"{BASE}/twilio_status", FORM)
    verify_twilio(raw, KEYS, STATUS)
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(raw, KEYS, INBOUND)
    # nor through the path: ".../twilio_inbound/twilio_status" arrives as "/twilio_status"
    moved = RawRequest(**{**raw.__dict__, "path": "/twilio_status"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(moved, KEYS, INBOUND)
    own = PublicUrl("twilio_inbound", webhook_public_url="https://twilio-inbound-1.a.run.app/")
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(raw, KEYS, own)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        {"X-Forwarded-Host": "evil.example, europe-west1-shop.cloudfunctions.net"},
    ],
)
def test_a_forged_host_is_refused(headers: dict[str, str]) -> None:
    url = "https://evil.example/twilio_inbound"  # signed for the attacker's own URL
    raw = signed(url, FORM, host="evil.example", scheme="https", headers=headers)
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(raw, KEYS, INBOUND)
    run_app = PublicUrl("twilio_inbound", webhook_public_url="https://twilio-inbound-1.a.run.app")
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(raw, KEYS, run_app)


def test_without_a_public_url_a_deployed_function_refuses_rather_than_trust_the_host() -> None:
    url = "https://twilio-inbound-1.a.run.app/twilio_inbound"
    raw = signed(url, FORM, host="twilio-inbound-1.a.run.app", scheme="https")
    with pytest.raises(NotConfiguredError, match="WEBHOOK_PUBLIC_URL"):
        verify_twilio(raw, KEYS, PublicUrl("twilio_inbound", deployed=True))
    with pytest.raises(NotConfiguredError):  # off Cloud Run too, for a host that is not loopback
        verify_twilio(raw, KEYS, PublicUrl("twilio_inbound", deployed=False))


def test_off_cloud_run_a_loopback_host_is_its_own_url_with_the_functions_name() -> None:
    local = PublicUrl("twilio_inbound", deployed=False)
    ok = signed("http://localhost/twilio_inbound", FORM, host="localhost")
    assert verify_twilio(ok, KEYS, local).to_dict() == dict(FORM)
    status = signed("http://localhost/twilio_status", FORM, host="localhost")
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(status, KEYS, local)
    forwarded = signed(
        "https://shop.example.com/twilio_inbound",
        FORM,
        host="localhost",
        headers={"X-Forwarded-Host": "shop.example.com", "X-Forwarded-Proto": "https"},
    )
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(forwarded, KEYS, local)


@pytest.mark.parametrize(
    ("where", "query", "expected"),
    [
        (INBOUND, "", [f"{BASE}/twilio_inbound", f"{BASE}:443/twilio_inbound"]),
        (
            PublicUrl("t", public_base_url="https://proxy.example.com/base/"),
            "a=1&b=%2F",
            [
                "https://proxy.example.com/base/t?a=1&b=%2F",
                "https://proxy.example.com:443/base/t?a=1&b=%2F",
            ],
        ),
        (
            PublicUrl("t", webhook_public_url="http://127.0.0.1:8081/twilio_status"),
            "",
            ["http://127.0.0.1:8081/twilio_status", "http://127.0.0.1/twilio_status"],
        ),
        (
            PublicUrl("t", webhook_public_url="https://user:pass@shop.example.com/hook?ignored=1"),
            "x='y'",
            [
                "https://user:pass@shop.example.com/hook?x='y'",
                "https://user:pass@shop.example.com/hook?x=%27y%27",
                "https://user:pass@shop.example.com:443/hook?x='y'",
                "https://user:pass@shop.example.com:443/hook?x=%27y%27",
            ],
        ),
    ],
)
def test_the_spellings_tried_are_the_configured_url_with_and_without_its_port(
    where: PublicUrl, query: str, expected: list[str]
) -> None:
    assert candidate_urls(request(query=query), where) == expected


def test_credentials_in_the_public_url_are_part_of_what_is_signed() -> None:
    public = "https://user:pass@shop.example.com/twilio_inbound"
    where = PublicUrl("twilio_inbound", webhook_public_url=public)
    verify_twilio(signed(public, FORM), KEYS, where)
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(signed("https://shop.example.com/twilio_inbound", FORM), KEYS, where)


# --- Which key -----------------------------------------------------------------------------------


def test_a_sharedkey_webhook_is_checked_with_the_signing_key_and_the_named_algorithm() -> None:
    url = f"{BASE}/twilio_inbound"
    header = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    keys = TwilioKeys(TOKEN, SHARED_KEY)
    raw = signed(url, FORM, key=SHARED_KEY, algorithm="HMAC_SHA256", settings=header)
    assert verify_twilio(raw, keys, INBOUND).to_dict() == dict(FORM)
    by_hand = hmac.new(
        SHARED_KEY.encode(),
        (url + "".join(k + v for k, v in sorted(FORM))).encode(),
        hashlib.sha256,
    )
    assert raw.header("X-Twilio-Signature") == base64.b64encode(by_hand.digest()).decode()
    with pytest.raises(NotConfiguredError, match="TWILIO_WEBHOOK_SIGNING_KEY"):
        verify_twilio(raw, KEYS, INBOUND)
    token_signed = signed(url, FORM, key=TOKEN, algorithm="HMAC_SHA256", settings=header)
    with pytest.raises(CredentialsInvalidError):  # the auth token is not the key then
        verify_twilio(token_signed, keys, INBOUND)
    headerless = RawRequest(
        **{**raw.__dict__, "headers": {k: v for k, v in raw.headers.items() if "settings" not in k}}
    )
    with pytest.raises(CredentialsInvalidError):  # without the header: the auth token, SHA-1
        verify_twilio(headerless, keys, INBOUND)
    assert verify_twilio(signed(url, FORM), keys, INBOUND)  # auth-token webhooks still pass


def test_an_unknown_signature_algorithm_is_refused() -> None:
    url = f"{BASE}/twilio_inbound"
    raw = signed(url, FORM, key=SHARED_KEY, settings="key=k,algorithm=HMAC_SHA3_512")
    with pytest.raises(CredentialsInvalidError, match="algorithm"):
        verify_twilio(raw, TwilioKeys(TOKEN, SHARED_KEY), INBOUND)


def test_missing_wrong_and_unconfigured_twilio_signatures_are_refused() -> None:
    good = signed(f"{BASE}/twilio_inbound", FORM)
    with pytest.raises(NotConfiguredError):
        verify_twilio(good, TwilioKeys(None), INBOUND)
    with pytest.raises(CredentialsMissingError):
        verify_twilio(request(body=b"MessageSid=SM1"), KEYS, INBOUND)
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(good, TwilioKeys(TOKEN + "x"), INBOUND)
    tampered = RawRequest(**{**good.__dict__, "body": b"MessageSid=SM2"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(tampered, KEYS, INBOUND)


# --- Repeated fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pairs",
    [
        [("MessageSid", "SM1"), ("From", "+33612345678"), ("From", "+33699999999")],
        [("MessageSid", "SM1"), ("From", "+33699999999"), ("From", "+33612345678")],  # reordered
        [("MessageSid", "SM1"), ("MessageSid", "SM1"), ("Body", "STOP")],  # even the same value
        [("MessageSid", "SM1"), ("MediaUrl0", "https://a/1"), ("MediaUrl0", "https://a/2")],
    ],
)
def test_repeated_single_valued_fields_in_a_signed_form_are_refused(
    pairs: list[tuple[str, str]],
) -> None:
    raw = signed(f"{BASE}/twilio_inbound", pairs)
    with pytest.raises(CredentialsInvalidError, match="repeated"):
        verify_twilio(raw, KEYS, INBOUND)


def test_other_repeated_fields_are_signed_as_twilio_signs_them() -> None:
    pairs = [("MessageSid", "SM1"), ("Tag", "b"), ("Tag", "a")]
    form = verify_twilio(signed(f"{BASE}/twilio_inbound", pairs), KEYS, INBOUND)
    assert form.getlist("Tag") == ["b", "a"]


def test_a_host_with_a_nonsense_port_is_refused_not_crashed() -> None:
    raw = request(host="shop:notaport", headers={"X-Twilio-Signature": "abc"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(raw, KEYS, PublicUrl("t", webhook_public_url="https://shop:notaport/x"))


# --- Meta ----------------------------------------------------------------------------------------


def test_meta_signature_matches_the_reference_implementation() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    assert meta_signature(body, SECRET) == reference_meta_signature(SECRET, body)


def test_meta_signatures_are_checked_on_the_raw_body() -> None:
    body = b'{"entry": []}'
    verify_meta(body, meta_signature(body, SECRET), SECRET)
    verify_meta(body, meta_signature(body, SECRET).upper().replace("SHA256", "sha256"), SECRET)
    with pytest.raises(CredentialsMissingError):
        verify_meta(body, None, SECRET)
    with pytest.raises(CredentialsMissingError):
        verify_meta(body, "  ", SECRET)
    with pytest.raises(CredentialsInvalidError):
        verify_meta(body + b" ", meta_signature(body, SECRET), SECRET)
    with pytest.raises(CredentialsInvalidError):
        verify_meta(body, "sha1=" + meta_signature(body, SECRET)[7:], SECRET)
    with pytest.raises(CredentialsInvalidError):
        verify_meta(body, "sha256=é\udcff", SECRET)
    with pytest.raises(NotConfiguredError):
        verify_meta(body, meta_signature(body, SECRET), None)


@given(st.binary(max_size=300), st.text(max_size=100))
def test_meta_verification_only_ever_accepts_the_right_signature(body: bytes, header: str) -> None:
    try:
        verify_meta(body, header, SECRET)
    except (CredentialsMissingError, CredentialsInvalidError):
        return
    assert header.strip().lower() == meta_signature(body, SECRET)


def test_meta_verify_handshake() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert meta_challenge(query, "vt") == "1158201444"
    with pytest.raises(ForbiddenError):
        meta_challenge({**query, "hub.verify_token": "nope"}, "vt")
    with pytest.raises(ForbiddenError):
        meta_challenge({**query, "hub.mode": "unsubscribe"}, "vt")
    with pytest.raises(NotConfiguredError):
        meta_challenge(query, None)
