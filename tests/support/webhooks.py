"""Signed (and wrongly signed) webhook requests, as Twilio and Meta send them.

Signatures come from ``devstack/fakes/signing.py``, the same code the fake providers sign their
callbacks with. ``signature`` chooses the case a test wants: ``"valid"``, ``"missing"`` (no header)
or ``"wrong"`` (a well-formed signature over something else).

    headers, body = twilio_form(url, {"MessageSid": "SM1", "MessageStatus": "delivered"}, TOKEN)
    requests.post(url, data=body, headers=headers)
    client.post(path, data=body, headers=headers)   # functions_framework test client
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from devstack.fakes.signing import (
    META_SIGNATURE_HEADER,
    TWILIO_SIGNATURE_HEADER,
    meta_signature,
    twilio_signature,
)

__all__ = [
    "META_SIGNATURE_HEADER",
    "TWILIO_SIGNATURE_HEADER",
    "meta_json",
    "meta_signature",
    "twilio_form",
    "twilio_signature",
]

Signature = Literal["valid", "missing", "wrong"]
FormParams = Mapping[str, str | Sequence[str]]


def _pairs(params: FormParams) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value)
        pairs += [(name, v) for v in values]
    return pairs


def twilio_form(
    url: str,
    params: FormParams,
    auth_token: str,
    *,
    signature: Signature = "valid",
    headers: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and ``application/x-www-form-urlencoded`` body of a Twilio webhook POST to ``url``
    (the full URL Twilio called, scheme, host, port, path and query, as signed)."""
    out = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    if signature == "valid":
        out[TWILIO_SIGNATURE_HEADER] = twilio_signature(auth_token, url, params)
    elif signature == "wrong":
        out[TWILIO_SIGNATURE_HEADER] = twilio_signature(auth_token + "x", url, params)
    return out, urlencode(_pairs(params)).encode()


def meta_json(
    payload: Any,
    app_secret: str,
    *,
    signature: Signature = "valid",
    headers: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw JSON body of a WhatsApp Cloud API webhook POST. ``payload`` may be bytes
    (sent as is: signatures are over the raw body) or anything JSON-serializable."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    out = {"Content-Type": "application/json", **(headers or {})}
    if signature == "valid":
        out[META_SIGNATURE_HEADER] = meta_signature(app_secret, body)
    elif signature == "wrong":
        out[META_SIGNATURE_HEADER] = meta_signature(app_secret, body + b" ")
    return out, body
