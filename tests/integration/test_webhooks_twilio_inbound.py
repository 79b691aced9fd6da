"""``twilio_inbound`` on the real emulator: consent, status answers, inbox, replies, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.fakes.client import FakeProvidersClient
from shared.model.enums import Provider
from shared.model.ids import inbound_message_id
from tests.integration.webhook_kit import (
    Webhooks,
    docs,
    history,
    national,
    new_sid,
    seed_profile,
    shop_open,
    unique_mobile,
    webhooks,
    written,
)
from tests.support.wait import wait_for

__all__ = ["webhooks"]  # the fixture, imported so pytest finds it

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_unsigned_and_wrongly_signed_messages_are_refused_and_write_nothing(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    before = written(firestore_client)
    params = {"MessageSid": new_sid(), "From": phone, "Body": "STOP"}
    missing = webhooks.twilio("twilio_inbound", params, signature="missing")
    wrong = webhooks.twilio("twilio_inbound", params, signature="wrong")
    other_token = webhooks.twilio("twilio_inbound", params, token="not-the-token")
    assert [missing.status_code, wrong.status_code, other_token.status_code] == [403, 403, 403]
    assert written(firestore_client) == before
    profile = firestore_client.collection("customer_profiles").document("c-" + unique_id).get()
    assert profile.to_dict()["notificationPreferences"]["smsEnabled"] is True


def test_customer_texting_stop_is_opted_out_recorded_and_confirmed_by_sms(
    webhooks: Webhooks, firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, national(phone))
    response = webhooks.sms(phone, "Stop !")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.get_data(as_text=True) == EMPTY_TWIML

    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    prefs = profile.to_dict()["notificationPreferences"]
    assert prefs["smsEnabled"] is False
    assert prefs["whatsappEnabled"] is True
    [event] = docs(firestore_client, "consent_events")
    assert event["customerId"] == customer_id
    assert (event["channel"], event["source"], event["keyword"], event["action"]) == (
        "sms",
        "keyword",
        "STOP",
        "opt_out",
    )
    assert (event["purpose"], event["provider"], event["to"]) == ("all", "twilio", phone)
    assert event["at"] is not None
    [reply] = history(firestore_client)
    assert (reply["type"], reply["channel"], reply["to"]) == ("reply.opt_out", "sms", phone)
    assert "START" in reply["body"]
    index = firestore_client.collection("phone_index").document(phone).get().to_dict()
    assert index["customerId"] == customer_id

    sent = wait_for(
        lambda: [m for m in fakes.messages("twilio") if m.get("to") == phone],
        timeout=20,
        message="the confirmation SMS at the fake Twilio",
    )
    assert sent[0]["body"] == reply["body"]


def test_start_turns_the_channel_back_on(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(
        firestore_client, customer_id, phone, notificationPreferences={"smsEnabled": False}
    )
    assert webhooks.sms(phone, "start").status_code == 200
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["notificationPreferences"]["smsEnabled"] is True
    [event] = docs(firestore_client, "consent_events")
    assert event["action"] == "opt_in"
    assert [r["type"] for r in history(firestore_client)] == ["reply.opt_in"]


def test_the_same_webhook_twice_writes_and_replies_once(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    sid = new_sid()
    first = webhooks.sms(phone, "STOP", sid=sid)
    after_first = written(firestore_client)
    second = webhooks.sms(phone, "STOP", sid=sid)
    assert first.status_code == second.status_code == 200
    assert written(firestore_client) == after_first
    assert len(history(firestore_client)) == 1
    assert len(docs(firestore_client, "consent_events")) == 1


def test_a_status_question_is_answered_with_the_latest_repair(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    tickets = firestore_client.collection("tickets")
    tickets.document("T-old-" + unique_id).set(
        {"customerId": customer_id, "status": "picked_up", "device": "iPad"}
    )
    tickets.document("T-" + unique_id).set(
        {"customerId": customer_id, "status": "waiting_parts", "device": "iPhone 12"}
    )
    assert webhooks.sms(phone, "Où en est ma réparation ?").status_code == 200
    [reply] = history(firestore_client)
    assert reply["type"] == "reply.status"
    assert reply["ticketId"] == "T-" + unique_id
    assert reply["body"] == f"Votre réparation iPhone 12 (n° T-{unique_id}) : en attente de pièces."
    assert not docs(firestore_client, "inbox")


def test_a_ticket_number_is_answered_with_that_ticket(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone, language="en")
    ticket_id = "T1" + unique_id[:6].upper()
    firestore_client.collection("tickets").document(ticket_id).set(
        {"customerId": customer_id, "status": "completed", "device": "Pixel 8"}
    )
    firestore_client.collection("tickets").document("T2" + unique_id[:6].upper()).set(
        {"customerId": "someone-else", "status": "in_repair"}
    )
    assert webhooks.sms(phone, ticket_id.lower() + " ?").status_code == 200
    [reply] = history(firestore_client)
    assert reply["body"] == f"Your Pixel 8 repair (no. {ticket_id}): ready for pickup."


def test_walk_in_client_without_profile_is_found_by_phone_and_opted_out(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    client_id = "cl-" + unique_id
    firestore_client.collection("clients").document(client_id).set(
        {"name": "Jean Dupont", "phone": national(phone).replace(" ", ".")}
    )
    assert webhooks.sms(phone, "ARRÊT").status_code == 200
    client = firestore_client.collection("clients").document(client_id).get().to_dict()
    assert client["notificationPreferences"]["smsEnabled"] is False
    [event] = docs(firestore_client, "consent_events")
    assert (event["customerId"], event["clientId"], event["keyword"]) == (None, client_id, "ARRET")


def test_in_business_hours_a_message_lands_in_the_staff_inbox_without_auto_reply(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    shop_open(firestore_client, True)
    assert webhooks.sms(phone, "Bonjour, je peux passer à 17h ?").status_code == 200
    [entry] = docs(firestore_client, "inbox")
    assert (entry["customerId"], entry["name"], entry["phone"], entry["channel"]) == (
        customer_id,
        "Marie Curie",
        phone,
        "sms",
    )
    assert entry["text"] == "Bonjour, je peux passer à 17h ?"
    assert entry["status"] == "open"
    assert history(firestore_client) == []
    [conversation] = docs(firestore_client, "conversations")
    assert conversation["_id"] == customer_id
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["lastInboundAt"]["sms"] is not None


def test_after_hours_the_message_gets_one_auto_reply_saying_when_the_shop_answers(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    shop_open(firestore_client, False)
    assert webhooks.sms(phone, "Bonjour ?").status_code == 200
    assert webhooks.sms(phone, "Vous êtes là ?").status_code == 200
    assert len(docs(firestore_client, "inbox")) == 2
    [reply] = history(firestore_client)
    assert reply["type"] == "reply.after_hours"
    assert "Atelier est fermée" in reply["body"]
    assert "à 09:00" in reply["body"]


def test_an_unknown_number_is_answered_politely_in_english_for_a_kenyan_number(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id, "KE")
    assert webhooks.sms(phone, "Hello, do you sell phone cases?").status_code == 200
    [reply] = history(firestore_client)
    assert reply["type"] == "reply.unknown_sender"
    assert reply["body"].startswith("Hello, thanks for your message")
    [entry] = docs(firestore_client, "inbox")
    assert entry["customerId"] is None
    assert docs(firestore_client, "conversations")[0]["_id"] == phone


def test_whatsapp_message_via_twilio_opens_the_window(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    shop_open(firestore_client, True)
    response = webhooks.sms(
        "whatsapp:" + phone, "Merci !", ProfileName="Marie", WaId=phone.removeprefix("+")
    )
    assert response.status_code == 200
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["lastInboundAt"]["whatsapp"] is not None
    [entry] = docs(firestore_client, "inbox")
    assert entry["channel"] == "whatsapp"


def test_media_and_junk_fields_are_acknowledged(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    media = webhooks.sms(
        phone,
        "",
        NumMedia="x",
        MediaUrl0="https://api.twilio.com/m",
        MediaContentType0="image/jpeg",
    )
    assert media.status_code == 200
    junk = webhooks.twilio("twilio_inbound", {"Foo": "bar"})
    not_a_phone = webhooks.sms("SHOPNAME", "hi")
    assert junk.status_code == not_a_phone.status_code == 200
    assert junk.get_data(as_text=True) == EMPTY_TWIML


def test_twilio_advanced_opt_out_is_recorded_without_a_second_confirmation(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    assert webhooks.sms(phone, "stop", OptOutType="STOP").status_code == 200
    profile = firestore_client.collection("customer_profiles").document(customer_id).get()
    assert profile.to_dict()["notificationPreferences"]["smsEnabled"] is False
    assert len(docs(firestore_client, "consent_events")) == 1
    assert history(firestore_client) == []  # Twilio itself confirmed


def _claim_doc(db: Any, customer_id: str, sid: str) -> Any:
    return (
        db.collection("conversations")
        .document(customer_id)
        .collection("messages")
        .document(inbound_message_id(Provider.TWILIO.value, sid))
    )


def test_a_redelivery_while_the_first_is_being_handled_is_asked_to_retry(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(firestore_client, customer_id, phone)
    sid = new_sid()
    claim = _claim_doc(firestore_client, customer_id, sid)
    now = datetime.now(UTC)
    claim.set(  # another request has it
        {
            "processedAt": None,
            "claim": {
                "state": "in_progress",
                "owner": "another-request",
                "attempt": 1,
                "claimedAt": now,
                "leaseExpiresAt": now + timedelta(seconds=60),
            },
        }
    )
    response = webhooks.sms(phone, "STOP", sid=sid)
    assert response.status_code == 503
    assert docs(firestore_client, "consent_events") == []
    claim.update({"claim.leaseExpiresAt": now - timedelta(minutes=4)})  # it died
    assert webhooks.sms(phone, "STOP", sid=sid).status_code == 200
    assert len(docs(firestore_client, "consent_events")) == 1
    assert claim.get().to_dict()["processedAt"] is not None
