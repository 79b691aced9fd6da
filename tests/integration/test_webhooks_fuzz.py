"""Fuzzing the three webhook targets: never a 5xx, and nothing written for a rejected request.

Bodies are random bytes, forms, JSON and text in several encodings; headers carry random,
missing, wrong and *correct* signatures (so junk also reaches the parsers and handlers), odd
content types, hosts and forwarded headers; methods and query strings vary too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.integration.webhook_kit import (
    META_SECRET,
    TWILIO_TOKEN,
    Webhooks,
    seed_profile,
    webhooks,
    written,
)
from tests.support.webhooks import (
    META_SIGNATURE_HEADER,
    TWILIO_SIGNATURE_HEADER,
    meta_signature,
    twilio_signature,
)

__all__ = ["webhooks"]

TARGETS = ("twilio_inbound", "twilio_status", "meta_webhook")
FIELDS = [
    "MessageSid",
    "SmsSid",
    "MessageStatus",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "ErrorCode",
    "Price",
    "PriceUnit",
    "OptOutType",
    "ProfileName",
    "WaId",
    "Latitude",
]
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["entry", "changes", "value", "messages", "statuses", "user_preferences", "id",
             "from", "type", "text", "body", "status", "timestamp", "errors", "wa_id",
             "biz_opaque_callback_data", "contacts", "pricing", "object"]
        )
        | st.text(max_size=6),
        children,
        max_size=6,
    ),
    max_leaves=30,
)  # fmt: skip
form_values = st.sampled_from(
    ["", "STOP", "stop please", "+33612345678", "whatsapp:+33612345678", "delivered", "-0.0075",
     "NaN", "99999999999999999999", "é", "\x00", "SM" + "0" * 32, "whatsapp:", "ÿ" * 40]
) | st.text(max_size=40)  # fmt: skip
forms = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), form_values, max_size=8)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "form", "json", "text", "valid_meta", "big"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "form":
        return urlencode(draw(forms)).encode()
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "text":
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "utf-32"]))
        return draw(st.text(max_size=200)).encode(encoding, errors="replace")
    if kind == "valid_meta":
        message = {"from": draw(form_values), "id": draw(form_values), "type": "text",
                   "text": {"body": draw(form_values)}, "timestamp": draw(form_values)}  # fmt: skip
        value = {"messages": [message], "statuses": [{"id": draw(form_values), "status": "sent"}]}
        return json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()
    return b"A" * draw(st.integers(200_000, 300_000))


@st.composite
def requests_(draw: st.DrawFn) -> dict[str, Any]:
    target = draw(st.sampled_from(TARGETS))
    method = draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    body = draw(bodies())
    query = draw(
        st.sampled_from(["", "a=1", "hub.mode=subscribe&hub.verify_token=x&hub.challenge=1"])
        | st.text(max_size=30).map(lambda t: urlencode({"q": t}))
    )
    headers: dict[str, str] = {
        "Content-Type": draw(
            st.sampled_from(
                ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data; boundary=", "application/x-www-form-urlencoded; charset=x",
                 "", "\u00e9/\u00e9"]
            )
        )
    }  # fmt: skip
    if draw(st.integers(0, 3)) == 0:
        headers["X-Forwarded-Proto"] = draw(st.sampled_from(["https", "ftp", "", "https, http"]))
    if draw(st.integers(0, 3)) == 0:
        headers["X-Forwarded-Host"] = draw(st.sampled_from(["shop.example.com", "a:b:c", "é"]))
    if draw(st.integers(0, 3)) == 0:
        headers["Content-Encoding"] = "gzip"
    signature = draw(st.sampled_from(["missing", "random", "correct", "correct", "correct"]))
    if signature == "random":
        value = draw(st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80))
        header = META_SIGNATURE_HEADER if target == "meta_webhook" else TWILIO_SIGNATURE_HEADER
        headers[header] = value
    elif signature == "correct" and target == "meta_webhook":
        headers[META_SIGNATURE_HEADER] = meta_signature(META_SECRET, body)
    elif signature == "correct":
        # the URL as a proxy in front of us would have it (what Twilio called)
        proto = headers.get("X-Forwarded-Proto", "").split(",")[0].strip() or "http"
        host = headers.get("X-Forwarded-Host", "").split(",")[0].strip() or "localhost"
        url = f"{proto.lower()}://{host}/{target}" + (f"?{query}" if query else "")
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        params: dict[str, list[str]] = {}
        for key, value in pairs:
            params.setdefault(key, []).append(value)
        headers[TWILIO_SIGNATURE_HEADER] = twilio_signature(TWILIO_TOKEN, url, params)
    return {
        "target": target,
        "method": method,
        "body": body,
        "query": query,
        "headers": headers,
    }


def test_fuzzed_requests_never_get_a_5xx_and_rejected_ones_write_nothing(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    seed_profile(firestore_client, "c-" + unique_id, "+33612345678")
    clients = {
        "twilio_inbound": webhooks.twilio_inbound,
        "twilio_status": webhooks.twilio_status,
        "meta_webhook": webhooks.meta_webhook,
    }

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(requests_())
    def check(request: dict[str, Any]) -> None:
        before = written(firestore_client)
        response = clients[request["target"]].open(
            f"/{request['target']}",
            method=request["method"],
            data=request["body"],
            query_string=request["query"],
            headers=request["headers"],
        )
        event(f"{request['target']} {response.status_code}")
        assert response.status_code < 500, (request, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert written(firestore_client) == before, request

    check()
