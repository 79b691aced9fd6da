"""CloudEvents built by devstack/eventarc.py (and tests/support) decode as production decodes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devstack.eventarc import changed_fields, quote_field_path
from devstack.recorder import read_records
from functions.boundary.cloudevents import decode_document_change
from shared.model.change import DocumentChange
from tests.support.cloudevents import (
    Encoding,
    cloudevent_client,
    document_event,
    encode,
    event_from_fixture,
    send_event,
)

ROOT = Path(__file__).resolve().parent.parent.parent
BEFORE = {"status": "received", "device": "iPhone 12", "clientPhone": "0612345678"}
AFTER = {
    "status": "completed",
    "device": "iPhone 12",
    "clientPhone": "0612345678",
    "completedAt": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "parts": [{"sku": "SCREEN", "price": 89.9}],
}


def _decode(
    event_encoding: Encoding, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> DocumentChange:
    event = document_event("tickets/T1", before, after)
    headers, body = encode(event, event_encoding)
    return decode_document_change(
        event_id=headers["ce-id"],
        event_type=headers["ce-type"],
        subject=headers["ce-subject"],
        data=body,
        content_type=headers["Content-Type"],
        time=headers["ce-time"],
    )


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_update_round_trips_before_after_and_mask(encoding: Encoding) -> None:
    change = _decode(encoding, BEFORE, AFTER)

    assert change.path == "tickets/T1"
    assert change.before == BEFORE
    assert change.after == AFTER
    assert change.update_mask == ("completedAt", "parts", "status")


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_create_and_delete_have_one_side_and_no_mask(encoding: Encoding) -> None:
    created = _decode(encoding, None, AFTER)
    deleted = _decode(encoding, BEFORE, None)

    assert created.created
    assert created.update_mask == ()
    assert deleted.deleted
    assert deleted.before == BEFORE


def test_binary_headers_are_eventarcs() -> None:
    event = document_event("orders/O1", None, {"status": "placed"}, project="demo-x")
    headers, _ = event.binary()

    assert headers["ce-type"] == "google.cloud.firestore.document.v1.written"
    assert headers["ce-source"] == "//firestore.googleapis.com/projects/demo-x/databases/(default)"
    assert headers["ce-subject"] == "documents/orders/O1"
    assert headers["ce-document"] == "orders/O1"
    assert headers["ce-specversion"] == "1.0"
    assert headers["Content-Type"] == "application/protobuf"


def test_update_mask_quotes_field_names_and_sees_type_changes() -> None:
    assert changed_fields({"a": 1, "b": True}, {"a": 1.0, "b": 1, "c d": 2}) == [
        "a",
        "b",
        "`c d`",
    ]
    assert quote_field_path("back`tick") == "`back\\`tick`"


@pytest.mark.parametrize(
    "name", ["firestore-DocumentEventData-simple.json", "firestore-DocumentEventData-complex.json"]
)
def test_captured_eventarc_payloads_decode(name: str) -> None:
    event = event_from_fixture(f"eventarc/{name}")
    _, body = event.binary()

    change = decode_document_change(
        event_id=event.id, event_type=event.type, subject=event.subject, data=body
    )

    raw = json.loads((ROOT / "tests" / "fixtures" / "eventarc" / name).read_text())
    assert change.path.startswith("gcf-test/")
    assert (change.before is None) == (not raw.get("oldValue"))
    assert list(change.update_mask) == raw.get("updateMask", {}).get("fieldPaths", [])


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_functions_framework_hands_the_event_to_a_cloudevent_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: Encoding
) -> None:
    record_file = tmp_path / "events.jsonl"
    monkeypatch.setenv("RECORDER_FILE", str(record_file))
    client = cloudevent_client("record_event", ROOT / "devstack" / "recorder.py")

    response = send_event(
        client, document_event("carts/C1", None, {"total": 10}), encoding=encoding
    )

    assert response.status_code == 200
    (record,) = read_records(record_file)
    assert record["path"] == "carts/C1"
    assert record["after"] == {"total": 10}
