"""A field near Firestore's 1 MiB limit never loses a notification (security finding, low).

Before: the source's value was copied whole into the history document, which then exceeded the
entity limit; the notification was lost with no record. The Cloud Firestore emulator enforces
the limit, so these run against the real behaviour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore import FieldFilter

from devstack.stack import Stack
from shared.model.enums import Channel, Provider
from shared.model.record import NotificationRecord
from shared.rules.render_data import MAX_TEXT
from shared.store import history
from tests.support.wait import wait_for

HUGE = "x" * 1_040_000  # just under the entity limit once the ticket's other fields are added


def test_a_ticket_with_a_near_1_mib_field_is_still_notified_with_the_value_cut(
    clean_stack: Stack, firestore_client: Any, unique_id: str
) -> None:
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {"email": f"{unique_id}@example.com", "displayName": "Ada"}
    )
    firestore_client.collection("tickets").document(f"T-{unique_id}").set(
        {"customerId": f"c-{unique_id}", "status": "received", "device": HUGE}
    )
    assert clean_stack.flush_triggers(30)

    def rows() -> list[dict[str, Any]]:
        query = firestore_client.collection("notification_history").where(
            filter=FieldFilter("ticketId", "==", f"T-{unique_id}")
        )
        return [s.to_dict() for s in query.stream()]

    (row,) = wait_for(rows, timeout=20, message="the ticket's notification")
    assert len(row["data"]["device"]) == MAX_TEXT
    assert row["channel"] == "email"


def test_a_record_firestore_refuses_as_too_large_is_kept_skipped_with_its_reason(
    firestore_client: Any, unique_id: str
) -> None:
    now = datetime.now(UTC)
    record = NotificationRecord(
        notification_id=f"n-big-{unique_id}",
        type="ticket.received",
        channel=Channel.SMS,
        provider=Provider.TWILIO,
        to="+33612345678",
        customer_id=None,
        body="y" * 1_100_000,
    )

    created, status = history.create(firestore_client, record, now)

    stored = history.get(firestore_client, record.notification_id)
    assert created
    assert status.value == "skipped"
    assert stored is not None
    assert stored.status_reason == "document_too_large"
    assert stored.body is None
