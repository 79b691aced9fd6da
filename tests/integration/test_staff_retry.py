"""Staff retry and reroute of a failed message (issue 18) on the local stack: one send for a
double click, the same channel only after a transient failure, the plan's fallback once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.fakes import FakeProvidersClient
from shared.flows.staff_retry import RetryRefusedError, reroute, retry
from shared.model.enums import Channel, NotificationStatus, Provider
from shared.model.record import NotificationRecord
from tests.integration.webhook_kit import docs, unique_mobile
from tests.support.wait import wait_for

pytestmark = pytest.mark.integration


def _failed(db: Any, phone: str, suffix: str, **fields: Any) -> str:
    """A message the pipeline gave up on, as delivery writes it."""
    record = NotificationRecord(
        notification_id=f"n_failed_{suffix}",
        type="ticket.completed",
        channel=fields.pop("channel", Channel.SMS),
        provider=fields.pop("provider", Provider.TWILIO),
        to=fields.pop("to", phone),
        customer_id=None,
        refs={"ticketId": f"T-{suffix}"},
        status=NotificationStatus.FAILED,
        template="ticket.completed",
        language="fr",
        country="FR",
        data={"customerName": "Awa", "device": "iPhone 12", "shopName": "Atelier"},
        attempts=5,
        **fields,
    )
    doc = record.to_document(datetime.now(UTC))
    db.collection("notification_history").document(record.notification_id).set(doc)
    return record.notification_id


def _posts_to(fakes: FakeProvidersClient, to: str) -> list[dict[str, Any]]:
    return [
        r["params"]
        for r in fakes.requests("twilio")
        if r.get("method") == "POST" and r.get("status") == 201 and r["params"].get("To") == to
    ]


@pytest.mark.usefixtures("stack_env")
def test_a_retry_after_a_provider_outage_sends_once_for_a_double_click(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})
    original = _failed(firestore_client, phone, unique_id, status_reason="retries_exhausted",
                       error_code="20503")  # fmt: skip
    now = datetime.now(UTC)
    first = retry(firestore_client, original, click_id=f"c-{unique_id}", staff_uid="lea", now=now)
    second = retry(firestore_client, original, click_id=f"c-{unique_id}", staff_uid="lea", now=now)
    assert first.notification_id == second.notification_id
    assert (first.created, second.created) == (True, False)

    wait_for(lambda: _posts_to(fakes, phone), timeout=30, message="the retried SMS")
    again = firestore_client.collection("notification_history").document(first.notification_id)
    doc = wait_for(lambda: (d := again.get().to_dict()) and d["status"] != "pending" and d)
    assert (doc["retryOf"], doc["staffId"], doc["channel"]) == (original, "lea", "sms")
    assert len(_posts_to(fakes, phone)) == 1
    kept = firestore_client.collection("notification_history").document(original).get().to_dict()
    assert kept["status"] == "failed"  # the original's status never moves back


@pytest.mark.usefixtures("stack_env")
def test_a_permanent_failure_is_not_retried_but_rerouted_once(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})
    original = _failed(
        firestore_client, phone, unique_id, channel=Channel.WHATSAPP, to=phone,
        status_reason="invalid_recipient", error_code="63003",
        fallback_channel=Channel.SMS, fallback_to=phone, fallback_provider=Provider.TWILIO,
    )  # fmt: skip
    now = datetime.now(UTC)
    with pytest.raises(RetryRefusedError) as refused:
        retry(firestore_client, original, click_id="c1", staff_uid="lea", now=now)
    assert refused.value.reason == "permanent_failure"

    first = reroute(firestore_client, original, staff_uid="lea", now=now)
    second = reroute(firestore_client, original, staff_uid="max", now=now)
    assert (first.created, second.created) == (True, False)
    wait_for(lambda: _posts_to(fakes, phone), timeout=30, message="the rerouted SMS")
    [fallback] = [d for d in docs(firestore_client, "notification_history")
                  if d.get("fallbackOf") == original]  # fmt: skip
    assert (fallback["channel"], fallback["staffId"]) == ("sms", "lea")
    assert len(_posts_to(fakes, phone)) == 1


@pytest.mark.usefixtures("stack_env")
def test_what_cannot_be_retried_or_rerouted_says_why(firestore_client: Any, unique_id: str) -> None:
    phone = unique_mobile(unique_id)
    no_plan_b = _failed(firestore_client, phone, unique_id, status_reason="landline",
                        error_code="21407")  # fmt: skip
    now = datetime.now(UTC)
    with pytest.raises(RetryRefusedError) as refused:
        reroute(firestore_client, no_plan_b, staff_uid="lea", now=now)
    assert refused.value.reason == "no_other_channel"
    with pytest.raises(RetryRefusedError) as missing:
        retry(firestore_client, "n_no_such", click_id="c", staff_uid="lea", now=now)
    assert missing.value.reason == "not_found"
