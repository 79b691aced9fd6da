"""Signature checks on the raw request, before any body is parsed for its meaning.

Twilio: ``X-Twilio-Signature`` is an HMAC, base64, of the URL Twilio called followed by the
sorted POST parameters (for a JSON body, the URL alone: its ``bodySHA256`` query parameter is
the SHA-256 of the raw body, checked here on the bytes). The key is the auth token, with
HMAC-SHA1; when a Webhook Rule signs with a SharedKey, Twilio adds
``X-Twilio-Webhooks-Signature-Settings: key=<id>,algorithm=HMAC_SHA256`` and the key is that
SharedKey's secret (``TWILIO_WEBHOOK_SIGNING_KEY``), never the auth token.

The URL is the one piece a proxy in front of us changes, and never comes from the client's
headers (``Host``, ``X-Forwarded-*``): a callback signed for ``twilio_status`` must not pass at
``twilio_inbound``, nor one signed for another host here. It is, in order:

1. ``WEBHOOK_PUBLIC_URL``: this function's own public URL, set per function by the deploy step;
2. ``PUBLIC_BASE_URL`` followed by ``/<target>`` (``https://REGION-PROJECT.cloudfunctions.net``
   + ``/twilio_inbound``; the local stack sets it per function process);
3. off Cloud Run only (``K_SERVICE`` unset), for a request to a loopback host, that host and
   ``/<target>`` (tests driving a target in process); deployed, the request is refused.

Its scheme, credentials (``https://user:pass@host``, part of what Twilio signs), host and path
are fixed; the query string is the one received (it is signed too). A few spellings are tried,
each one HMAC: with and without the port (as the SDK does: Twilio is not consistent), and ``'``
in the query as received, percent-encoded, or decoded (Twilio signs what was configured, a
proxy may re-encode it).

Twilio's single-valued fields (``From``, ``Body``, ``MessageSid``...) repeated in a signed form
are refused: the signature sorts values, so it cannot tell which one Twilio sent.

Meta: ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256 of the raw body keyed with the app
secret, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, parse_qsl, urlsplit

from werkzeug.datastructures import MultiDict

from functions.boundary.errors import (
    CredentialsInvalidError,
    CredentialsMissingError,
    ForbiddenError,
    NotConfiguredError,
)
from functions.boundary.http import RawRequest
from functions.boundary.payloads import twilio_single_valued
from shared.platform.log import get_logger

log = get_logger(__name__)

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
TWILIO_BODY_HASH_PARAM = "bodySHA256"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_FORM_FIELDS = 500
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_warned_local = False


@dataclass(frozen=True)
class TwilioKeys:
    """What Twilio webhooks are signed with: the auth token, and a SharedKey's secret."""

    auth_token: str | None
    signing_key: str | None = None


@dataclass(frozen=True)
class PublicUrl:
    """Where this function is reachable, as configured (see the module docstring)."""

    target: str
    webhook_public_url: str | None = None
    public_base_url: str | None = None
    deployed: bool = True


def _is_loopback(host: str) -> bool:
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.split(":", 1)[0]
    return name.lower() in _LOOPBACK or name.lower().endswith(".localhost")


def signed_base(request: RawRequest, where: PublicUrl) -> SplitResult:
    """The URL Twilio called, without its query: scheme, credentials, host, port and path."""
    if where.webhook_public_url:
        base = urlsplit(where.webhook_public_url.strip())
        return base._replace(path=base.path or "/", query="", fragment="")
    if where.public_base_url:
        base = urlsplit(where.public_base_url.strip())
        path = f"{base.path.rstrip('/')}/{where.target}"
        return base._replace(scheme=base.scheme or "https", path=path, query="", fragment="")
    if not where.deployed and _is_loopback(request.host):
        global _warned_local  # noqa: PLW0603 - one warning per process
        if not _warned_local:
            _warned_local = True
            log.warning(
                "neither WEBHOOK_PUBLIC_URL nor PUBLIC_BASE_URL is set: Twilio signatures are "
                "checked against the loopback host this request named (not on Cloud Run only)"
            )
        return urlsplit(f"{request.scheme or 'http'}://{request.host}/{where.target}")
    raise NotConfiguredError(
        "WEBHOOK_PUBLIC_URL (or PUBLIC_BASE_URL) is not set: the URL Twilio signed is unknown, "
        "and the request's Host headers are not trusted"
    )


def _ports(base: SplitResult) -> list[SplitResult]:
    """The base as configured, without any port, and with the scheme's default port."""
    userinfo, _, hostport = base.netloc.rpartition("@")
    prefix = f"{userinfo}@" if userinfo else ""
    host = hostport
    if hostport.startswith("["):
        host = hostport[: hostport.index("]") + 1] if "]" in hostport else hostport
    elif ":" in hostport:
        host = hostport.split(":", 1)[0]
    has_port = host != hostport
    out = [base, base._replace(netloc=prefix + host)]
    default = _DEFAULT_PORTS.get(base.scheme.lower())
    if not has_port and default is not None:
        out.append(base._replace(netloc=f"{prefix}{host}:{default}"))
    return out


def _quotes(query: str) -> list[str]:
    """The query as received, with ``'`` percent-encoded, and with ``%27`` decoded."""
    encoded = query.replace("'", "%27")
    decoded = query.replace("%27", "'")
    return [query, *(q for q in (encoded, decoded) if q != query)]


def candidate_urls(request: RawRequest, where: PublicUrl) -> list[str]:
    """Every spelling of the URL Twilio may have signed for this request, most likely first."""
    urls: list[str] = []
    for base in _ports(signed_base(request, where)):
        for query in _quotes(request.query):
            url = base._replace(query=query).geturl()
            if url not in urls:
                urls.append(url)
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


def _body_hash(request: RawRequest) -> str | None:
    """The ``bodySHA256`` query parameter: set, the body is JSON, signed through its hash."""
    values = parse_qs(request.query, keep_blank_values=True).get(TWILIO_BODY_HASH_PARAM)
    return values[0] if values else None


def twilio_params(request: RawRequest) -> dict[str, str]:
    """The parameters of a (verified) Twilio webhook: the form's fields, or for a JSON body
    (``bodySHA256`` in the query) its top-level scalar values, as strings."""
    if _body_hash(request) is None:
        return parse_form(request.body).to_dict()
    try:
        value = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in value.items()
        if isinstance(v, str | int | float | bool)
    }


def _key_and_algorithm(request: RawRequest, keys: TwilioKeys) -> tuple[str, str | None]:
    from twilio.request_validator import (  # noqa: PLC0415 - the SDK is heavy: import on first use
        get_signature_algorithm,
    )

    settings = request.header(TWILIO_SIGNATURE_SETTINGS_HEADER)
    if settings and settings.strip():
        if not keys.signing_key:
            raise NotConfiguredError(
                f"{TWILIO_SIGNATURE_SETTINGS_HEADER} names a SharedKey but "
                "TWILIO_WEBHOOK_SIGNING_KEY is not set: SharedKey-signed webhooks refused"
            )
        return keys.signing_key, get_signature_algorithm(settings)
    if not keys.auth_token:
        raise NotConfiguredError("TWILIO_AUTH_TOKEN is not set: Twilio webhooks refused")
    return keys.auth_token, None


def verify_twilio(request: RawRequest, keys: TwilioKeys, where: PublicUrl) -> MultiDict[str, str]:
    """Check ``X-Twilio-Signature``; the form's fields when it matches (none for a JSON body).

    Raises ``NotConfiguredError`` without the key the request needs or without a known public
    URL, ``CredentialsMissingError`` without the header, ``CredentialsInvalidError`` when no
    spelling of the URL matches, the body hash does not, or a single-valued field repeats.
    """
    key, algorithm = _key_and_algorithm(request, keys)
    signature = request.header(TWILIO_SIGNATURE_HEADER)
    if not signature:
        raise CredentialsMissingError(f"no {TWILIO_SIGNATURE_HEADER} header")
    urls = candidate_urls(request, where)
    body_hash = _body_hash(request)
    if body_hash is None:
        form = parse_form(request.body)
    else:
        digest = hashlib.sha256(request.body).hexdigest()
        if not hmac.compare_digest(digest.encode(), body_hash.strip().lower().encode()):
            raise CredentialsInvalidError(f"{TWILIO_BODY_HASH_PARAM} does not match the body")
        form = MultiDict()
    from twilio.request_validator import RequestValidator  # noqa: PLC0415

    validator = RequestValidator(key)
    given = signature.strip().encode("utf-8", errors="replace")
    for url in urls:
        try:
            computed = validator.compute_signature(url, form, algorithm)
        except ValueError as exc:  # an algorithm the SDK does not know
            raise CredentialsInvalidError(f"unsupported signature algorithm: {exc}") from exc
        if hmac.compare_digest(computed.encode("utf-8"), given):
            break
    else:
        raise CredentialsInvalidError(f"{TWILIO_SIGNATURE_HEADER} does not match the request")
    repeated = sorted(k for k in form if twilio_single_valued(k) and len(form.getlist(k)) > 1)
    if repeated:
        raise CredentialsInvalidError(f"single-valued Twilio fields repeated: {repeated}")
    return form


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
