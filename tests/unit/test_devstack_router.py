"""The trigger router's pure parts: emulator posts made into Eventarc's, lanes kept in order."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import pytest
from google.events.cloud.firestore_v1 import DocumentEventData

from devstack.eventarc import document_event
from devstack.firestore.events import Dropped, EventarcRequest, to_eventarc
from devstack.firestore.lanes import Lanes

WHEN = datetime(2026, 12, 1, 21, 6, 11, 123456, tzinfo=UTC)


def emulator_post(
    before: dict[str, object] | None, after: dict[str, object] | None
) -> tuple[dict[str, str], bytes]:
    """What the Cloud Firestore emulator posts: its headers and the base64 text of the data,
    with an empty update mask and a ``ce-source`` naming ``projects`` twice."""
    event = document_event("tickets/T1", before, after, project="demo-shop", time=WHEN)
    data = event.data
    if before is not None and after is not None:
        data.update_mask.field_paths = []
    headers = {
        "ce-id": "8db3ebff-26db-4ca4-90f5-2480c735e172",
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.firestore.document.v1.written",
        "ce-source": "//firestore.googleapis.com/projects/projects/demo-shop/databases/(default)",
        "ce-subject": "documents/tickets/T1",
        "ce-time": "2026-12-01T21:06:11Z",
        "ce-location": "us-central1",
        "ce-project": "demo-shop",
        "ce-database": "(default)",
        "ce-namespace": "(default)",
        "ce-document": "tickets/T1",
        "Content-Type": "application/protobuf",
    }
    return headers, base64.b64encode(bytes(DocumentEventData.serialize(data)))


def convert(before: dict[str, object] | None, after: dict[str, object] | None) -> EventarcRequest:
    headers, body = emulator_post(before, after)
    result = to_eventarc(headers, body, project="demo-shop", location="europe-west1")
    assert isinstance(result, EventarcRequest)
    return result


def test_an_update_gets_the_changed_top_level_fields_as_its_mask() -> None:
    result = convert(
        {"status": "received", "device": "Pixel", "n": {"a": 1}},
        {"status": "completed", "device": "Pixel", "n": {"a": 2}, "new field": True},
    )

    data = DocumentEventData.deserialize(result.body)
    assert list(data.update_mask.field_paths) == ["n", "`new field`", "status"]
    assert result.kind == "update"


def test_the_body_becomes_protobuf_bytes_and_the_headers_eventarcs() -> None:
    result = convert(None, {"status": "received"})

    data = DocumentEventData.deserialize(result.body)  # raw bytes, not base64 text
    assert data.value.fields["status"].string_value == "received"
    assert "old_value" not in data
    assert not data.update_mask.field_paths
    assert result.headers["ce-source"] == (
        "//firestore.googleapis.com/projects/demo-shop/databases/(default)"
    )
    assert result.headers["ce-location"] == "europe-west1"
    assert result.headers["Content-Type"] == "application/protobuf"
    assert result.headers["ce-subject"] == "documents/tickets/T1"
    assert result.document == "tickets/T1"


def test_ce_time_is_the_commit_time_to_the_microsecond() -> None:
    result = convert(None, {"status": "received"})

    assert result.headers["ce-time"] == "2026-12-01T21:06:11.123456Z"


def test_a_delete_keeps_the_old_value_and_no_mask() -> None:
    result = convert({"status": "received"}, None)

    data = DocumentEventData.deserialize(result.body)
    assert result.kind == "delete"
    assert data.old_value.fields["status"].string_value == "received"
    assert "value" not in data


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ({"status": "completed"}, {"status": "completed"}, "no_op"),
        (None, None, "nothing_exists"),
    ],
)
def test_events_eventarc_never_sends_are_dropped(
    before: dict[str, object] | None, after: dict[str, object] | None, reason: str
) -> None:
    if before is None and after is None:
        headers, body = emulator_post({"x": 1}, None)
        body = base64.b64encode(bytes(DocumentEventData.serialize(DocumentEventData())))
    else:
        headers, body = emulator_post(before, after)

    assert to_eventarc(headers, body, project="p", location="l") == Dropped(reason)


def test_a_body_that_is_not_protobuf_is_dropped_not_raised() -> None:
    headers, _ = emulator_post(None, {"a": 1})

    assert to_eventarc(headers, b"\xff\xfe not protobuf", project="p", location="l") == Dropped(
        "undecodable"
    )


def test_lanes_keep_one_keys_order_and_run_keys_in_parallel() -> None:
    done: list[tuple[str, int]] = []
    lock = threading.Lock()
    slow_started = threading.Event()

    def handle(item: tuple[str, int]) -> None:
        if item[0] == "slow":
            slow_started.set()
            time.sleep(0.5)
        with lock:
            done.append(item)

    lanes: Lanes[tuple[str, int]] = Lanes(handle, workers=4)
    lanes.submit("slow", ("slow", 1))
    slow_started.wait(2)
    for n in range(1, 6):
        lanes.submit("a", ("a", n))
    lanes.submit("slow", ("slow", 2))

    assert lanes.wait_idle(5)
    lanes.close()
    assert [n for k, n in done if k == "a"] == [1, 2, 3, 4, 5]
    assert [n for k, n in done if k == "slow"] == [1, 2]
    assert done.index(("a", 5)) < done.index(("slow", 1))  # not held behind the slow key


def test_lanes_drop_what_was_queued_and_finish_what_runs() -> None:
    handled: list[int] = []
    dropped: list[int] = []
    gate = threading.Event()

    def handle(n: int) -> None:
        if n == 0:
            gate.wait(2)
        handled.append(n)

    lanes: Lanes[int] = Lanes(handle, workers=1, on_drop=dropped.append)
    for n in range(4):
        lanes.submit("k", n)
    time.sleep(0.1)
    lanes.drop_queued()
    gate.set()
    lanes.submit("k", 9)

    assert lanes.wait_idle(5)
    lanes.close()
    assert handled == [0, 9]
    assert dropped == [1, 2, 3]
