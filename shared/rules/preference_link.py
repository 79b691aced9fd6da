"""The customer's preference page link: signed, expiring, no sign-in (issue 18).

Pure. A link names *whose* preferences it opens (a customer id; for a walk-in without an
account, the number or address the shop writes to) and until when, signed with a server-side
secret (``PREFERENCES_LINK_SECRET``):

    {PREFERENCES_URL}?t=v1.<subject>.<expiry>.<signature>

- ``subject``: ``c:<customerId>``, ``p:<E.164>`` or ``e:<address>``, base64url without padding;
- ``expiry``: Unix seconds;
- ``signature``: HMAC-SHA256 of ``v1.<subject>.<expiry>`` under the secret, base64url.

Verification is constant-time and says why a token is refused (``malformed``, ``forged`` for
a wrong signature or an altered part, ``expired``): the page shows that and changes nothing.
The one-click unsubscribe of marketing emails (RFC 8058 ``List-Unsubscribe-Post``) is the same
token on the ``/unsubscribe`` path with the channel it stops.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from shared.platform.errors import InvalidInputError

VERSION = "v1"
DEFAULT_LIFETIME = timedelta(days=60)
MAX_TOKEN = 1024
MAX_SUBJECT = 320


class SubjectKind(StrEnum):
    """Whose preferences a link opens."""

    CUSTOMER = "c"  # a customer profile id
    PHONE = "p"  # an E.164 number (a walk-in without an account)
    EMAIL = "e"  # an email address without an account


@dataclass(frozen=True)
class LinkSubject:
    kind: SubjectKind
    value: str


class LinkRefusal(StrEnum):
    MALFORMED = "malformed"
    FORGED = "forged"
    EXPIRED = "expired"


class PreferenceLinkError(InvalidInputError):
    """A preference link that must not be honoured; ``reason`` says why."""

    def __init__(self, reason: LinkRefusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, signed: str) -> str:
    return _b64(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def sign_token(subject: LinkSubject, *, secret: str, expires_at: datetime) -> str:
    """The token for ``subject``, valid until ``expires_at``."""
    if not secret:
        raise ValueError("a preference link needs a secret")
    if not subject.value or len(subject.value) > MAX_SUBJECT:
        raise ValueError("a preference link names one customer, number or address")
    encoded = _b64(f"{subject.kind.value}:{subject.value}".encode())
    signed = f"{VERSION}.{encoded}.{int(expires_at.timestamp())}"
    return f"{signed}.{_signature(secret, signed)}"


def verify_token(token: str | None, *, secret: str, now: datetime) -> LinkSubject:
    """The subject of a valid ``token``; ``PreferenceLinkError`` says why one is refused."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise PreferenceLinkError(LinkRefusal.MALFORMED, "the link is incomplete")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise PreferenceLinkError(LinkRefusal.MALFORMED, "the link is incomplete")
    _, encoded, expiry, signature = parts
    expected = _signature(secret, f"{VERSION}.{encoded}.{expiry}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise PreferenceLinkError(LinkRefusal.FORGED, "the link was altered or not made by us")
    try:
        kind_text, _, value = _unb64(encoded).decode("utf-8").partition(":")
        kind = SubjectKind(kind_text)
        expires = int(expiry)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise PreferenceLinkError(LinkRefusal.MALFORMED, "the link is incomplete") from exc
    if not value:
        raise PreferenceLinkError(LinkRefusal.MALFORMED, "the link names nobody")
    if now.astimezone(UTC).timestamp() >= expires:
        raise PreferenceLinkError(LinkRefusal.EXPIRED, "the link has expired")
    return LinkSubject(kind, value)


@dataclass(frozen=True)
class PreferenceLinks:
    """Where the preference page is and how its links are signed (from the deployment)."""

    page_url: str  # PREFERENCES_URL: the console's public preference page
    secret: str  # PREFERENCES_LINK_SECRET
    lifetime: timedelta = DEFAULT_LIFETIME

    def token(self, subject: LinkSubject, now: datetime) -> str:
        return sign_token(subject, secret=self.secret, expires_at=now + self.lifetime)

    def page(self, subject: LinkSubject, now: datetime) -> str:
        """The link to the page where ``subject`` sees and changes what they receive."""
        return _join(self.page_url, "", {"t": self.token(subject, now)})

    def unsubscribe(self, subject: LinkSubject, channel: str, now: datetime) -> str:
        """The one-click link that stops marketing on ``channel`` (``List-Unsubscribe``)."""
        return _join(
            self.page_url,
            "/unsubscribe",
            {"t": self.token(subject, now), "channel": channel, "purpose": "marketing"},
        )


def _join(base: str, path: str, query: dict[str, str]) -> str:
    base = base.rstrip("/")
    head, sep, existing = base.partition("?")
    joined = f"{head}{path}?{urlencode(query)}"
    return f"{joined}&{existing}" if sep and existing else joined


def subject_for(customer_id: str | None, to: str | None, channel: str | None) -> LinkSubject | None:
    """Whose link a message carries: the customer's, else the number's or address's."""
    if customer_id and "/" not in customer_id:
        return LinkSubject(SubjectKind.CUSTOMER, customer_id)
    if not to:
        return None
    if channel == "email":
        return LinkSubject(SubjectKind.EMAIL, to)
    if to.startswith("+"):
        return LinkSubject(SubjectKind.PHONE, to)
    return None
