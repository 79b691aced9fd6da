"""WhatsApp contacts as Meta really sends them (issue 14), end to end on the stack: a paused
template falls back as a missing one does; users known only by their business-scoped user id
(BSUID) are kept, opted out and reached; edits and deletions reach the stored message and the
staff inbox; a changed number moves the customer's WhatsApp identity.

Webhooks are signed and posted to ``meta_webhook`` in process (``tests.integration.webhook_kit``);
planning (``handle_ticket_change``) and delivery (``deliver``) run in process too, with
``WHATSAPP_PROVIDER=meta``, against the stack's emulator and its fake Meta and Twilio.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fakes import FakeProvidersClient
from shared.adapters.channels.factory import Senders
from shared.flows.deliver import deliver
from shared.flows.notify import handle_ticket_change
from shared.model.change import DocumentChange
from shared.platform.settings import Settings, get_settings
from shared.store.shop import clear_cache
from tests.integration.cart_kit import RecordingQueue
from tests.integration.test_webhooks_meta import MESSAGES, as_sender
from tests.integration.webhook_kit import (
    Webhooks,
    docs,
    history,
    seed_profile,
    shop_open,
    unique_mobile,
    webhooks,
)
from tests.support.fixtures import load_json

__all__ = ["webhooks"]

EDITED: dict[str, Any] = load_json("meta/edited_message.json")
DELETED: dict[str, Any] = load_json("meta/deleted_message.json")
SYSTEM: dict[str, Any] = load_json("meta/system.json")


class Queue(RecordingQueue):
    """The Cloud Tasks boundary, recorded; only tasks due within a minute are handed out (a
    scheduled pickup reminder is not delivered by the test)."""

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        if schedule_time is None or schedule_time <= datetime.now(UTC) + timedelta(minutes=1):
            return super().enqueue(notification_id, generation=generation)
        return f"{notification_id}-{generation}"


@pytest.fixture
def meta_env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The stack's environment with Meta carrying WhatsApp."""
    monkeypatch.setenv("WHATSAPP_PROVIDER", "meta")
    get_settings.cache_clear()
    return {**stack_env, "WHATSAPP_PROVIDER": "meta"}


def no_quiet_hours(db: Any, **settings: Any) -> None:
    db.collection("settings").document("notifications").set({"quietHours": {}, **settings})
    clear_cache()


def complete_ticket(db: Any, queue: Queue, ticket_id: str, customer_id: str) -> list[str]:
    """The shop marks a repair completed: planned in process, the due tasks handed out."""
    before = {"customerId": customer_id, "status": "in_repair", "device": "iPhone 12"}
    after = {**before, "status": "completed"}
    db.collection("tickets").document(ticket_id).set(after)
    change = DocumentChange(
        event_id=f"ev-{ticket_id}",
        event_type="google.cloud.firestore.document.v1.written",
        path=f"tickets/{ticket_id}",
        before=before,
        after=after,
        time=datetime.now(UTC),
    )
    handle_ticket_change(change, db=db, queue=queue)
    return queue.take()


def run_deliveries(db: Any, queue: Queue, ids: list[str]) -> list[dict[str, Any]]:
    """Deliver ``ids`` and whatever fallback they enqueue, as Cloud Tasks would."""
    senders = Senders(Settings.from_env())
    outcomes = []
    pending = list(ids)
    while pending:
        nid = pending.pop(0)
        outcomes.append(deliver(nid, db=db, senders=senders, queue=queue).body(nid))
        pending += queue.take()
    return outcomes


def record(db: Any, notification_id: str) -> dict[str, Any]:
    return dict(db.collection("notification_history").document(notification_id).get().to_dict())


def messages_of(db: Any, conversation: str) -> list[dict[str, Any]]:
    ref = db.collection("conversations").document(conversation).collection("messages")
    return [dict(s.to_dict()) | {"_id": s.id} for s in ref.stream()]


# --- a paused template falls back as a missing one -----------------------------------------


def test_a_paused_template_is_not_sent_and_the_sms_fallback_goes(
    meta_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    name = "ticket_done_" + unique_id[:8]
    no_quiet_hours(db, whatsappTemplates={"ticket.completed": {"metaName": name,
                                                               "metaLanguage": "fr"}})  # fmt: skip
    db.collection("whatsapp_template_status").document(f"{name}_fr").set(
        {"name": name, "language": "fr", "status": "PAUSED", "statusAt": datetime.now(UTC)}
    )
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(db, customer_id, phone)  # no email, WhatsApp and SMS on, no recent message
    queue = Queue()
    planned = complete_ticket(db, queue, "T-" + unique_id, customer_id)
    [whatsapp] = [n for n in planned if record(db, n)["channel"] == "whatsapp"]
    outcomes = run_deliveries(db, queue, planned)

    failed = record(db, whatsapp)
    assert (failed["status"], failed["statusReason"], failed["errorCode"]) == (
        "failed",
        "template",
        "template_paused",
    )
    assert name in failed["errorMessage"]
    assert fakes.requests("meta") == []  # Meta was never asked to send a paused template
    fallback = record(db, failed["fallbackId"])
    assert (fallback["channel"], fallback["to"], fallback["status"]) == ("sms", phone, "sent")
    # The stack's own trigger also sees the ticket written above and plans its own messages:
    # count what this test's fallback sent, by its provider id.
    sent = [m for m in fakes.messages("twilio") if m.get("sid") == fallback["providerMessageId"]]
    assert [m["to"] for m in sent] == [phone]
    assert {o["outcome"] for o in outcomes} == {"failed", "sent"}


def test_an_approved_template_is_sent(
    meta_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    name = "ticket_done_" + unique_id[:8]
    no_quiet_hours(db, whatsappTemplates={"ticket.completed": {"metaName": name,
                                                               "metaLanguage": "fr"}})  # fmt: skip
    db.collection("whatsapp_template_status").document(f"{name}_fr").set(
        {"name": name, "language": "fr", "status": "APPROVED", "statusAt": datetime.now(UTC)}
    )
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(db, customer_id, phone)
    queue = Queue()
    planned = complete_ticket(db, queue, "T-" + unique_id, customer_id)
    run_deliveries(db, queue, planned)
    [sent] = fakes.messages("meta")
    assert (sent["type"], sent["template"]["name"]) == ("template", name)


# --- users known by their WhatsApp user id only ----------------------------------------------


def from_user(user_id: str, text: str, message_id: str, *, phone: str | None = None) -> Any:
    """pywa's text message as Meta sends it for a user with a username: ``contacts[].user_id``
    and no ``from`` / ``wa_id`` (Meta's business-scoped user ids page); with ``phone``, both."""
    payload = as_sender(MESSAGES["text"], phone or "+33600000000", message_id)
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["user_id"] = user_id
    value["contacts"][0]["profile"]["username"] = "@marie"
    value["messages"][0]["text"]["body"] = text
    if phone is None:
        value["contacts"][0].pop("wa_id")
        value["messages"][0].pop("from")
    return payload


def user_id_of(unique_id: str) -> str:
    return f"FR.{int(unique_id, 16)}"


def test_a_stranger_known_by_user_id_only_reaches_conversations_and_the_inbox(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    shop_open(db, True)
    user_id = user_id_of(unique_id)
    payload = from_user(user_id, "Bonjour, mon téléphone est prêt ?!", "wamid." + unique_id)
    assert webhooks.meta(payload).status_code == 200
    assert webhooks.meta(payload).status_code == 200  # redelivered: stored once
    # (the automatic answer to a stranger may already be in the conversation too, outbound)
    [stored] = [m for m in messages_of(db, user_id) if m.get("direction") != "outbound"]
    assert (stored["from"], stored["fromUserId"], stored["username"]) == (None, user_id, "@marie")
    assert stored["text"] == "Bonjour, mon téléphone est prêt ?!"
    assert stored["processedAt"] is not None
    conversation = db.collection("conversations").document(user_id).get().to_dict()
    assert (conversation.get("phone"), conversation["whatsappUserId"]) == (None, user_id)
    [item] = docs(db, "inbox")
    assert (item["phone"], item["whatsappUserId"], item["conversationId"]) == (
        None,
        user_id,
        user_id,
    )
    [answer] = history(db)  # the polite answer to a stranger, on WhatsApp to the user id
    assert (answer["type"], answer["to"], answer["provider"]) == (
        "reply.unknown_sender",
        user_id,
        "meta",
    )


def test_a_user_id_seen_with_a_phone_is_linked_and_later_messages_find_the_customer(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    shop_open(db, True)
    phone, customer_id, user_id = unique_mobile(unique_id), "c-" + unique_id, user_id_of(unique_id)
    seed_profile(db, customer_id, phone)
    first = from_user(user_id, "Bonjour", "wamid.1" + unique_id, phone=phone)
    assert webhooks.meta(first).status_code == 200
    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert profile["whatsappUserId"] == user_id
    index = db.collection("whatsapp_user_index").document(user_id).get().to_dict()
    assert (index["phone"], index["customerId"]) == (phone, customer_id)

    later = from_user(user_id, "Merci !", "wamid.2" + unique_id)  # the number now withheld
    assert webhooks.meta(later).status_code == 200
    stored = {m["text"]: m for m in messages_of(db, customer_id)}
    assert set(stored) == {"Bonjour", "Merci !"}
    assert stored["Merci !"]["customerId"] == customer_id
    assert stored["Merci !"]["fromUserId"] == user_id
    assert messages_of(db, user_id) == []
    conversation = db.collection("conversations").document(customer_id).get().to_dict()
    assert (conversation["phone"], conversation["whatsappUserId"]) == (phone, user_id)


def test_a_user_id_only_stop_is_honoured_and_later_whatsapp_to_them_is_skipped(
    meta_env: dict[str, str],
    webhooks: Webhooks,
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    no_quiet_hours(db)
    customer_id, user_id = "c-" + unique_id, user_id_of(unique_id)
    db.collection("customer_profiles").document(customer_id).set(
        {
            "displayName": "Marie Curie",
            "country": "FR",
            "language": "fr",
            "whatsappUserId": user_id,  # a username user: no phone number on file
            "notificationPreferences": {"whatsappEnabled": True, "smsEnabled": False},
            "lastInboundAt": {"whatsapp": datetime.now(UTC)},
        }
    )
    queue = Queue()
    planned = complete_ticket(db, queue, "T1-" + unique_id, customer_id)
    [whatsapp] = [n for n in planned if record(db, n)["channel"] == "whatsapp"]
    assert record(db, whatsapp)["to"] == user_id
    run_deliveries(db, queue, planned)
    assert record(db, whatsapp)["status"] == "sent"
    [sent] = fakes.messages("meta")
    assert (sent["to"], sent["user_id"]) == (user_id, user_id)
    [request] = fakes.requests("meta")
    assert request["json"]["recipient"] == user_id
    assert "to" not in request["json"]
    outbound = {m["_id"]: m for m in messages_of(db, customer_id)}
    assert outbound[whatsapp]["direction"] == "outbound"

    # Planned before the STOP, delivered after it: the live check cancels it.
    waiting = complete_ticket(db, queue, "T2-" + unique_id, customer_id)
    stop = from_user(user_id, "STOP", "wamid." + unique_id)
    assert webhooks.meta(stop).status_code == 200
    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert profile["notificationPreferences"]["whatsappEnabled"] is False
    [event] = docs(db, "consent_events")
    assert (event["to"], event["customerId"], event["action"], event["keyword"]) == (
        user_id,
        customer_id,
        "opt_out",
        "STOP",
    )
    [confirmation] = history(db)
    assert (confirmation["to"], confirmation["type"]) == (user_id, "reply.opt_out")
    [pending] = [n for n in waiting if record(db, n)["channel"] == "whatsapp"]
    run_deliveries(db, queue, [pending])
    assert (record(db, pending)["status"], record(db, pending)["statusReason"]) == (
        "cancelled",
        "opted_out",
    )

    # Planned after it: WhatsApp is off, and without a number nothing else reaches them.
    complete_ticket(db, queue, "T3-" + unique_id, customer_id)
    rows = [d for d in docs(db, "notification_history") if d.get("ticketId") == "T3-" + unique_id]
    assert {(r["type"], r["channel"], r["status"], r["statusReason"]) for r in rows} == {
        ("ticket.completed", "whatsapp", "skipped", "whatsapp_disabled"),
        ("ticket.pickup_reminder", "whatsapp", "skipped", "whatsapp_disabled"),
    }
    sent_for = {m["biz_opaque_callback_data"] for m in fakes.messages("meta")}
    assert sent_for <= {whatsapp, confirmation["_id"]}  # the first ticket's, and the reply


# --- edits and deletions ---------------------------------------------------------------------


def text_from(phone: str, text: str, message_id: str) -> Any:
    payload = as_sender(MESSAGES["text"], phone, message_id)
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return payload


def edit_of(phone: str, original: str, text: str, message_id: str, at: int) -> Any:
    """pywa's ``edit_text`` sample, editing ``original`` to ``text``."""
    payload = as_sender(EDITED["edit_text"], phone, message_id)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["edit"]["original_message_id"] = original
    message["edit"]["message"]["text"]["body"] = text
    message["timestamp"] = str(at)
    return payload


def revoke_of(phone: str, original: str, message_id: str) -> Any:
    """pywa's ``revoke`` sample, deleting ``original``."""
    payload = as_sender(DELETED["revoke"], phone, message_id)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["revoke"]["original_message_id"] = original
    return payload


def test_an_edit_is_a_new_version_and_a_deletion_marks_the_original_and_its_inbox_item(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    shop_open(db, True)
    phone, customer_id = unique_mobile(unique_id), "c-" + unique_id
    seed_profile(db, customer_id, phone)
    original = "wamid.A" + unique_id
    now = int(datetime.now(UTC).timestamp())
    assert webhooks.meta(text_from(phone, "Je passe à 17h", original)).status_code == 200
    second = edit_of(phone, original, "Je passe à 18h", "wamid.C" + unique_id, now - 60)
    first = edit_of(phone, original, "Je passe à 17h30", "wamid.B" + unique_id, now - 120)
    for payload in (second, first, second):  # out of order, and redelivered
        assert webhooks.meta(payload).status_code == 200

    stored = {m["providerMessageId"]: m for m in messages_of(db, customer_id)}
    kept = stored[original]
    assert (kept["text"], kept["edited"], kept["editCount"]) == ("Je passe à 18h", True, 2)
    assert [v["text"] for v in kept["versions"]] == [
        "Je passe à 17h",
        "Je passe à 17h30",
        "Je passe à 18h",
    ]
    assert stored["wamid.B" + unique_id]["editsMessageId"] == original
    [item] = docs(db, "inbox")  # the edits are not messages of their own for the staff
    assert (item["text"], item["edited"], item["status"]) == ("Je passe à 18h", True, "open")

    revoke = revoke_of(phone, original, "wamid.D" + unique_id)
    assert webhooks.meta(revoke).status_code == 200
    assert webhooks.meta(revoke).status_code == 200
    kept = {m["providerMessageId"]: m for m in messages_of(db, customer_id)}[original]
    assert (kept["deleted"], kept["revokedBy"]) == (True, "wamid.D" + unique_id)
    [item] = docs(db, "inbox")
    assert (item["deleted"], item["status"]) == (True, "deleted")
    assert history(db) == []  # no answer to an edit or a deletion


def test_an_edit_that_says_stop_opts_out(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    shop_open(db, True)
    phone, customer_id = unique_mobile(unique_id), "c-" + unique_id
    seed_profile(db, customer_id, phone)
    original = "wamid.A" + unique_id
    assert webhooks.meta(text_from(phone, "Arrête de m'écrire", original)).status_code == 200
    now = int(datetime.now(UTC).timestamp())
    edited = edit_of(phone, original, "STOP", "wamid.B" + unique_id, now + 30)
    assert webhooks.meta(edited).status_code == 200
    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert profile["notificationPreferences"]["whatsappEnabled"] is False
    [event] = docs(db, "consent_events")
    assert (event["source"], event["keyword"], event["editsMessageId"]) == (
        "keyword",
        "STOP",
        original,
    )
    assert [r["type"] for r in history(db)] == ["reply.opt_out"]


# --- identity changes ------------------------------------------------------------------------


def test_a_changed_number_moves_the_customers_whatsapp_and_finds_them_by_the_new_one(
    meta_env: dict[str, str],
    webhooks: Webhooks,
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    no_quiet_hours(db)
    old, customer_id = unique_mobile(unique_id), "c-" + unique_id
    new = unique_mobile(f"{(int(unique_id, 16) + 1) % 16**12:012x}")
    seed_profile(db, customer_id, old, lastInboundAt={"whatsapp": datetime.now(UTC)})
    change = as_sender(SYSTEM["phone_number_change"], old, "wamid.S" + unique_id)
    system = change["entry"][0]["changes"][0]["value"]["messages"][0]["system"]
    system["wa_id"] = new.removeprefix("+")
    assert webhooks.meta(change).status_code == 200
    assert webhooks.meta(change).status_code == 200

    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert (profile["whatsappPhone"], profile["previousWhatsappPhones"]) == (new, [old])
    assert profile["phoneNumber"] == old  # as the customer gave it: SMS stays there
    index = db.collection("phone_index").document(new).get().to_dict()
    assert (index["customerId"], index["source"]) == (customer_id, "user_changed_number")
    [stored] = [m for m in messages_of(db, customer_id) if m.get("direction") != "outbound"]
    assert (stored["action"], stored["identityChange"]["newWaId"]) == (
        "number_changed",
        new.removeprefix("+"),
    )
    assert docs(db, "inbox") == []
    assert history(db) == []

    hello = text_from(new, "C'est moi, nouveau numéro", "wamid.N" + unique_id)
    assert webhooks.meta(hello).status_code == 200
    assert {m["text"] for m in messages_of(db, customer_id)} >= {"C'est moi, nouveau numéro"}

    queue = Queue()
    planned = complete_ticket(db, queue, "T-" + unique_id, customer_id)
    [whatsapp] = [n for n in planned if record(db, n)["channel"] == "whatsapp"]
    assert (record(db, whatsapp)["to"], record(db, whatsapp)["fallbackTo"]) == (new, old)
    run_deliveries(db, queue, [whatsapp])
    sent = [m for m in fakes.messages("meta") if m["biz_opaque_callback_data"] == whatsapp]
    assert [m["to"] for m in sent] == [new.removeprefix("+")]


def test_a_changed_user_id_stands_for_the_same_customer(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    shop_open(db, True)
    phone, customer_id = unique_mobile(unique_id), "c-" + unique_id
    seed_profile(db, customer_id, phone)
    previous, new = user_id_of(unique_id), f"MX.{int(unique_id, 16) + 7}"
    assert (
        webhooks.meta(
            from_user(previous, "Bonjour", "wamid.1" + unique_id, phone=phone)
        ).status_code
        == 200
    )
    change = as_sender(SYSTEM["user_id_change"], phone, "wamid.2" + unique_id)
    system = change["entry"][0]["changes"][0]["value"]["messages"][0]["system"]
    system["previous_user_id"], system["user_id"] = previous, new
    assert webhooks.meta(change).status_code == 200
    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert profile["whatsappUserId"] == new
    index = db.collection("whatsapp_user_index").document(new).get().to_dict()
    assert (index["customerId"], index["phone"], index["previousUserId"]) == (
        customer_id,
        phone,
        previous,
    )
    later = from_user(new, "Merci", "wamid.3" + unique_id)  # the number withheld
    assert webhooks.meta(later).status_code == 200
    assert {m["text"] for m in messages_of(db, customer_id)} >= {"Bonjour", "Merci"}
    actions = {m["providerMessageId"]: m.get("action") for m in messages_of(db, customer_id)}
    assert actions["wamid.2" + unique_id] == "user_id_changed"


def test_a_marketing_stop_from_a_user_known_by_user_id_only_turns_offers_off(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    customer_id, user_id = "c-" + unique_id, user_id_of(unique_id)
    db.collection("customer_profiles").document(customer_id).set(
        {
            "displayName": "Marie Curie",
            "country": "FR",
            "whatsappUserId": user_id,  # a username user: no phone number on file
            "notificationPreferences": {"whatsappEnabled": True, "marketingEnabled": True},
        }
    )
    payload = load_json("meta/user_marketing_preferences.json")["resume"]
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Marie"}, "user_id": user_id}]
    item = value["user_preferences"][0]
    item.pop("wa_id")
    item["value"] = "stop"
    assert webhooks.meta(payload).status_code == 200
    assert webhooks.meta(payload).status_code == 200  # Meta's retry: recorded once

    profile = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert profile["notificationPreferences"]["marketingEnabled"] is False
    assert profile["notificationPreferences"]["whatsappEnabled"] is True  # offers only
    [event] = docs(db, "consent_events")
    assert (event["to"], event["customerId"], event["purpose"], event["action"]) == (
        user_id,
        customer_id,
        "marketing",
        "opt_out",
    )
