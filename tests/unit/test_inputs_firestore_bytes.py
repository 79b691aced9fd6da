"""Firestore CloudEvents in their JSON encoding: ``bytesValue`` in any base64 (issue 14).

The JSON form of a ``DocumentEventData`` (googleapis/google-cloudevents, the
``eventarc/firestore-DocumentEventData-complex.json`` fixture) with a ``bytesValue`` written the
ways base64 is written in the wild: standard, URL-safe (``-`` and ``_``), unpadded. Protobuf's
JSON parser accepts all of them, as the decoding of ``functions.boundary.cloudevents`` relies on.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from functions.boundary.cloudevents import EventDecodeError, decode_document_change
from tests.support.fixtures import load_json

COMPLEX: dict[str, Any] = load_json("eventarc/firestore-DocumentEventData-complex.json")
RAW = b"\xfb\xff\xfe\x00 photo"  # encodes with '+', '/' and padding in standard base64
STANDARD = base64.b64encode(RAW).decode()


def _event(encoded: str) -> dict[str, Any]:
    data = copy.deepcopy(COMPLEX)
    data["value"]["fields"]["bytesValue"] = {"bytesValue": encoded}
    data["value"]["fields"]["mapValue"] = {
        "mapValue": {"fields": {"thumbnail": {"bytesValue": encoded}}}
    }
    return data


def _decode(data: Any, content_type: str = "application/json") -> dict[str, Any]:
    name = COMPLEX["value"]["name"]
    change = decode_document_change(
        event_id="e1",
        event_type="google.cloud.firestore.document.v1.written",
        subject="documents/" + name.split("/documents/", 1)[1],
        data=data,
        content_type=content_type,
    )
    assert change.after is not None
    return change.after


@pytest.mark.parametrize(
    "encoded",
    [
        STANDARD,
        STANDARD.rstrip("="),  # unpadded
        base64.urlsafe_b64encode(RAW).decode(),  # URL-safe
        base64.urlsafe_b64encode(RAW).decode().rstrip("="),  # URL-safe and unpadded
    ],
    ids=["standard", "unpadded", "url-safe", "url-safe-unpadded"],
)
def test_bytes_values_decode_whatever_base64_alphabet_and_padding(encoded: str) -> None:
    assert "+" in STANDARD
    assert "/" in STANDARD
    assert STANDARD.endswith("=")
    for data in (
        _event(encoded),
        json.dumps(_event(encoded)),
        json.dumps(_event(encoded)).encode(),
    ):
        after = _decode(data)
        assert after["bytesValue"] == RAW
        assert after["mapValue"]["thumbnail"] == RAW


def test_bytes_that_are_not_base64_are_bad_data_not_a_crash() -> None:
    with pytest.raises(EventDecodeError):
        _decode(json.dumps(_event("not base64 at all!!")))
