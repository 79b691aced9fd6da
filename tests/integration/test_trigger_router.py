"""The trigger router: the emulator's own trigger events arrive as Eventarc's CloudEvents."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from tests.integration.conftest import RecordingRouter
from tests.support.wait import wait_for

WRITTEN = "google.cloud.firestore.document.v1.written"


def _records_for(router: RecordingRouter, path: str, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]]:
        found = [r for r in router.records() if r["path"] == path]
        return found if len(found) >= count else []

    return wait_for(enough, timeout=15, message=f"{count} events for {path}")


def test_create_update_delete_arrive_with_before_after_and_mask(
    recording_router: RecordingRouter,
) -> None:
    ref = recording_router.client.collection("tickets").document("T1")
    ref.set({"status": "received", "device": "Pixel 7", "clientPhone": "06 12 34 56 78"})
    ref.update({"status": "in_repair"})
    ref.delete()

    created, updated, deleted = _records_for(recording_router, "tickets/T1", 3)

    assert created["before"] is None
    assert created["after"] == {
        "status": "received",
        "device": "Pixel 7",
        "clientPhone": "06 12 34 56 78",
    }
    assert created["update_mask"] == []
    assert updated["before"]["status"] == "received"
    assert updated["after"]["status"] == "in_repair"
    assert updated["after"]["device"] == "Pixel 7"
    assert updated["update_mask"] == ["status"]
    assert deleted["before"]["status"] == "in_repair"
    assert deleted["after"] is None


def test_event_attributes_are_eventarcs(recording_router: RecordingRouter) -> None:
    recording_router.client.collection("orders").document("O-1").set({"status": "placed"})

    (record,) = _records_for(recording_router, "orders/O-1", 1)
    attributes = record["attributes"]

    assert attributes["type"] == WRITTEN
    assert attributes["specversion"] == "1.0"
    assert attributes["subject"] == "documents/orders/O-1"
    assert attributes["source"] == (
        "//firestore.googleapis.com/projects/demo-shop/databases/(default)"
    )
    assert attributes["datacontenttype"] == "application/protobuf"
    assert attributes["project"] == "demo-shop"
    assert attributes["database"] == "(default)"
    assert attributes["document"] == "orders/O-1"
    assert attributes["location"]
    assert attributes["time"].endswith("Z")
    assert len(attributes["id"]) >= 16


def test_every_write_has_its_own_event_id(recording_router: RecordingRouter) -> None:
    ref = recording_router.client.collection("carts").document("C1")
    for stage in range(3):
        ref.set({"customerId": "cust-1", "reminderStage": stage})

    records = _records_for(recording_router, "carts/C1", 3)

    assert len({r["attributes"]["id"] for r in records}) == 3


def test_changes_of_one_document_arrive_in_write_order(recording_router: RecordingRouter) -> None:
    ref = recording_router.client.collection("tickets").document("ordered")
    ref.set({"step": 0})
    for step in range(1, 25):
        ref.update({"step": step})

    records = _records_for(recording_router, "tickets/ordered", 25)

    assert [r["after"]["step"] for r in records] == list(range(25))
    assert [r["before"]["step"] for r in records[1:]] == list(range(24))


def test_a_failed_delivery_is_retried_until_the_function_accepts_it(
    recording_router: RecordingRouter,
) -> None:
    recording_router.fail_first(2)
    recording_router.client.collection("tickets").document("retry").set({"status": "received"})

    (record,) = _records_for(recording_router, "tickets/retry", 1)

    assert record["attempt"] == 3
    assert recording_router.stack.trigger_stats()["failed"] == 0


def test_only_top_level_documents_of_watched_collections_trigger(
    recording_router: RecordingRouter,
) -> None:
    client = recording_router.client
    client.collection("customer_profiles").document("cust-1").set({"displayName": "Awa"})
    client.collection("tickets").document("T9").collection("notes").document("n1").set({"a": 1})
    client.collection("tickets").document("T9").set({"status": "received"})

    _records_for(recording_router, "tickets/T9", 1)
    recording_router.wait_idle()

    assert [r["path"] for r in recording_router.records()] == ["tickets/T9"]


def test_a_write_that_changes_nothing_sends_nothing(recording_router: RecordingRouter) -> None:
    ref = recording_router.client.collection("orders").document("same")
    ref.set({"status": "paid", "total": 12.5})
    ref.set({"status": "paid", "total": 12.5})
    ref.set({"status": "shipped", "total": 12.5})

    records = _records_for(recording_router, "orders/same", 2)
    recording_router.wait_idle()

    assert [r["after"]["status"] for r in recording_router.records()] == ["paid", "shipped"]
    assert records[1]["update_mask"] == ["status"]


def test_a_server_timestamp_write_is_one_event_with_the_final_document(
    recording_router: RecordingRouter,
) -> None:
    ref = recording_router.client.collection("carts").document("ts")
    ref.set({"status": "active", "updatedAt": firestore.SERVER_TIMESTAMP})

    (record,) = _records_for(recording_router, "carts/ts", 1)
    recording_router.wait_idle()

    assert len(recording_router.records()) == 1
    assert record["after"]["status"] == "active"
    assert record["after"]["updatedAt"]  # the resolved timestamp, not a missing field


def test_removed_and_nested_fields_are_in_the_update_mask(
    recording_router: RecordingRouter,
) -> None:
    ref = recording_router.client.collection("tickets").document("mask")
    ref.set({"status": "received", "notes": "cracked", "meta": {"a": 1, "b": 2}})
    ref.set({"status": "received", "meta": {"a": 1, "b": 3}})

    _, updated = _records_for(recording_router, "tickets/mask", 2)

    assert updated["update_mask"] == ["meta", "notes"]
    assert "notes" not in updated["after"]
    assert updated["before"]["notes"] == "cracked"


def test_reset_forgets_documents_so_the_next_write_is_a_create(
    recording_router: RecordingRouter,
) -> None:
    ref = recording_router.client.collection("tickets").document("again")
    ref.set({"status": "received"})
    _records_for(recording_router, "tickets/again", 1)

    recording_router.reset()
    ref.set({"status": "completed"})

    (record,) = _records_for(recording_router, "tickets/again", 1)
    assert record["before"] is None
    assert record["after"] == {"status": "completed"}


def test_set_replaces_and_delete_field_removes_like_production(
    recording_router: RecordingRouter,
) -> None:
    """The emulator merged on set() and ignored DELETE_FIELD; devstack/firestore/fixes.mjs."""
    ref = recording_router.client.collection("tickets").document("semantics")
    ref.set({"a": 1, "b": 2, "m": {"x": 1, "y": 2}})
    ref.update({"b": firestore.DELETE_FIELD, "m.y": firestore.DELETE_FIELD})
    after_update = ref.get().to_dict()
    ref.set({"c": 3}, merge=True)
    after_merge = ref.get().to_dict()
    ref.set({"only": True})
    after_set = ref.get().to_dict()

    assert after_update == {"a": 1, "m": {"x": 1}}
    assert after_merge == {"a": 1, "m": {"x": 1}, "c": 3}
    assert after_set == {"only": True}
    records = _records_for(recording_router, "tickets/semantics", 4)
    assert [r["update_mask"] for r in records[1:]] == [["b", "m"], ["c"], ["a", "c", "m", "only"]]
