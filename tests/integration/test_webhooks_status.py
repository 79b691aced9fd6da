"""``twilio_status`` and Meta statuses on the real emulator: forward-only, fallback, orphans;
and which signed callbacks get in (issues 13, 14): only those signed for this very function."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from devstack.config import FAKE_CREDENTIALS
from shared.platform.settings import get_settings
from tests.integration.webhook_kit import (
    TWILIO_TOKEN,
    Webhooks,
    docs,
    new_sid,
    webhooks,
    written,
)
from tests.support.fixtures import load_json
from tests.support.webhooks import twilio_form

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
    """A captured status, for the stack's business number (others' events are ignored)."""
    payload: dict[str, Any] = load_json("meta/message_status.json")[scenario]
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = FAKE_CREDENTIALS["META_PHONE_NUMBER_ID"]
    value["statuses"][0].update(id=message_id, **changes)
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


# -- which signed callbacks get in ---------------------------------------------------------------


def _post(
    webhooks: Webhooks,
    target: str,
    url: str,
    pairs: list[tuple[str, str]],
    *,
    path: str | None = None,
    headers: dict[str, str] | None = None,
    key: str = TWILIO_TOKEN,
    algorithm: str | None = None,
) -> int:
    """POST ``pairs`` to ``target``'s in-process client, signed for ``url``."""
    signature = RequestValidator(key).compute_signature(url, MultiDict(pairs), algorithm)
    client = webhooks.twilio_inbound if target == "twilio_inbound" else webhooks.twilio_status
    sent = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        **(headers or {}),
    }
    response = client.post(path or f"/{target}", data=urlencode(pairs), headers=sent)
    return response.status_code


def _status_pairs(sid: str) -> list[tuple[str, str]]:
    return [
        ("MessageSid", sid),
        ("MessageStatus", "delivered"),
        ("AccountSid", FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"]),
        ("From", FAKE_CREDENTIALS["TWILIO_SMS_FROM"]),
        ("To", "+33612345678"),
    ]


def test_a_callback_signed_for_twilio_status_is_refused_by_twilio_inbound(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    pairs = _status_pairs(sid)
    signed_for_status = "http://localhost/twilio_status"
    before = written(firestore_client)
    assert _post(webhooks, "twilio_inbound", signed_for_status, pairs) == 403
    assert _post(webhooks, "twilio_inbound", signed_for_status, pairs, path="/twilio_status") == 403
    assert written(firestore_client) == before
    assert _post(webhooks, "twilio_status", signed_for_status, pairs) == 204
    assert get(firestore_client, "n-" + unique_id)["status"] == "delivered"


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    ],
)
def test_a_forged_host_is_refused(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, headers: dict[str, str]
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    scheme = headers.get("X-Forwarded-Proto", "http")
    url = f"{scheme}://evil.example/twilio_status"  # signed for the host the attacker names
    before = written(firestore_client)
    assert _post(webhooks, "twilio_status", url, _status_pairs(sid), headers=headers) == 403
    assert written(firestore_client) == before


def test_a_configured_public_url_is_the_only_one_accepted(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = "https://twilio-status-123456789012.europe-west1.run.app/"
    monkeypatch.setenv("WEBHOOK_PUBLIC_URL", public)
    get_settings.cache_clear()
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    pairs = _status_pairs(sid)
    assert _post(webhooks, "twilio_status", "http://localhost/twilio_status", pairs) == 403
    assert _post(webhooks, "twilio_status", public, pairs, path="/") == 204
    assert get(firestore_client, "n-" + unique_id)["status"] == "delivered"


def test_sharedkey_signed_callbacks_need_the_signing_key(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    url, key = "http://localhost/twilio_status", "shared-key-secret-" + unique_id
    settings = {"X-Twilio-Webhooks-Signature-Settings": "key=sk1,algorithm=HMAC_SHA256"}
    pairs = _status_pairs(sid)

    def post(signed_with: str) -> int:
        return _post(
            webhooks,
            "twilio_status",
            url,
            pairs,
            headers=settings,
            key=signed_with,
            algorithm="HMAC_SHA256",
        )

    assert post(key) == 403  # the header names a SharedKey this deployment does not have
    monkeypatch.setenv("TWILIO_WEBHOOK_SIGNING_KEY", key)
    get_settings.cache_clear()
    assert post(TWILIO_TOKEN) == 403  # the auth token is not the key of such a callback
    assert post(key) == 204
    assert get(firestore_client, "n-" + unique_id)["status"] == "delivered"


def test_a_signed_form_with_a_repeated_single_valued_field_is_refused(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    sid = new_sid()
    seed_sent(firestore_client, "n-" + unique_id, sid)
    params = {"MessageSid": sid, "MessageStatus": ["delivered", "failed"]}
    headers, body = twilio_form("http://localhost/twilio_status", params, TWILIO_TOKEN)
    before = written(firestore_client)
    assert (
        webhooks.twilio_status.post("/twilio_status", data=body, headers=headers).status_code == 403
    )
    assert written(firestore_client) == before
    assert get(firestore_client, "n-" + unique_id)["status"] == "sent"
