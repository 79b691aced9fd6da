"""The in-code lock on internal endpoints: Google-signed OIDC tokens, audience and invoker."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from shared.adapters.oidc import (
    CachedGoogleCerts,
    CallerAuthError,
    ForbiddenCallerError,
    InvalidTokenError,
    MissingCredentialsError,
    NotConfiguredCallerError,
    VerifierUnavailableError,
    jwt_verifier,
    verify_internal_caller,
)
from shared.platform.settings import Settings

AUDIENCE = "https://deliver-notification-123456789.europe-west1.run.app"
INVOKER = "notify-invoker@shop-prod.iam.gserviceaccount.com"
KEY_ID = "test-key-1"


def _private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def google_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(google_key: rsa.RSAPrivateKey) -> Any:
    certs = {KEY_ID: _public_pem(google_key)}
    return jwt_verifier(lambda: certs)


_signer_from_pem: Callable[..., Any] = crypt.RSASigner.from_string  # untyped library
_jwt_encode: Callable[..., Any] = jwt.encode


def _b64(part: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _token(key: rsa.RSAPrivateKey, key_id: str = KEY_ID, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "sub": "112233445566778899",
        "email": INVOKER,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    signer = _signer_from_pem(_private_pem(key), key_id=key_id)
    encoded: bytes = _jwt_encode(signer, claims)
    return encoded.decode()


SETTINGS = Settings(internal_audience=AUDIENCE, internal_invokers=(INVOKER,))


def test_task_token_from_the_invoker_account_is_accepted(
    google_key: rsa.RSAPrivateKey, verifier: Any
) -> None:
    header = f"Bearer {_token(google_key)}"
    verify_internal_caller(header, SETTINGS, verifier=verifier)


def test_scheme_is_case_insensitive_and_issuer_without_scheme_is_google(
    google_key: rsa.RSAPrivateKey, verifier: Any
) -> None:
    header = f"bearer {_token(google_key, iss='accounts.google.com')}"
    verify_internal_caller(header, SETTINGS, verifier=verifier)


def test_local_stack_without_audience_accepts_any_caller() -> None:
    def must_not_be_called(token: str, audience: str) -> Mapping[str, Any]:
        raise AssertionError("no verification without INTERNAL_AUDIENCE")

    verify_internal_caller(None, Settings(), verifier=must_not_be_called)
    verify_internal_caller("Bearer whatever", Settings(), verifier=must_not_be_called)


@pytest.mark.parametrize("header", [None, "", "   ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer   "])
def test_missing_or_non_bearer_header_is_401(header: str | None, verifier: Any) -> None:
    with pytest.raises(MissingCredentialsError) as info:
        verify_internal_caller(header, SETTINGS, verifier=verifier)
    assert info.value.status == 401


def test_token_for_another_audience_is_401(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    token = _token(google_key, aud="https://cart-sweep-123456789.europe-west1.run.app")
    with pytest.raises(InvalidTokenError) as info:
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)
    assert info.value.status == 401


def test_expired_token_is_401(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    long_ago = int(time.time()) - 7200
    token = _token(google_key, iat=long_ago, exp=long_ago + 3600)
    with pytest.raises(InvalidTokenError) as info:
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)
    assert info.value.status == 401


def test_token_signed_by_another_key_is_401(stranger_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    token = _token(stranger_key)  # same key id, wrong key: a forgery
    with pytest.raises(InvalidTokenError):
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


def test_token_with_unknown_key_id_is_401(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    token = _token(google_key, key_id="not-a-google-key")
    with pytest.raises(InvalidTokenError):
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


def test_unsigned_token_is_401(verifier: Any) -> None:
    header = {"alg": "none", "typ": "JWT"}
    claims = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "email": INVOKER}
    unsigned = f"{_b64(header)}.{_b64(claims)}"
    for token in (unsigned + ".", unsigned):
        with pytest.raises(InvalidTokenError):
            verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "!!!.???.###", "e30.e30.e30"])
def test_garbage_token_is_401(garbage: str, verifier: Any) -> None:
    with pytest.raises(InvalidTokenError):
        verify_internal_caller(f"Bearer {garbage}", SETTINGS, verifier=verifier)


def test_token_from_another_issuer_is_401(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    token = _token(google_key, iss="https://evil.example")
    with pytest.raises(InvalidTokenError):
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


def test_valid_token_of_another_account_is_403(
    google_key: rsa.RSAPrivateKey, verifier: Any
) -> None:
    token = _token(google_key, email="someone-else@shop-prod.iam.gserviceaccount.com")
    with pytest.raises(ForbiddenCallerError) as info:
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)
    assert info.value.status == 403


@pytest.mark.parametrize("email_verified", [False, None, "true"])
def test_unverified_email_is_403(
    google_key: rsa.RSAPrivateKey, verifier: Any, email_verified: object
) -> None:
    token = _token(google_key, email_verified=email_verified)
    with pytest.raises(ForbiddenCallerError):
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


def test_token_without_email_is_403(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    token = _token(google_key, email=None)
    with pytest.raises(ForbiddenCallerError):
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)


def test_no_allowed_invokers_refuses_everyone(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    settings = Settings(internal_audience=AUDIENCE, internal_invokers=())
    with pytest.raises(ForbiddenCallerError):
        verify_internal_caller(f"Bearer {_token(google_key)}", settings, verifier=verifier)


def test_settings_from_env_feed_the_check(google_key: rsa.RSAPrivateKey, verifier: Any) -> None:
    settings = Settings.from_env(
        {"INTERNAL_AUDIENCE": AUDIENCE, "INTERNAL_INVOKERS": f" other@x.test , {INVOKER} "}
    )
    verify_internal_caller(f"Bearer {_token(google_key)}", settings, verifier=verifier)


def test_every_refusal_is_a_caller_auth_error_with_a_status() -> None:
    for cls in (MissingCredentialsError, InvalidTokenError, ForbiddenCallerError):
        assert issubclass(cls, CallerAuthError)
        assert not cls.transient
    assert VerifierUnavailableError.status == 503
    assert VerifierUnavailableError.transient


class _FakeResponse:
    def __init__(self, status: int, body: object) -> None:
        self.status = status
        self.data = json.dumps(body).encode()


class _FakeTransport:
    """Stands in for ``google.auth.transport.requests.Request``: counts fetches."""

    def __init__(self, certs_by_call: list[Mapping[str, str]], status: int = 200) -> None:
        self.calls = 0
        self._certs = certs_by_call
        self._status = status

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> _FakeResponse:
        body = self._certs[min(self.calls, len(self._certs) - 1)]
        self.calls += 1
        return _FakeResponse(self._status, body)


def test_google_certs_are_cached_and_refetched_for_a_rotated_key(
    google_key: rsa.RSAPrivateKey, stranger_key: rsa.RSAPrivateKey
) -> None:
    before_rotation = {"old-key": _public_pem(stranger_key)}
    after_rotation = {"old-key": _public_pem(stranger_key), KEY_ID: _public_pem(google_key)}
    transport = _FakeTransport([before_rotation, after_rotation])
    verify = jwt_verifier(CachedGoogleCerts(request=transport))
    header = f"Bearer {_token(google_key)}"

    verify_internal_caller(header, SETTINGS, verifier=verify)
    assert transport.calls == 2  # the unknown key id made it fetch once more
    verify_internal_caller(header, SETTINGS, verifier=verify)
    assert transport.calls == 2  # cached: no fetch per request


def test_certs_outage_is_a_transient_503(google_key: rsa.RSAPrivateKey) -> None:
    verify = jwt_verifier(CachedGoogleCerts(request=_FakeTransport([{}], status=503)))
    with pytest.raises(VerifierUnavailableError) as info:
        verify_internal_caller(f"Bearer {_token(google_key)}", SETTINGS, verifier=verify)
    assert info.value.status == 503


def test_deployed_without_an_audience_refuses_everyone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Security finding: INTERNAL_AUDIENCE unset on Cloud Run used to accept anyone."""
    deployed = Settings(service_name="deliver-notification", internal_invokers=(INVOKER,))

    with pytest.raises(NotConfiguredCallerError) as first:
        verify_internal_caller("Bearer anything", deployed)
    with pytest.raises(NotConfiguredCallerError):
        verify_internal_caller(None, deployed)

    assert first.value.status == 403


@pytest.mark.parametrize(
    "token",
    [
        _b64({"a": [[[[[]]]]]}) + ".e30.sig",
        base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode() + ".e30.x",
        "x" * 10_000,
        "a.b",
        "...",
    ],
    ids=["nested", "deeply-nested", "huge", "two-parts", "empty-parts"],
)
def test_a_malformed_token_is_a_401_never_a_crash(token: str, verifier: Any) -> None:
    with pytest.raises(InvalidTokenError) as info:
        verify_internal_caller(f"Bearer {token}", SETTINGS, verifier=verifier)
    assert info.value.status == 401


def test_unknown_key_ids_force_at_most_one_refetch_a_minute(
    google_key: rsa.RSAPrivateKey, stranger_key: rsa.RSAPrivateKey
) -> None:
    clock = [1000.0]
    transport = _FakeTransport([{KEY_ID: _public_pem(google_key)}])
    certs = CachedGoogleCerts(request=transport, clock=lambda: clock[0])
    verify = jwt_verifier(certs)
    forged = f"Bearer {_token(stranger_key, key_id='made-up')}"

    for _ in range(20):
        with pytest.raises(InvalidTokenError):
            verify_internal_caller(forged, SETTINGS, verifier=verify)
    assert transport.calls == 2  # the first fetch, and one refetch for the unknown kid
    clock[0] += 61
    with pytest.raises(InvalidTokenError):
        verify_internal_caller(forged, SETTINGS, verifier=verify)
    assert transport.calls == 3
