"""A staff reply (issue 18) on the local stack: it goes through the outbox, Cloud Tasks and
delivery to the fake provider, once per click, in the form the route promised: free-form
WhatsApp inside the 24-hour window, the approved template outside it, SMS to a walk-in who
texted; the answered inbox item is marked handled; an opted-out customer cannot be answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fakes import FakeProvidersClient
from shared.flows.staff_reply import (
    ReplyRefusedError,
    ReplyTarget,
    StaffMember,
    preview,
    send,
    target_of_inbox_item,
)
from shared.model.enums import Channel
from shared.model.shop import ShopSettings
from shared.platform.settings import Settings
from shared.rules.staff_reply import RouteKind
from tests.integration.webhook_kit import (
    Webhooks,
    docs,
    seed_profile,
    shop_open,
    unique_mobile,
    webhooks,
)
from tests.support.wait import wait_for

__all__ = ["webhooks"]
pytestmark = pytest.mark.integration
STAFF = StaffMember(uid="staff-lea", email="lea@atelier.example")
TEMPLATE_SID = "HX" + "5" * 32


def _twilio_to(fakes: FakeProvidersClient, to: str) -> list[dict[str, Any]]:
    return [
        r["params"]
        for r in fakes.requests("twilio")
        if r.get("method") == "POST" and r.get("status") == 201 and r["params"].get("To") == to
    ]


def _sent(fakes: FakeProvidersClient, to: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = wait_for(
        lambda: _twilio_to(fakes, to), timeout=30, message=f"a message to {to}"
    )
    return found[0]


def _reply_docs(db: Any) -> list[dict[str, Any]]:
    return [d for d in docs(db, "notification_history") if d.get("type") == "reply.staff"]


def _context(db: Any, settings_doc: dict[str, Any]) -> tuple[Settings, ShopSettings]:
    db.collection("settings").document("notifications").set(settings_doc)
    return Settings.from_env(), ShopSettings.from_document(settings_doc)


def test_inside_the_window_a_free_form_whatsapp_once_per_click(
    stack_env: dict[str, str], firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    now = datetime.now(UTC)
    seed_profile(
        firestore_client, "marie", phone, lastInboundAt={"whatsapp": now - timedelta(hours=2)}
    )
    settings, shop = _context(firestore_client, {"quietHours": {}, "shopName": "Atelier"})
    target = ReplyTarget(customer_id="marie", wrote_on=Channel.WHATSAPP)

    route = preview(firestore_client, target, now=now, settings=settings, shop=shop)
    assert route.kind is RouteKind.WHATSAPP_FREE_FORM
    text = "Bonjour Marie, votre iPhone est prêt, passez après 14 h."
    for _ in range(2):  # a double click
        send(firestore_client, target, text, click_id=f"click-{unique_id}", staff=STAFF, now=now,
             settings=settings, shop=shop)  # fmt: skip

    params = _sent(fakes, f"whatsapp:{phone}")
    assert params["Body"] == text
    assert "ContentSid" not in params
    [doc] = _reply_docs(firestore_client)
    assert (doc["channel"], doc["staffId"], doc["purpose"]) == ("whatsapp", "staff-lea", "service")
    wait_for(lambda: _reply_docs(firestore_client)[0]["status"] in {"sent", "delivered"})
    assert len(_twilio_to(fakes, f"whatsapp:{phone}")) == 1


def test_outside_the_window_the_approved_template_carries_the_reply(
    stack_env: dict[str, str], firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    now = datetime.now(UTC)
    seed_profile(
        firestore_client, "paul", phone, lastInboundAt={"whatsapp": now - timedelta(days=2)}
    )
    settings, shop = _context(
        firestore_client,
        {"quietHours": {}, "whatsappTemplates": {"reply.staff": {"contentSid": TEMPLATE_SID}}},
    )
    target = ReplyTarget(customer_id="paul")
    route = preview(firestore_client, target, now=now, settings=settings, shop=shop)
    assert (route.kind, route.fallback) == (RouteKind.WHATSAPP_TEMPLATE, Channel.SMS)

    send(firestore_client, target, "Votre devis est prêt : 89 EUR.", click_id=f"c-{unique_id}",
         staff=STAFF, now=now, settings=settings, shop=shop)  # fmt: skip

    params = _sent(fakes, f"whatsapp:{phone}")
    assert params["ContentSid"] == TEMPLATE_SID
    variables = json.loads(params["ContentVariables"])
    assert variables["2"] == "Votre devis est prêt : 89 EUR."


@pytest.mark.usefixtures("stack_env")
def test_a_walk_in_who_texted_is_answered_by_sms_and_the_inbox_item_is_handled(
    firestore_client: Any, fakes: FakeProvidersClient, webhooks: Webhooks, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    shop_open(firestore_client, is_open=True)
    assert webhooks.sms(phone, "Bonjour, vous ouvrez samedi ?").status_code == 200
    [item] = wait_for(
        lambda: [d for d in docs(firestore_client, "inbox") if d.get("phone") == phone]
    )
    target = target_of_inbox_item(firestore_client, item["_id"])
    assert target is not None
    assert (target.customer_id, target.wrote_on) == (None, Channel.SMS)
    settings = Settings.from_env()
    shop = ShopSettings.from_document({"shopName": "Atelier"})
    now = datetime.now(UTC)

    sent = send(firestore_client, target, "Oui, de 9 h à 12 h.", click_id=f"k-{unique_id}",
                staff=STAFF, now=now, settings=settings, shop=shop)  # fmt: skip

    assert sent.route.kind is RouteKind.SMS
    bodies = wait_for(  # after the automatic answer to an unknown number, the staff's own
        lambda: [p["Body"] for p in _twilio_to(fakes, phone) if "9 h" in p["Body"]],
        timeout=30,
    )
    assert bodies == ["Oui, de 9 h à 12 h."]
    handled = firestore_client.collection("inbox").document(item["_id"]).get().to_dict()
    assert (handled["status"], handled["handledBy"]) == ("handled", "staff-lea")
    [doc] = _reply_docs(firestore_client)
    assert doc["inboxItemId"] == item["_id"]


@pytest.mark.usefixtures("stack_env")
def test_a_customer_who_texted_stop_cannot_be_answered(
    firestore_client: Any, webhooks: Webhooks, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "zoe", phone, notificationPreferences={"whatsappEnabled": False})
    assert webhooks.sms(phone, "STOP").status_code == 200
    settings = Settings.from_env()
    shop = ShopSettings.from_document({})
    target = ReplyTarget(customer_id="zoe", wrote_on=Channel.SMS)
    with pytest.raises(ReplyRefusedError) as refused:
        send(firestore_client, target, "Bonjour", click_id=f"z-{unique_id}", staff=STAFF,
             now=datetime.now(UTC), settings=settings, shop=shop)  # fmt: skip
    assert refused.value.reason in {"opted_out", "no_route"}
    assert _reply_docs(firestore_client) == []
