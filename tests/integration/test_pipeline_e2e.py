"""The outbound pipeline end to end on the local stack.

A document written to the Firestore emulator reaches ``on_ticket_written`` / ``on_order_written``
through the emulator's trigger (an Eventarc-shaped CloudEvent); the function plans, writes history
and enqueues Cloud Tasks on the Tasks emulator, which dispatches ``deliver_notification``, which
sends through the real SDKs to the fake providers. Tests assert what the providers received and
the ``notification_history`` rows.
"""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from devstack.config import FAKE_CREDENTIALS
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from tests.support.cloudevents import document_event, post_event
from tests.support.wait import wait_for
from tests.support.webhooks import twilio_form

pytestmark = pytest.mark.integration

FINAL = {"sent", "delivered", "read", "failed", "skipped", "cancelled", "undelivered"}


def _phone(unique: str, prefix: str = "+3361") -> str:
    digits = "".join(ch for ch in unique if ch.isdigit()).ljust(7, "0")
    return prefix + digits[:7]


def _history(db: Any, field: str, value: str) -> list[dict[str, Any]]:
    query = db.collection("notification_history").where(filter=FieldFilter(field, "==", value))
    docs = query.get()
    return [{"id": d.id, **(d.to_dict() or {})} for d in docs]


def _settled(
    db: Any, field: str, value: str, count: int, *, ignore: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Wait until ``count`` history rows (of types not in ``ignore``) exist for the document
    and all are final."""

    def ready() -> list[dict[str, Any]]:
        rows = [r for r in _history(db, field, value) if r.get("type") not in ignore]
        if len(rows) >= count and all(r.get("status") in FINAL for r in rows):
            return rows
        return []

    return wait_for(ready, timeout=30, message=f"{count} settled notifications for {value}")


@pytest.fixture
def no_quiet_hours(firestore_client: Any) -> None:
    """Tests run at any hour: no quiet hours for this shop (and its approved WhatsApp template)."""
    firestore_client.collection("settings").document("notifications").set(
        {
            "quietHours": {},
            "whatsappTemplates": {
                "ticket.received": {"contentSid": "HX" + "a" * 32, "metaName": "ticket_received"},
                "order.placed": {"contentSid": "HX" + "b" * 32, "metaName": "order_placed"},
            },
        }
    )


def _twilio_sends(fakes: FakeProvidersClient, number: str) -> list[dict[str, Any]]:
    """Form parameters of every message the fake Twilio accepted for ``number`` (any channel)."""
    return [
        r["params"]
        for r in fakes.requests("twilio")
        if r.get("method") == "POST"
        and r.get("status") == 201
        and str(r["params"].get("To", "")).endswith(number)
    ]


def _sms_to(fakes: FakeProvidersClient, number: str) -> list[dict[str, Any]]:
    return [p for p in _twilio_sends(fakes, number) if not str(p["To"]).startswith("whatsapp:")]


@pytest.mark.usefixtures("no_quiet_hours")
def test_customer_with_email_and_whatsapp_gets_email_then_whatsapp(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = _phone(unique_id)
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {
            "displayName": "Marie Dupont",
            "email": f"marie.{unique_id}@example.fr",
            "phoneNumber": phone.replace("+33", "0"),
            "country": "FR",
            "language": "fr",
            "notificationPreferences": {"whatsappEnabled": True},
        }
    )
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"customerId": f"c-{unique_id}", "device": "iPhone 13", "status": "received"}
    )

    rows = _settled(firestore_client, "ticketId", ticket_id, 2)
    by_channel = {r["channel"]: r for r in rows}
    assert set(by_channel) == {"email", "whatsapp"}
    assert by_channel["email"]["status"] == "sent"
    assert by_channel["email"]["statusReason"] == "email_primary"
    assert by_channel["whatsapp"]["status"] == "sent"
    assert by_channel["whatsapp"]["providerMessageId"]
    emails = [e for e in fakes.emails() if f"marie.{unique_id}@example.fr" in str(e)]
    assert len(emails) == 1
    whatsapp = _twilio_sends(fakes, phone)
    assert len(whatsapp) == 1
    assert str(whatsapp[0]["To"]).startswith("whatsapp:")
    # No inbound message yet: outside the 24-hour window, so an approved template goes out.
    assert whatsapp[0].get("ContentSid")


@pytest.mark.usefixtures("no_quiet_hours")
def test_customer_without_email_who_opted_into_sms_gets_one_sms_with_status_callback(
    firestore_client: Any, fakes: FakeProvidersClient, clean_stack: Stack, unique_id: str
) -> None:
    phone = _phone(unique_id)
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {"phoneNumber": phone, "country": "FR", "notificationPreferences": {"smsEnabled": True}}
    )
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"customerId": f"c-{unique_id}", "device": "Pixel 8", "status": "in_repair"}
    )
    firestore_client.collection("tickets").document(ticket_id).update({"status": "completed"})

    rows = _settled(firestore_client, "ticketId", ticket_id, 2, ignore=("ticket.pickup_reminder",))
    sent = sorted((r["type"], r["channel"], r["status"]) for r in rows if r["status"] == "sent")
    assert sent == [("ticket.completed", "sms", "sent"), ("ticket.received", "sms", "sent")]
    completed = next(r for r in rows if r["type"] == "ticket.completed")
    assert completed["metadata"]["segments"] == 1
    assert completed["metadata"]["encoding"] == "GSM-7"
    assert completed["attempts"] == 1
    messages = _sms_to(fakes, phone)
    assert len(messages) == 2
    assert {m.get("StatusCallback") for m in messages} == {clean_stack.urls["twilio_status"]}
    # Every outbound message is also kept in the customer's conversation.
    conversation = (
        firestore_client.collection("conversations")
        .document(f"c-{unique_id}")
        .collection("messages")
    )
    kept = conversation.document(completed["id"]).get().to_dict()
    assert kept["direction"] == "outbound"
    assert kept["providerMessageId"] == completed["providerMessageId"]
    # The pickup reminder waits three days, scheduled.
    reminder = wait_for(
        lambda: [
            r
            for r in _history(firestore_client, "ticketId", ticket_id)
            if r["type"] == "ticket.pickup_reminder"
        ],
        message="pickup reminder",
    )
    assert reminder[0]["status"] == "scheduled"


@pytest.mark.usefixtures("no_quiet_hours")
def test_walk_in_customer_gets_welcome_sms_with_registration_link(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = _phone(unique_id)
    national = "0" + phone.removeprefix("+33")
    typed = " ".join(national[i : i + 2] for i in range(0, 10, 2))
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"clientName": "Jean", "clientPhone": typed, "device": "Galaxy S21", "status": "received"}
    )
    rows = _settled(firestore_client, "ticketId", ticket_id, 1)
    assert [(r["channel"], r["status"]) for r in rows] == [("sms", "sent")]
    assert rows[0]["to"] == phone
    (message,) = _sms_to(fakes, phone)
    assert "https://shop.example.com/register?" in message["Body"]
    assert "phone=%2B33" in message["Body"]


@pytest.mark.usefixtures("no_quiet_hours")
def test_invalid_phone_ends_skipped_with_the_reason_and_sends_nothing(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {"phoneNumber": "06 12 ab", "notificationPreferences": {"smsEnabled": True}}
    )
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"customerId": f"c-{unique_id}", "status": "received"}
    )
    (row,) = _settled(firestore_client, "ticketId", ticket_id, 1)
    assert row["status"] == "skipped"
    assert row["statusReason"] == "invalid_phone"
    assert row["statusDetail"]
    assert [r for r in fakes.requests("twilio") if r.get("method") == "POST"] == []


@pytest.mark.usefixtures("no_quiet_hours")
def test_same_event_three_times_at_once_sends_once(
    firestore_client: Any, fakes: FakeProvidersClient, functions: dict[str, str], unique_id: str
) -> None:
    phone = _phone(unique_id)
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {"phoneNumber": phone, "notificationPreferences": {"smsEnabled": True}}
    )
    order = {"customerId": f"c-{unique_id}", "status": "placed", "total": 49.9, "currency": "EUR"}
    event = document_event(
        f"orders/O-{unique_id}",
        None,
        order,
        project=firestore_client.project,
        event_id=f"evt-{unique_id}",
    )
    url = functions["on_order_written"]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: post_event(url, event), range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]

    (row,) = _settled(firestore_client, "orderId", f"O-{unique_id}", 1)
    assert row["status"] == "sent"
    # Give any duplicate task a moment to (not) send again.
    deliver = functions["deliver_notification"]
    again = requests.post(deliver, json={"notificationId": row["id"]}, timeout=10)
    assert again.json()["outcome"] == "already_final"
    assert len(_sms_to(fakes, phone)) == 1


@pytest.mark.usefixtures("no_quiet_hours")
def test_provider_outage_then_success_sends_once_with_two_attempts(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = _phone(unique_id)
    fakes.set_faults([{"provider": "twilio", "action": "error", "status": 503, "times": 1}])
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {"phoneNumber": phone, "notificationPreferences": {"smsEnabled": True}}
    )
    firestore_client.collection("orders").document(f"O-{unique_id}").set(
        {"customerId": f"c-{unique_id}", "status": "placed"}
    )
    (row,) = _settled(firestore_client, "orderId", f"O-{unique_id}", 1)
    assert row["status"] == "sent"
    assert row["attempts"] == 2
    assert len(_sms_to(fakes, phone)) == 1


@pytest.mark.usefixtures("no_quiet_hours")
def test_permanent_whatsapp_failure_falls_back_to_one_sms(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = _phone(unique_id)
    fakes.set_faults(
        [
            {
                "provider": "twilio",
                "action": "error",
                "status": 400,
                "code": 63003,
                "to": f"whatsapp:{phone}",
            }
        ]
    )
    firestore_client.collection("customer_profiles").document(f"c-{unique_id}").set(
        {
            "phoneNumber": phone,
            "notificationPreferences": {"whatsappEnabled": True, "smsEnabled": True},
        }
    )
    firestore_client.collection("orders").document(f"O-{unique_id}").set(
        {"customerId": f"c-{unique_id}", "status": "placed"}
    )
    rows = _settled(firestore_client, "orderId", f"O-{unique_id}", 2)
    by_channel = {r["channel"]: r for r in rows}
    assert by_channel["whatsapp"]["status"] == "failed"
    assert by_channel["whatsapp"]["errorCode"] == "63003"
    assert by_channel["sms"]["status"] == "sent"
    assert by_channel["sms"]["fallbackOf"] == by_channel["whatsapp"]["id"]
    assert len(_sms_to(fakes, phone)) == 1


@pytest.mark.usefixtures("no_quiet_hours")
def test_attempt_abandoned_by_a_killed_worker_is_recovered_once_its_lease_expires(
    firestore_client: Any, fakes: FakeProvidersClient, functions: dict[str, str], unique_id: str
) -> None:
    """A worker that claimed attempt 1 and died before sending leaves a claim with a lease: a
    retry during the lease is told to come back later; after it, the retry sends, once."""
    phone = _phone(unique_id)
    nid = f"n-crash-{unique_id}"
    now = datetime.now(UTC)
    _pending_sms(firestore_client, nid, phone)
    ref = firestore_client.collection("notification_history").document(nid)
    ref.update(
        {
            "attempts": 1,
            "claim": {
                "state": "in_progress",
                "owner": "a-worker-that-died",
                "attempt": 1,
                "claimedAt": now,
                "leaseExpiresAt": now + timedelta(hours=1),
            },
        }
    )
    deliver = functions["deliver_notification"]

    busy = requests.post(deliver, json={"notificationId": nid}, timeout=10)
    assert busy.status_code == 503
    assert busy.json()["outcome"] == "in_progress"
    assert _sms_to(fakes, phone) == []

    ref.update({"claim.leaseExpiresAt": now - timedelta(seconds=1)})  # the dead worker's lease ends
    answers = [requests.post(deliver, json={"notificationId": nid}, timeout=10) for _ in range(2)]
    assert [a.json()["outcome"] for a in answers] == ["sent", "already_final"]
    row = ref.get().to_dict()
    assert row["status"] == "sent"
    assert row["attempts"] == 2
    assert row["claim"]["state"] == "completed"
    assert len(_sms_to(fakes, phone)) == 1


def test_unparsable_delivery_request_is_refused_with_400(functions: dict[str, str]) -> None:
    deliver = functions["deliver_notification"]
    for body in (b"not json", b"[]", b'{"notificationId": 7}', b'{"notificationId": "a/b"}'):
        answer = requests.post(
            deliver, data=body, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert answer.status_code == 400, body


def _pending_sms(db: Any, nid: str, phone: str) -> None:
    db.collection("notification_history").document(nid).set(
        {
            "customerId": None,
            "type": "ticket.completed",
            "channel": "sms",
            "provider": "twilio",
            "to": phone,
            "status": "pending",
            "attempts": 0,
            "template": "ticket.completed",
            "language": "fr",
            "country": "FR",
            "data": {"ticketId": "T1", "device": "iPhone"},
            "createdAt": datetime.now(UTC),
        }
    )


@pytest.mark.usefixtures("no_quiet_hours")
def test_send_accepted_but_answer_lost_is_not_sent_again_on_retry(
    firestore_client: Any, fakes: FakeProvidersClient, functions: dict[str, str], unique_id: str
) -> None:
    """Twilio accepted the message but the answer never came back (timeout): the retry looks
    the message up before resending and records it instead of sending a second one."""
    phone = _phone(unique_id)
    nid = f"n-lost-{unique_id}"
    _pending_sms(firestore_client, nid, phone)
    fakes.set_faults(
        [{"provider": "twilio", "action": "accept_then_timeout", "to": phone, "delay": 15}]
    )
    deliver = functions["deliver_notification"]

    first = requests.post(deliver, json={"notificationId": nid}, timeout=30)
    assert first.status_code == 503
    retry = requests.post(deliver, json={"notificationId": nid}, timeout=30)
    assert retry.json()["outcome"] == "sent"

    accepted = [
        r
        for r in fakes.requests("twilio")
        if r.get("method") == "POST" and str(r["params"].get("To")).endswith(phone)
    ]
    assert len(accepted) == 1
    row = firestore_client.collection("notification_history").document(nid).get().to_dict()
    assert row["status"] == "sent"
    assert row["attempts"] == 2
    assert row["claim"]["state"] == "completed"
    assert row["providerMessageId"] == accepted[0]["message_id"]


def test_status_that_outran_its_send_is_applied_by_the_next_sweep(
    firestore_client: Any, functions: dict[str, str], unique_id: str
) -> None:
    """Twilio called back 'delivered' before delivery had recorded the message id: the status
    is kept as an orphan, and the scheduled sweep applies it once the send is recorded."""
    sid = "SM" + unique_id.ljust(32, "0")
    url = functions["twilio_status"]
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
        "To": "+33612345678",
        "From": FAKE_CREDENTIALS["TWILIO_SMS_FROM"],
        "ApiVersion": "2010-04-01",
    }
    headers, body = twilio_form(url, params, FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"])
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code < 300

    nid = f"n-orphan-{unique_id}"
    ref = firestore_client.collection("notification_history").document(nid)
    ref.set(
        {
            "type": "order.placed",
            "channel": "sms",
            "provider": "twilio",
            "status": "sent",
            "providerMessageId": sid,
            "attempts": 1,
            "sentAt": datetime.now(UTC),
        }
    )
    swept = requests.post(functions["cart_sweep"], json={}, timeout=30)
    assert swept.status_code == 200
    assert swept.json()["orphansApplied"] == 1
    row = ref.get().to_dict()
    assert row["status"] == "delivered"
    assert row["deliveredAt"]
