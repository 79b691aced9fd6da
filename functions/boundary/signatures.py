"""Signature checks on the raw request, before any body is parsed for its meaning.

Twilio: ``X-Twilio-Signature`` is an HMAC (SHA-1 by default) keyed with the auth token over the
URL Twilio called followed by the sorted POST parameters; the SDK's ``RequestValidator`` does
the computation (and already tries the URL with and without its default port). What it cannot
know is that URL: behind Cloud Run / Cloud Functions the request reaches us as plain HTTP on an
internal host, and a ``cloudfunctions.net/NAME`` URL arrives with ``/NAME`` stripped from the
path. ``candidate_urls`` rebuilds the public URL: scheme and host from ``PUBLIC_BASE_URL`` when
set (its path, if any, is a prefix), else from ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` /
``Host``; the path and query string as received, still percent-encoded. A couple of variants
(the function name put back, a trailing ``/`` dropped) are tried too: each is one HMAC, and a
forger still needs the token.

Meta: ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256 of the raw body keyed with the app
secret, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import MultiDict

from functions.boundary.errors import (
    CredentialsInvalidError,
    CredentialsMissingError,
    ForbiddenError,
    NotConfiguredError,
)
from functions.boundary.http import RawRequest

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_FORM_FIELDS = 500


def _first(value: str | None) -> str | None:
    """The first of a comma-separated proxy header (``https, http`` -> ``https``)."""
    if not value:
        return None
    head = value.split(",", 1)[0].strip()
    return head or None


def candidate_urls(
    request: RawRequest, public_base_url: str | None, target: str | None = None
) -> list[str]:
    """The URLs the provider may have called for this request, most likely first."""
    if public_base_url:
        base = urlsplit(public_base_url.strip())
        scheme, host, prefix = base.scheme or "https", base.netloc, base.path.rstrip("/")
    else:
        scheme = (_first(request.header("X-Forwarded-Proto")) or request.scheme or "http").lower()
        host = _first(request.header("X-Forwarded-Host")) or request.host
        prefix = ""
    path = request.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = f"?{request.query}" if request.query else ""
    paths = [prefix + path]
    if target and not path.startswith(f"/{target}"):
        # Cloud Functions strips "/NAME" from ``https://REGION-PROJECT.cloudfunctions.net/NAME``.
        paths.append(f"{prefix}/{target}" + ("" if path == "/" else path))
    urls: list[str] = []
    for p in paths:
        for variant in (p, p.rstrip("/") if p.endswith("/") and len(p) > 1 else None):
            if variant is None:
                continue
            url = f"{scheme}://{host}{variant}{query}"
            if url not in urls:
                urls.append(url)
        if p == "/":  # a bare host configured without a trailing slash
            bare = f"{scheme}://{host}{query}"
            if bare not in urls:
                urls.append(bare)
    return urls


def parse_form(body: bytes) -> MultiDict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; undecodable bytes become U+FFFD.

    A ``MultiDict``: the SDK validator signs every value of a repeated field (``getlist``).
    """
    text = body.decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:  # too many fields
        raise CredentialsInvalidError(f"unreadable form body: {exc}") from exc
    return MultiDict(pairs)


def verify_twilio(
    request: RawRequest,
    auth_token: str | None,
    *,
    public_base_url: str | None = None,
    target: str | None = None,
) -> dict[str, str]:
    """Check ``X-Twilio-Signature``; the form parameters (first values) when it matches.

    Raises ``NotConfiguredError`` without an auth token, ``CredentialsMissingError``
    without the header, ``CredentialsInvalidError`` when no candidate URL matches.
    """
    if not auth_token:
        raise NotConfiguredError("TWILIO_AUTH_TOKEN is not set: Twilio webhooks refused")
    signature = request.header(TWILIO_SIGNATURE_HEADER)
    if not signature:
        raise CredentialsMissingError(f"no {TWILIO_SIGNATURE_HEADER} header")
    from twilio.request_validator import (  # noqa: PLC0415 - the SDK is heavy: import on first use
        RequestValidator,
        get_signature_algorithm,
    )

    algorithm = get_signature_algorithm(request.header(TWILIO_SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(auth_token)
    form = parse_form(request.body)
    for url in candidate_urls(request, public_base_url, target):
        try:
            valid = validator.validate(url, form, signature, algorithm)
        except ValueError:  # a Host header with a port that is not a number
            valid = False
        if valid:
            return form.to_dict()
    raise CredentialsInvalidError(f"{TWILIO_SIGNATURE_HEADER} does not match the request")


def meta_signature(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_meta(body: bytes, header: str | None, app_secret: str | None) -> None:
    """Check ``X-Hub-Signature-256`` over the raw body, in constant time."""
    if not app_secret:
        raise NotConfiguredError("META_APP_SECRET is not set: Meta webhooks refused")
    if not header or not header.strip():
        raise CredentialsMissingError(f"no {META_SIGNATURE_HEADER} header")
    expected = meta_signature(body, app_secret).encode("ascii")
    given = header.strip()
    scheme, sep, digest = given.partition("=")
    provided = f"{scheme.lower()}={digest.lower()}" if sep else given
    if not hmac.compare_digest(expected, provided.encode("utf-8", errors="replace")):
        raise CredentialsInvalidError(f"{META_SIGNATURE_HEADER} does not match the body")


def meta_challenge(query: Mapping[str, str], verify_token: str | None) -> str:
    """Meta's GET handshake: the ``hub.challenge`` to echo when mode and token match."""
    if not verify_token:
        raise NotConfiguredError("META_VERIFY_TOKEN is not set: verification refused")
    mode = query.get("hub.mode", "")
    token = query.get("hub.verify_token", "")
    if mode != "subscribe" or not hmac.compare_digest(
        token.encode("utf-8", errors="replace"), verify_token.encode("utf-8")
    ):
        raise ForbiddenError("hub.mode or hub.verify_token does not match")
    return query.get("hub.challenge", "")
