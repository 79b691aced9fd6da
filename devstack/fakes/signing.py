"""Webhook signatures, computed exactly as Twilio and Meta compute them.

Reused by the fakes (to sign the callbacks they send) and by tests that build signed webhooks.

- Twilio ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the auth token, over the full
  URL Twilio requested followed by every POST parameter as ``name + value``, names sorted (and
  repeated values sorted), the algorithm of ``twilio.request_validator.RequestValidator``.
- Meta ``X-Hub-Signature-256``: ``sha256=`` + hex HMAC-SHA256 of the raw body, keyed with the
  app secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"

Params = Mapping[str, str | Sequence[str]]


def twilio_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The ``X-Twilio-Signature`` of a POST to ``url`` with form ``params``."""
    payload = url
    for name in sorted(set(params or {})):
        value = (params or {})[name]
        values = [value] if isinstance(value, str) else list(value)
        for item in sorted(set(values)):
            payload += name + item
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def meta_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
