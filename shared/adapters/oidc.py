"""Who may call the internal HTTP targets (``deliver_notification``, ``cart_sweep``).

In production both are deployed private (``--no-allow-unauthenticated``): Cloud Run's IAM check
lets through only callers with ``roles/run.invoker``. This module is the second lock, in code,
so that a function deployed public by mistake still refuses strangers: when
``INTERNAL_AUDIENCE`` is set, a request must carry a Google-signed OIDC ID token
(``Authorization: Bearer ...``) whose ``aud`` is that audience, whose ``iss`` is Google, and whose
verified ``email`` is one of ``INTERNAL_INVOKERS`` (the service account Cloud Tasks and Cloud
Scheduler sign as).

Fail closed: deployed (``K_SERVICE`` set, as on Cloud Run and Cloud Functions gen2) without
``INTERNAL_AUDIENCE``, every request is refused (``NotConfiguredCallerError``, 403) and the
misconfiguration is logged at ERROR once per instance. Only outside Cloud Run (the local stack,
the emulators) does a missing audience mean "not checked", which is logged at WARNING once.

A token is length-capped and its header read defensively before any verification: a malformed
token (garbage, deeply nested JSON, a header that is not an object) is a 401, never a crash. A
token naming a key id the cached certificates do not have triggers a refetch at most once per
``REFRESH_INTERVAL`` (so unknown ``kid``s cannot make every request hit Google), and fetching
happens outside the cache's lock.

Status codes (``CallerAuthError.status``): 401 when the request does not prove who it is
(no header, not a bearer token, bad signature, expired, wrong issuer or audience: the token was
not made for this endpoint); 403 when it proves it but that identity is not allowed (an email
outside ``INTERNAL_INVOKERS``, or an unverified email); 503 when Google's certificates cannot be
fetched (transient: the queue retries).

Google's signing certificates are fetched over the network; the verifier is injectable so that
tests sign tokens with a locally generated key and pass its certificate (``jwt_verifier``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from google.auth import exceptions as google_auth_exceptions
from google.auth import jwt

from shared.platform.errors import NotificationError
from shared.platform.log import get_logger
from shared.platform.settings import Settings

log = get_logger(__name__)

GOOGLE_OAUTH2_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
CLOCK_SKEW_SECONDS = 10
MAX_TOKEN_CHARS = 4096  # a Google ID token is about 1 KB
REFRESH_INTERVAL = 60.0  # seconds between two refetches forced by an unknown key id
_warned = threading.Event()

_jwt_decode: Callable[..., Mapping[str, Any]] = jwt.decode  # the library is untyped

# (token, audience) -> verified claims; raises ValueError / google.auth errors when invalid.
TokenVerifier = Callable[[str, str], Mapping[str, Any]]
# () -> {key id: PEM certificate or public key}
CertsProvider = Callable[[], Mapping[str, str]]


class CallerAuthError(NotificationError):
    """An internal endpoint refused its caller; ``status`` is the HTTP answer to give."""

    status = 401


class MissingCredentialsError(CallerAuthError):
    """No ``Authorization: Bearer <token>`` header on a request that needs one (401)."""

    status = 401


class InvalidTokenError(CallerAuthError):
    """The bearer token is malformed, badly signed, expired, or for another audience (401)."""

    status = 401


class ForbiddenCallerError(CallerAuthError):
    """A valid token whose identity is not an allowed invoker, or not verified (403)."""

    status = 403


class NotConfiguredCallerError(CallerAuthError):
    """Deployed without ``INTERNAL_AUDIENCE``: nobody can be verified, so nobody is let in (403)."""

    status = 403


class VerifierUnavailableError(CallerAuthError):
    """Google's certificates could not be fetched: nothing is known about the caller yet (503)."""

    status = 503
    transient = True


def verify_internal_caller(
    authorization_header: str | None,
    settings: Settings,
    *,
    verifier: TokenVerifier | None = None,
) -> None:
    """Refuse the request (``CallerAuthError``) unless its caller is an allowed internal invoker.

    A no-op (debug log) when ``settings.internal_audience`` is not configured. ``verifier``
    defaults to checking the token against Google's published certificates.
    """
    audience = settings.internal_audience
    if not audience:
        if settings.deployed:
            if not _warned.is_set():
                _warned.set()
                log.error(
                    "INTERNAL_AUDIENCE is not set on a deployed function: every internal "
                    "request is refused until it is"
                )
            raise NotConfiguredCallerError("INTERNAL_AUDIENCE is not set: internal calls refused")
        if not _warned.is_set():
            _warned.set()
            log.warning("internal callers are not verified: INTERNAL_AUDIENCE is not set")
        return
    token = _bearer_token(authorization_header)
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise InvalidTokenError("token refused: not a JWT")
    verify = verifier or default_verifier()
    try:
        claims = verify(token, audience)
    except google_auth_exceptions.TransportError as exc:
        raise VerifierUnavailableError(f"cannot verify the caller now: {exc}") from exc
    except (ValueError, RecursionError, google_auth_exceptions.GoogleAuthError) as exc:
        # The library's message names the failed check (expired, audience, signature), never
        # the token itself.
        raise InvalidTokenError(f"token refused: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise InvalidTokenError("token refused: not issued by Google")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise ForbiddenCallerError("token carries no email")
    if claims.get("email_verified") is not True:
        raise ForbiddenCallerError("token email is not verified")
    if email not in settings.internal_invokers:
        raise ForbiddenCallerError(f"{email} is not an allowed internal invoker")
    log.debug("internal caller verified", extra={"invoker": email})


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header or not authorization_header.strip():
        raise MissingCredentialsError("missing Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingCredentialsError("Authorization header is not a bearer token")
    return token.strip()


def jwt_verifier(certs: CertsProvider) -> TokenVerifier:
    """A verifier checking signature, expiry and audience against the certificates of ``certs``.

    When the token names a key id absent from the certificates, ``certs`` is asked once more
    (providers that cache, like ``CachedGoogleCerts``, refetch on ``refresh=True``).
    """

    def verify(token: str, audience: str) -> Mapping[str, Any]:
        current = certs()
        kid = _unverified_key_id(token)
        if kid is not None and kid not in current and isinstance(certs, CachedGoogleCerts):
            current = certs(refresh=True)
        return _jwt_decode(
            token, certs=current, audience=audience, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
        )

    return verify


def _unverified_key_id(token: str) -> str | None:
    """The ``kid`` of a JWT header, or None when there is none or the token is garbage."""
    header = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, RecursionError):  # garbage, or JSON nested deep enough to recurse
        return None
    kid = decoded.get("kid") if isinstance(decoded, dict) else None
    return kid if isinstance(kid, str) else None


class CachedGoogleCerts:
    """Google's OAuth2 signing certificates, fetched on first use and kept for ``ttl`` seconds.

    One fetch per instance per hour instead of one per request; a token signed with a key
    rotated in since the last fetch triggers one refetch.
    """

    def __init__(
        self,
        url: str = GOOGLE_OAUTH2_CERTS_URL,
        ttl_seconds: float = 3600.0,
        request: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._ttl = ttl_seconds
        self._request = request
        self._clock = clock
        self._lock = threading.Lock()
        self._certs: Mapping[str, str] = {}
        self._fetched_at: float | None = None
        self._forced_at: float | None = None  # the last refetch an unknown key id asked for

    def __call__(self, refresh: bool = False) -> Mapping[str, str]:
        """The certificates; ``refresh`` asks for a refetch, granted once per
        ``REFRESH_INTERVAL``. The fetch runs outside the lock: readers keep the cached set."""
        with self._lock:
            now = self._clock()
            age = None if self._fetched_at is None else now - self._fetched_at
            forced = refresh and (
                self._forced_at is None or now - self._forced_at > REFRESH_INTERVAL
            )
            due = age is None or age > self._ttl or forced
            if not due:
                return self._certs
            if not self._certs:  # the first fetch: every caller needs it, so all wait for it
                self._certs = self._fetch()
                self._fetched_at = now
                return self._certs
            self._fetched_at = now  # one refetch at a time; the others use what is cached
            if forced:
                self._forced_at = now
            cached = self._certs
        try:
            fresh = self._fetch()
        except VerifierUnavailableError as exc:
            log.warning("could not refresh Google's certificates, keeping the cached ones: %s", exc)
            return cached
        with self._lock:
            self._certs = fresh
            return fresh

    def _fetch(self) -> Mapping[str, str]:
        if self._request is None:
            # Imported lazily: only production needs the HTTP transport.
            from google.auth.transport.requests import Request  # noqa: PLC0415

            self._request = Request()
        response = self._request(self._url, method="GET", timeout=10)
        if response.status != 200:
            raise VerifierUnavailableError(
                f"could not fetch Google certificates: HTTP {response.status}"
            )
        data = response.data.decode("utf-8") if isinstance(response.data, bytes) else response.data
        certs = json.loads(data)
        if not isinstance(certs, dict):
            raise VerifierUnavailableError("Google certificates are not a mapping")
        return {str(k): str(v) for k, v in certs.items()}


_default: TokenVerifier | None = None


def default_verifier() -> TokenVerifier:
    """The process-wide verifier against Google's certificates (created on first use)."""
    global _default  # noqa: PLW0603 - one lazily created verifier per process
    if _default is None:
        _default = jwt_verifier(CachedGoogleCerts())
    return _default
