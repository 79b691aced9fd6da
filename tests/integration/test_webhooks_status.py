"""``twilio_status`` and Meta statuses on the real emulator: forward-only, fallback, orphans."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.webhook_kit import Webhooks, docs, new_sid, webhooks, written
from tests.support.fixtures import load_json

__all__ = ["webhooks"]

STATUSES: dict[str, Any] = load_json("meta/message_status.json")


def seed_sent(
    db: Any,
    notification_id: str,
    provider_message_id: str,
    *,
    channel: str = "whatsapp",
    provider: str = "twilio",
    fallback: bool = True,
) -> None:
    doc: dict[str, Any] = {
        "type": "ticket.completed",
        "customerId": "c1",
        "ticketId": "T1",
        "channel": channel,
        "provider": provider,
        "to": "+33612345678",
        "status": "sent",
        "statusReason": "whatsapp_primary",
        "providerMessageId": provider_message_id,
        "template": "ticket.completed",
        "language": "fr",
        "country": "FR",
        "data": {"customerName": "Marie"},
        "sourceEventId": "evt-" + notification_id,
        "metadata": {"template": "ticket.completed", "cost": 0.05, "costEstimated": True},
    }
    if fallback:
        doc.update(fallbackChannel="sms", fallbackTo="+33612345678", fallbackProvider="twilio")
    db.collection("notification_history").document(notification_id).set(doc)


def get(db: Any, notification_id: str) -> dict[str, Any]:
    return dict(db.collection("notification_history").document(notification_id).get().to_dict())


def test_unsigned_status_callbacks_are_refused_and_write_nothing(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    before = written(firestore_client)
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    assert webhooks.twilio("twilio_status", params, signature="missing").status_code == 403
    assert webhooks.twilio("twilio_status", params, signature="wrong").status_code == 403
    assert written(firestore_client) == before
    assert get(firestore_client, "n-" + unique_id)["status"] == "sent"


@pytest.mark.parametrize(
    "sequence",
    [
        ["sent", "delivered", "read"],
        ["read", "delivered", "sent"],
        ["delivered", "sent", "delivered", "read", "read", "sent"],
        ["queued", "sent", "read", "delivered"],
    ],
)
def test_duplicated_and_reordered_callbacks_end_on_read(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, sequence: list[str]
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    for status in sequence:
        assert webhooks.status(sid, status).status_code == 204
    doc = get(firestore_client, "n-" + unique_id)
    assert doc["status"] == "read"
    assert doc["providerStatus"] == "read"
    assert doc["readAt"] is not None
    assert doc["deliveredAt"] is not None
    assert "fallbackId" not in doc


def test_a_late_undelivered_whatsapp_falls_back_to_one_sms(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    for _ in range(3):
        response = webhooks.status(
            sid, "undelivered", ErrorCode="63024", ErrorMessage="Invalid message recipient"
        )
        assert response.status_code == 204
    doc = get(firestore_client, "n-" + unique_id)
    assert (doc["status"], doc["errorCode"]) == ("undelivered", "63024")
    assert doc["undeliveredAt"] is not None
    fallbacks = [d for d in docs(firestore_client, "notification_history") if d.get("fallbackOf")]
    assert len(fallbacks) == 1
    [fallback] = fallbacks
    assert fallback["_id"] == doc["fallbackId"]
    assert (fallback["channel"], fallback["to"], fallback["fallbackOf"]) == (
        "sms",
        "+33612345678",
        "n-" + unique_id,
    )


def test_a_failure_a_retry_could_fix_does_not_fall_back(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    assert webhooks.status(sid, "failed", ErrorCode="30001").status_code == 204
    doc = get(firestore_client, "n-" + unique_id)
    assert doc["status"] == "failed"
    assert "fallbackId" not in doc


def test_a_failure_after_delivery_is_ignored(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    webhooks.status(sid, "delivered")
    webhooks.status(sid, "undelivered", ErrorCode="30003")
    doc = get(firestore_client, "n-" + unique_id)
    assert doc["status"] == "delivered"
    assert "errorCode" not in doc
    assert "fallbackId" not in doc


def test_twilio_price_is_recorded_as_the_cost(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid, channel="sms", fallback=False)
    webhooks.status(sid, "delivered", Price="-0.07900", PriceUnit="EUR")
    metadata = get(firestore_client, "n-" + unique_id)["metadata"]
    assert metadata["cost"] == pytest.approx(0.079)
    assert metadata["currency"] == "EUR"
    assert metadata["costEstimated"] is False


def test_a_status_for_an_unknown_message_is_kept_once_and_acknowledged(
    webhooks: Webhooks, firestore_client: Any
) -> None:
    sid = new_sid()
    assert webhooks.status(sid, "delivered").status_code == 204
    assert webhooks.status(sid, "delivered").status_code == 204
    assert webhooks.status(sid, "read").status_code == 204
    orphans = docs(firestore_client, "provider_status_orphans")
    assert sorted(o["providerStatus"] for o in orphans) == ["delivered", "read"]
    assert {o["providerMessageId"] for o in orphans} == {sid}


def test_signed_junk_status_callbacks_get_204(webhooks: Webhooks, firestore_client: Any) -> None:
    assert webhooks.twilio("twilio_status", {}).status_code == 204
    assert webhooks.twilio("twilio_status", {"MessageSid": "x", "Junk": "é"}).status_code == 204
    unknown = webhooks.twilio("twilio_status", {"MessageSid": "SMz", "MessageStatus": "teleported"})
    assert unknown.status_code == 204


def meta_status(scenario: str, message_id: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = load_json("meta/message_status.json")[scenario]
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    status.update(id=message_id, **changes)
    return payload


def test_meta_statuses_update_history_with_pricing(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    wamid = "wamid." + unique_id
    seed_sent(firestore_client, "n-" + unique_id, wamid, provider="meta")
    for scenario in ("delivered", "sent", "read"):
        assert webhooks.meta(meta_status(scenario, wamid)).status_code == 200
    doc = get(firestore_client, "n-" + unique_id)
    assert doc["status"] == "read"
    assert doc["metadata"]["pricing"] == {
        "billable": True,
        "pricing_model": "CBP",
        "category": "service",
    }
    assert doc["metadata"]["conversation"]["id"] == "7270432eae37498234f4444b35ffc5"


def test_meta_failure_falls_back_once(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    wamid = "wamid." + unique_id
    seed_sent(firestore_client, "n-" + unique_id, wamid, provider="meta")
    assert webhooks.meta(meta_status("failed", wamid)).status_code == 200
    assert webhooks.meta(meta_status("failed", wamid)).status_code == 200
    doc = get(firestore_client, "n-" + unique_id)
    assert (doc["status"], doc["errorCode"]) == ("failed", "130472")
    fallbacks = [d for d in docs(firestore_client, "notification_history") if d.get("fallbackOf")]
    assert len(fallbacks) == 1


def test_meta_biz_opaque_callback_data_names_the_notification_directly(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    wamid = "wamid." + unique_id
    seed_sent(firestore_client, "n-" + unique_id, wamid, provider="meta")
    firestore_client.collection("notification_history").document("n-" + unique_id).update(
        {"providerMessageId": None}
    )
    payload = meta_status("delivered", wamid, biz_opaque_callback_data="n-" + unique_id)
    assert webhooks.meta(payload).status_code == 200
    assert get(firestore_client, "n-" + unique_id)["status"] == "delivered"
    assert docs(firestore_client, "provider_status_orphans") == []


def test_meta_status_for_an_unknown_message_is_an_orphan(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    payload = meta_status("with_tracker", "wamid.unknown" + unique_id)
    assert webhooks.meta(payload).status_code == 200
    [orphan] = docs(firestore_client, "provider_status_orphans")
    assert (orphan["provider"], orphan["notificationHint"]) == ("meta", "some data")
