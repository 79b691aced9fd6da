"""Signature checks on the raw request: the URL Twilio signed, and Meta's body HMAC."""

from __future__ import annotations

from urllib.parse import urlencode

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
    candidate_urls,
    meta_challenge,
    meta_signature,
    verify_meta,
    verify_twilio,
)
from tests.support.webhooks import meta_signature as reference_meta_signature
from tests.support.webhooks import twilio_signature

TOKEN = "test-auth-token"
SECRET = "test-app-secret"


def request(
    path: str = "/twilio_inbound",
    query: str = "",
    *,
    host: str = "127.0.0.1:8081",
    scheme: str = "http",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> RawRequest:
    return RawRequest(
        method="POST",
        scheme=scheme,
        host=host,
        path=path,
        query=query,
        body=body,
        headers={k.lower(): v for k, v in (headers or {}).items()},
    )


@pytest.mark.parametrize(
    ("req", "base", "target", "first"),
    [
        (request(), None, None, "http://127.0.0.1:8081/twilio_inbound"),
        (
            request("/twilio_status", "a=1&b=%2F"),
            "https://shop.example.com",
            "twilio_status",
            "https://shop.example.com/twilio_status?a=1&b=%2F",
        ),
        (
            request("/", host="internal:8080"),
            "https://europe-west1-demo.cloudfunctions.net",
            "twilio_inbound",
            "https://europe-west1-demo.cloudfunctions.net/",
        ),
        (
            request(
                "/hook",
                host="10.0.0.7:8080",
                headers={"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "x.a.run.app"},
            ),
            None,
            None,
            "https://x.a.run.app/hook",
        ),
        (
            request("/hook", host="x.a.run.app", headers={"X-Forwarded-Proto": "https"}),
            None,
            None,
            "https://x.a.run.app/hook",
        ),
        (
            request("/a%20b", "q=%C3%A9"),
            "https://proxy.example.com/base/",
            None,
            "https://proxy.example.com/base/a%20b?q=%C3%A9",
        ),
    ],
)
def test_the_url_is_rebuilt_as_the_provider_called_it(
    req: RawRequest, base: str | None, target: str | None, first: str
) -> None:
    assert candidate_urls(req, base, target)[0] == first


def test_a_cloud_functions_url_gets_its_stripped_function_name_back() -> None:
    urls = candidate_urls(
        request("/", host="internal"),
        "https://europe-west1-demo.cloudfunctions.net",
        "twilio_inbound",
    )
    assert "https://europe-west1-demo.cloudfunctions.net/twilio_inbound" in urls


def test_a_bare_host_is_tried_without_its_trailing_slash() -> None:
    urls = candidate_urls(request("/", host="x.a.run.app", scheme="https"), None, None)
    assert urls == ["https://x.a.run.app/", "https://x.a.run.app"]


def _signed(url: str, params: dict[str, str], **kwargs: object) -> RawRequest:
    req = request(body=urlencode(params).encode(), **kwargs)  # type: ignore[arg-type]
    return RawRequest(
        **{
            **req.__dict__,
            "headers": {**req.headers, "x-twilio-signature": twilio_signature(TOKEN, url, params)},
        }
    )


def test_a_correctly_signed_twilio_form_is_accepted_and_parsed() -> None:
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "Body": "é ü +&="}
    req = _signed("http://127.0.0.1:8081/twilio_inbound", params)
    assert verify_twilio(req, TOKEN) == params


def test_twilio_signatures_over_the_public_url_are_accepted_behind_a_proxy() -> None:
    params = {"MessageSid": "SM1"}
    req = _signed(
        "https://shop.example.com/twilio_status?x=1",
        params,
        host="10.1.2.3:8080",
    )
    req = RawRequest(**{**req.__dict__, "path": "/twilio_status", "query": "x=1"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(req, TOKEN)
    assert verify_twilio(req, TOKEN, public_base_url="https://shop.example.com") == params


def test_twilio_signature_with_the_default_port_is_accepted_without_it() -> None:
    params = {"MessageSid": "SM1"}
    req = _signed("https://shop.example.com:443/twilio_inbound", params, host="shop.example.com")
    req = RawRequest(**{**req.__dict__, "scheme": "https"})
    assert verify_twilio(req, TOKEN) == params


def test_repeated_form_fields_are_signed_as_twilio_signs_them() -> None:
    pairs = [("MessageSid", "SM1"), ("Tag", "b"), ("Tag", "a")]
    url = "http://127.0.0.1:8081/twilio_inbound"
    signature = twilio_signature(TOKEN, url, {"MessageSid": "SM1", "Tag": ["b", "a"]})
    req = request(body=urlencode(pairs).encode(), headers={"X-Twilio-Signature": signature})
    assert verify_twilio(req, TOKEN)["MessageSid"] == "SM1"


def test_missing_wrong_and_unconfigured_twilio_signatures_are_refused() -> None:
    params = {"MessageSid": "SM1"}
    good = _signed("http://127.0.0.1:8081/twilio_inbound", params)
    with pytest.raises(NotConfiguredError):
        verify_twilio(good, None)
    with pytest.raises(CredentialsMissingError):
        verify_twilio(request(body=b"MessageSid=SM1"), TOKEN)
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(good, TOKEN + "x")
    tampered = RawRequest(**{**good.__dict__, "body": b"MessageSid=SM2"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(tampered, TOKEN)


def test_a_host_with_a_nonsense_port_is_refused_not_crashed() -> None:
    req = request(host="shop:notaport", headers={"X-Twilio-Signature": "abc"})
    with pytest.raises(CredentialsInvalidError):
        verify_twilio(req, TOKEN)


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
