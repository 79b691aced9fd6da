"""``meta_webhook`` on the real emulator: handshake, signatures, every message type, preferences."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.webhook_kit import (
    META_VERIFY_TOKEN,
    Webhooks,
    docs,
    history,
    seed_profile,
    shop_open,
    unique_mobile,
    webhooks,
    written,
)
from tests.support.fixtures import load_json

__all__ = ["webhooks"]

MESSAGES: dict[str, Any] = load_json("meta/message.json")
PREFERENCES: dict[str, Any] = load_json("meta/user_marketing_preferences.json")
FIXTURE_WA_IDS = ("972987654321", "16505551234")


def as_sender(payload: Any, phone: str, message_id: str | None = None) -> Any:
    """A captured payload sent by ``phone`` (the fixtures' numbers are not valid mobiles)."""
    text = json.dumps(payload)
    for wa_id in FIXTURE_WA_IDS:
        text = text.replace(wa_id, phone.removeprefix("+"))
    out = json.loads(text)
    if message_id is not None:
        for message in out["entry"][0]["changes"][0]["value"].get("messages", []):
            message["id"] = message_id
    return out


def test_verification_handshake(webhooks: Webhooks) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "42"}
    ok = webhooks.meta_webhook.get("/meta_webhook", query_string=query)
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "42")
    bad = webhooks.meta_webhook.get(
        "/meta_webhook", query_string={**query, "hub.verify_token": "guess"}
    )
    assert bad.status_code == 403
    assert webhooks.meta_webhook.get("/meta_webhook").status_code == 403
    assert webhooks.meta_webhook.put("/meta_webhook", data=b"{}").status_code == 405


def test_unsigned_is_401_wrong_is_403_and_nothing_is_written(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    payload = as_sender(MESSAGES["text"], phone)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "STOP"
    before = written(firestore_client)
    assert webhooks.meta(payload, signature="missing").status_code == 401
    assert webhooks.meta(payload, signature="wrong").status_code == 403
    assert written(firestore_client) == before


@pytest.mark.parametrize("scenario", sorted(MESSAGES))
def test_every_message_type_is_stored_and_acknowledged(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, scenario: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    shop_open(firestore_client, True)
    payload = as_sender(MESSAGES[scenario], phone, "wamid." + unique_id)
    assert webhooks.meta(payload).status_code == 200
    assert webhooks.meta(payload).status_code == 200  # redelivered: stored once
    messages = list(
        firestore_client.collection("conversations")
        .document(customer_id)
        .collection("messages")
        .stream()
    )
    assert len(messages) == 1
    stored = messages[0].to_dict()
    assert (stored["provider"], stored["channel"], stored["from"]) == ("meta", "whatsapp", phone)
    assert stored["processedAt"] is not None
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["lastInboundAt"]["whatsapp"] is not None
    inbox = docs(firestore_client, "inbox")
    if stored["kind"] in {"reaction", "unsupported"}:
        assert inbox == []
    else:
        assert len(inbox) == 1
        assert inbox[0]["channel"] == "whatsapp"


def test_stop_on_whatsapp_turns_whatsapp_off_and_confirms_on_whatsapp(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone, language="en")
    payload = as_sender(MESSAGES["text"], phone, "wamid." + unique_id)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = " unsubscribe. "
    assert webhooks.meta(payload).status_code == 200
    prefs = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert prefs.to_dict()["notificationPreferences"]["whatsappEnabled"] is False
    assert prefs.to_dict()["notificationPreferences"]["smsEnabled"] is True
    [event] = docs(firestore_client, "consent_events")
    assert (event["channel"], event["source"], event["keyword"]) == (
        "whatsapp",
        "meta",
        "UNSUBSCRIBE",
    )
    [reply] = history(firestore_client)
    assert (reply["channel"], reply["provider"], reply["type"]) == (
        "whatsapp",
        "meta",
        "reply.opt_out",
    )
    assert reply["body"].startswith("Done: you will no longer receive WhatsApp messages")


@pytest.mark.parametrize(
    ("value", "enabled"), [("stop", False), ("resume", True), ("signup", True)]
)
def test_marketing_preferences_set_marketing_enabled(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, value: str, enabled: bool
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(
        firestore_client,
        customer_id,
        phone,
        notificationPreferences={"marketingEnabled": not enabled},
    )
    payload = as_sender(PREFERENCES["resume"], phone)
    payload["entry"][0]["changes"][0]["value"]["user_preferences"][0]["value"] = value
    assert webhooks.meta(payload).status_code == 200
    assert webhooks.meta(payload).status_code == 200
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["notificationPreferences"]["marketingEnabled"] is enabled
    [event] = docs(firestore_client, "consent_events")
    assert (event["scope"], event["keyword"], event["action"]) == (
        "marketing",
        value,
        "opt_in" if enabled else "opt_out",
    )
    assert history(firestore_client) == []


def test_signed_junk_is_acknowledged(webhooks: Webhooks, firestore_client: Any) -> None:
    for payload in (b"not json", b"[]", b'{"entry": 5}', json.dumps({"entry": [{}]}).encode()):
        assert webhooks.meta(payload).status_code == 200
    assert written(firestore_client)["conversations"] == 0
