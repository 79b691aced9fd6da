"""``meta_webhook`` on the real emulator: handshake, signatures, every message type, preferences,
and what WhatsApp really sends besides (issue 14): calls, template updates, other business
numbers, edits, deletions, interactive answers, new types, users without a phone number."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.config import FAKE_CREDENTIALS
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
EXTRA_MESSAGES: dict[str, Any] = {
    f"{name}.{scenario}": payload
    for name in ("edited_message", "deleted_message", "callback_button", "callback_selection",
                 "flow_completion", "call_permission_update")
    for scenario, payload in load_json(f"meta/{name}.json").items()
}  # fmt: skip
FIXTURE_WA_IDS = ("972987654321", "16505551234", "<WHATSAPP_USER_PHONE_NUMBER>")
OUR_NUMBER_ID = FAKE_CREDENTIALS["META_PHONE_NUMBER_ID"]


def as_sender(payload: Any, phone: str, message_id: str | None = None) -> Any:
    """A captured payload sent by ``phone`` (the fixtures' numbers are not valid mobiles) to
    the stack's business number (``META_PHONE_NUMBER_ID``: others' events are ignored)."""
    text = json.dumps(payload)
    for wa_id in FIXTURE_WA_IDS:
        text = text.replace(wa_id, phone.removeprefix("+"))
    out = json.loads(text)
    for entry in out["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            if "metadata" in value:
                value["metadata"]["phone_number_id"] = OUR_NUMBER_ID
            if message_id is not None:
                for message in value.get("messages", []):
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


@pytest.mark.parametrize("scenario", sorted(MESSAGES) + sorted(EXTRA_MESSAGES))
def test_every_message_type_is_stored_and_acknowledged(
    webhooks: Webhooks, firestore_client: Any, unique_id: str, scenario: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    shop_open(firestore_client, True)
    sample = MESSAGES.get(scenario) or EXTRA_MESSAGES[scenario]
    payload = as_sender(sample, phone, "wamid." + unique_id)
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
    if stored["kind"] in {"reaction", "unsupported", "revoke"}:
        assert inbox == []  # a deletion never reaches the staff as an empty message
    else:  # an edit of a message never stored here stands for it
        assert len(inbox) == 1
        assert inbox[0]["channel"] == "whatsapp"
        assert inbox[0]["text"] or inbox[0]["mediaCount"] or stored["kind"] != "edit"
    if scenario.startswith(("callback", "flow_completion", "call_permission")):
        assert stored["details"]["reply"]["type"]
    if scenario == "order":
        assert stored["details"]["order"]["items"][0]["sku"] == "HAMBURGER"


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
    assert (event["channel"], event["purpose"], event["source"], event["keyword"]) == (
        "whatsapp",
        "all",
        "keyword",
        "UNSUBSCRIBE",
    )
    assert (event["provider"], event["to"]) == ("meta", phone)
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
    assert (event["purpose"], event["keyword"], event["action"]) == (
        "marketing",
        value,
        "opt_in" if enabled else "opt_out",
    )
    assert (event["channel"], event["source"], event["provider"]) == (
        "whatsapp",
        "provider",
        "meta",
    )
    assert (event["to"], event["customerId"]) == (phone, customer_id)
    assert history(firestore_client) == []


def test_signed_junk_is_acknowledged(webhooks: Webhooks, firestore_client: Any) -> None:
    for payload in (b"not json", b"[]", b'{"entry": 5}', json.dumps({"entry": [{}]}).encode()):
        assert webhooks.meta(payload).status_code == 200
    assert written(firestore_client)["conversations"] == 0


def _meta_event(field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "time": 1751247548, "changes": [{"field": field, "value": value}]}],
    }


@pytest.mark.parametrize(("name", "scenario"), [("call_status", "call_status"),
                                                 ("call_terminate", "call_terminate")])  # fmt: skip
def test_call_events_write_no_orphan_status_nor_anything_else(
    webhooks: Webhooks, firestore_client: Any, name: str, scenario: str
) -> None:
    payload = as_sender(load_json(f"meta/{name}.json")[scenario], "+33612345678")
    before = written(firestore_client)
    assert webhooks.meta(payload).status_code == 200
    assert written(firestore_client) == before
    assert docs(firestore_client, "provider_status_orphans") == []


def test_events_for_another_business_number_are_ignored(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    payload = as_sender(MESSAGES["text"], phone, "wamid." + unique_id)
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999"
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "STOP"
    before = written(firestore_client)
    assert webhooks.meta(payload).status_code == 200
    assert written(firestore_client) == before
    profile = firestore_client.collection("customer_profiles").document("c-" + unique_id).get()
    assert profile.to_dict()["notificationPreferences"]["whatsappEnabled"] is True


def test_template_updates_are_stored_for_the_shop_and_decide_usability(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    from shared.flows.templates_status import template_usability  # noqa: PLC0415

    name = "ticket_ready_" + unique_id[:8]
    base = {"message_template_id": 42, "message_template_name": name,
            "message_template_language": "fr"}  # fmt: skip
    paused = _meta_event(
        "message_template_status_update",
        {**base, "event": "PAUSED", "reason": "NONE",
         "other_info": {"title": "FIRST_PAUSE", "description": "Paused for 3 hours"}},
    )  # fmt: skip
    assert webhooks.meta(paused).status_code == 200
    assert webhooks.meta(paused).status_code == 200  # redelivered: the same document
    doc = firestore_client.collection("whatsapp_template_status").document(f"{name}_fr").get()
    stored = doc.to_dict()
    assert (stored["status"], stored["usable"], stored["unusableReason"]) == (
        "PAUSED",
        False,
        "template_paused",
    )
    assert stored["details"]["other_info"]["title"] == "FIRST_PAUSE"
    assert template_usability(firestore_client, name, "fr").usable is False
    quality = _meta_event(
        "message_template_quality_update",
        {**base, "previous_quality_score": "YELLOW", "new_quality_score": "RED"},
    )
    assert webhooks.meta(quality).status_code == 200
    approved = dict(paused)
    approved["entry"] = [dict(paused["entry"][0], time=1751247548 + 3600)]
    approved["entry"][0]["changes"] = [
        {"field": "message_template_status_update", "value": {**base, "event": "APPROVED"}}
    ]
    assert webhooks.meta(approved).status_code == 200
    assert webhooks.meta(paused).status_code == 200  # a late redelivery of the pause
    stored = firestore_client.collection("whatsapp_template_status").document(f"{name}_fr").get()
    assert (stored.get("status"), stored.get("qualityScore"), stored.get("usable")) == (
        "APPROVED",
        "RED",
        True,
    )
    assert template_usability(firestore_client, name, "fr").usable is True
    assert template_usability(firestore_client, "never_heard_of", "fr").usable is True


def test_a_new_message_type_is_stored_as_unknown_with_its_raw_type(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    payload = as_sender(MESSAGES["text"], phone, "wamid." + unique_id)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"], message["hologram"] = "hologram", {"id": "h1"}
    del message["text"]
    assert webhooks.meta(payload).status_code == 200
    [stored] = (
        firestore_client.collection("conversations")
        .document(customer_id)
        .collection("messages")
        .stream()
    )
    assert (stored.get("kind"), stored.get("details")["rawType"]) == ("unknown", "hologram")
    assert docs(firestore_client, "inbox") == []


def test_a_message_from_a_user_without_a_phone_number_is_acknowledged(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    """Kept with its user id and honoured (tests/integration/test_whatsapp_identity.py has the
    whole story): a STOP from a stranger known by id only is recorded with the id as ``to``."""
    payload = as_sender(MESSAGES["text"], unique_mobile(unique_id), "wamid." + unique_id)
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0].pop("wa_id")
    value["messages"][0].pop("from")
    value["messages"][0]["text"]["body"] = "STOP"
    assert webhooks.meta(payload).status_code == 200
    [event] = docs(firestore_client, "consent_events")
    assert (event["to"], event["action"]) == (value["contacts"][0]["user_id"], "opt_out")
