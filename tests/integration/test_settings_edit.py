"""Staff change the shop's settings (issue 18) on the local stack's emulator: validated per
field, written with a history entry, once per form, and in effect for the next message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.flows.settings_edit import SettingsInvalidError, apply_change
from shared.store.settings_history import recent_history
from tests.integration.webhook_kit import seed_profile, unique_mobile
from tests.support.wait import wait_for

pytestmark = pytest.mark.integration
ALL_NIGHT = {"FR": {"start": "00:00", "end": "23:59", "timezone": "Europe/Paris"}}


def _settings(db: Any) -> dict[str, Any]:
    return db.collection("settings").document("notifications").get().to_dict() or {}


def test_a_change_is_written_with_who_when_before_and_after_once_per_form(
    firestore_client: Any,
) -> None:
    firestore_client.collection("settings").document("notifications").set(
        {"shopName": "Atelier", "discountPercent": 10}
    )
    now = datetime.now(UTC)
    change = {"discountPercent": 15, "walkInServiceSms": False}
    first = apply_change(firestore_client, change, change_id="form-1", staff_uid="lea", now=now)
    again = apply_change(
        firestore_client, {"discountPercent": 20}, change_id="form-1", staff_uid="lea", now=now
    )
    assert first.changed == ("discountPercent", "walkInServiceSms")
    assert again.duplicate
    assert _settings(firestore_client) == {
        "shopName": "Atelier",
        "discountPercent": 15,
        "walkInServiceSms": False,
    }
    [entry] = recent_history(firestore_client)
    assert entry["staffId"] == "lea"
    assert entry["changes"]["discountPercent"] == {"before": 10, "after": 15}
    assert entry["changes"]["walkInServiceSms"] == {"before": None, "after": False}

    apply_change(
        firestore_client, {"walkInServiceSms": None}, change_id="form-2", staff_uid="max", now=now
    )  # back to the default
    assert "walkInServiceSms" not in _settings(firestore_client)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quietHours": {"FR": {"start": "25:00", "end": "08:00"}}}, "quietHours"),
        ({"marketingWindows": {"FRANCE": {"start": "08:00"}}}, "marketingWindows"),
        ({"discountPercent": 150}, "discountPercent"),
        ({"walkInServiceSms": "yes"}, "walkInServiceSms"),
        ({"whatsappTemplates": {"ticket.completed": {}}}, "whatsappTemplates"),
        ({"deliverUrl": "https://evil.example"}, "deliverUrl"),
    ],
)
def test_an_invalid_change_names_its_field_and_writes_nothing(
    firestore_client: Any, change: dict[str, Any], field: str
) -> None:
    firestore_client.collection("settings").document("notifications").set({"shopName": "A"})
    with pytest.raises(SettingsInvalidError) as invalid:
        apply_change(firestore_client, change, change_id="bad", staff_uid="lea",
                     now=datetime.now(UTC))  # fmt: skip
    assert list(invalid.value.problems) == [field]
    assert invalid.value.problems[field][0]
    assert _settings(firestore_client) == {"shopName": "A"}
    assert recent_history(firestore_client) == []


@pytest.mark.usefixtures("stack_env")
def test_a_quiet_hours_change_holds_the_next_message(firestore_client: Any, unique_id: str) -> None:
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})
    apply_change(firestore_client, {"quietHours": ALL_NIGHT}, change_id=f"q-{unique_id}",
                 staff_uid="lea", now=datetime.now(UTC))  # fmt: skip
    phone = unique_mobile(unique_id)
    prefs = {"whatsappEnabled": False, "emailEnabled": False}
    seed_profile(firestore_client, "nina", phone, notificationPreferences=prefs)
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"customerId": "nina", "status": "received", "device": "Pixel 8"}
    )
    rows = _settled_or_scheduled(firestore_client, ticket_id)
    assert (rows["channel"], rows["status"]) == ("sms", "scheduled")


def _settled_or_scheduled(db: Any, ticket_id: str) -> dict[str, Any]:
    def found() -> dict[str, Any]:
        query = db.collection("notification_history").where(
            filter=FieldFilter("ticketId", "==", ticket_id)
        )
        docs = [d.to_dict() or {} for d in query.get()]
        return docs[0] if docs else {}

    return wait_for(found, timeout=30, message="the received message planned")
