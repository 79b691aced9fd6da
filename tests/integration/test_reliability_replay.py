"""Everything delivered at least once is delivered three times: nothing is sent twice, nothing is
left behind.

On the local stack (real function processes, the Tasks emulator dispatching tasks, the fake
providers): every Firestore event (ticket, order and cart writes, as Eventarc CloudEvents with a
fixed id), every delivery task and every webhook (Twilio status callbacks signed and posted by the
fake Twilio, inbound Twilio and Meta messages) is replayed three times, one item after another
for half of them and three at once for the other half, while the Tasks emulator dispatches its
own copy of every task. Afterwards: each provider accepted each message once (counted at the
fakes), every notification is final or scheduled, each inbound message got one answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
import requests

from devstack.config import FAKE_CREDENTIALS
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from tests.support.cloudevents import FirestoreEvent, document_event, post_event
from tests.support.wait import wait_for
from tests.support.webhooks import meta_json, twilio_form

pytestmark = pytest.mark.integration

T = TypeVar("T")
FINAL = {"sent", "delivered", "read", "failed", "skipped", "cancelled", "undelivered"}
SETTLED = FINAL | {"scheduled"}
EVENTS = (
    "ticket.received",
    "ticket.status_changed",
    "ticket.completed",
    "ticket.pickup_reminder",
    "order.placed",
    "order.shipped",
)
PER_KIND = 8  # customers of each kind: ~175 notifications, ~1,600 replayed requests


def replay(call: Callable[[], T], *, at_once: bool) -> list[T]:
    """``call`` three times: one after another, or three threads released together."""
    if not at_once:
        return [call() for _ in range(3)]
    barrier = threading.Barrier(3)

    def go() -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(3) as pool:
        return list(pool.map(lambda _: go(), range(3)))


def replay_all(items: Iterable[Callable[[], T]], workers: int = 6) -> list[list[T]]:
    """Replay every item (even ones sequentially, odd ones at once), ``workers`` items at a
    time."""
    indexed = list(enumerate(items))
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda pair: replay(pair[1], at_once=pair[0] % 2 == 1), indexed))


def history(db: Any) -> list[dict[str, Any]]:
    return [
        {"id": s.id, **(s.to_dict() or {})} for s in db.collection("notification_history").get()
    ]


def settled(db: Any, *, expect_at_least: int) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]]:
        rows = history(db)
        if len(rows) >= expect_at_least and all(r.get("status") in SETTLED for r in rows):
            return rows
        return []

    return wait_for(ready, timeout=60, interval=0.2, message="every notification settled")


class Shop:
    """The test's customers and the events their tickets and orders make."""

    def __init__(self, db: Any, unique_id: str) -> None:
        self.db = db
        self.tag = unique_id[:8]
        self.base = int(unique_id[:6], 16) % 10**5
        self.events: list[tuple[str, FirestoreEvent]] = []

    def phone(self, kind: int, i: int) -> str:
        return f"+336{kind}{self.base:05d}{i:02d}"

    def seed(self) -> None:
        templates = {
            key: {"contentSid": f"HX{n:032d}", "metaName": key.replace(".", "_")}
            for n, key in enumerate(EVENTS)
        }
        settings = {"quietHours": {}, "whatsappTemplates": templates, "shopName": "Atelier"}
        self.db.collection("settings").document("notifications").set(settings)
        batch = self.db.batch()
        for i in range(PER_KIND):
            batch.set(
                self._profile(f"ew-{self.tag}-{i}"),
                {
                    "displayName": f"Emma {i}",
                    "email": f"emma{i}.{self.tag}@example.fr",
                    "phoneNumber": self.phone(1, i),
                    "country": "FR",
                    "language": "fr",
                    "notificationPreferences": {"whatsappEnabled": True},
                },
            )
            batch.set(
                self._profile(f"sms-{self.tag}-{i}"),
                {
                    "displayName": f"Samir {i}",
                    "phoneNumber": self.phone(2, i),
                    "country": "FR",
                    "notificationPreferences": {"smsEnabled": True},
                },
            )
            batch.set(
                self._profile(f"em-{self.tag}-{i}"),
                {
                    "displayName": f"Eve {i}",
                    "email": f"eve{i}.{self.tag}@example.fr",
                    "country": "FR",
                    "language": "en",
                    "notificationPreferences": {"marketingEnabled": True},
                },
            )
        batch.commit()
        for i in range(PER_KIND):
            # Carts are written for real: their trigger sends its own event, and ours is replayed.
            cart = {
                "customerId": f"em-{self.tag}-{i}",
                "status": "active",
                "total": 15.0,
                "currency": "EUR",
                "updatedAt": datetime.now(UTC),
                "items": [{"sku": "CASE", "name": "Coque", "quantity": 1, "price": 15.0}],
            }
            path = f"carts/K-{self.tag}-{i}"
            self.db.document(path).set(cart)
            self._event("carts", path, None, cart)

    def _profile(self, customer_id: str) -> Any:
        return self.db.collection("customer_profiles").document(customer_id)

    def _event(
        self, collection: str, path: str, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> None:
        event_id = f"evt-{self.tag}-{len(self.events)}"
        event = document_event(path, before, after, project=self.db.project, event_id=event_id)
        self.events.append((collection, event))

    def plan_events(self) -> None:
        """Tickets and orders are never written to the emulator (their triggers would make events
        of its own, with other ids): their events are made here, as Eventarc makes them."""
        for kind in ("ew", "sms", "em"):
            for i in range(PER_KIND):
                customer = f"{kind}-{self.tag}-{i}"
                ticket = {"customerId": customer, "device": "iPhone 13", "status": "received"}
                self._event("tickets", f"tickets/T-{customer}", None, ticket)
                done = {**ticket, "status": "completed"}
                self._event("tickets", f"tickets/T-{customer}", ticket, done)
                order = {
                    "customerId": customer,
                    "status": "placed",
                    "total": 49.9,
                    "currency": "EUR",
                    "paymentStatus": "paid",
                }
                self._event("orders", f"orders/O-{customer}", None, order)
                shipped = {**order, "status": "shipped", "trackingUrl": "https://t.example/1"}
                self._event("orders", f"orders/O-{customer}", order, shipped)
        for i in range(PER_KIND):
            walk_in = {
                "clientName": f"Jean {i}",
                "clientPhone": self.phone(4, i),
                "device": "Galaxy S21",
                "status": "received",
            }
            self._event("tickets", f"tickets/W-{self.tag}-{i}", None, walk_in)


TARGET = {"tickets": "on_ticket_written", "orders": "on_order_written", "carts": "on_cart_written"}


def _inbound_sms(url: str, sender: str, sid: str) -> Callable[[], int]:
    params = {
        "MessageSid": sid,
        "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
        "From": sender,
        "To": FAKE_CREDENTIALS["TWILIO_SMS_FROM"],
        "Body": "statut ?",
        "NumMedia": "0",
    }
    headers, body = twilio_form(url, params, FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"])
    return lambda: requests.post(url, data=body, headers=headers, timeout=30).status_code


def _inbound_meta(url: str, sender: str, wamid: str) -> Callable[[], int]:
    wa_id = sender.removeprefix("+")
    message = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "Bonjour, statut de ma commande ?"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": FAKE_CREDENTIALS["META_PHONE_NUMBER_ID"]},
        "contacts": [{"profile": {"name": "Emma"}, "wa_id": wa_id}],
        "messages": [message],
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    headers, body = meta_json(payload, FAKE_CREDENTIALS["META_APP_SECRET"])
    return lambda: requests.post(url, data=body, headers=headers, timeout=30).status_code


def _event(url: str, event: FirestoreEvent) -> Callable[[], int]:
    return lambda: post_event(url, event).status_code


def _status_callback(fakes: FakeProvidersClient, sid: str, status: str) -> Callable[[], int]:
    """The fake Twilio posts the signed callback to the message's StatusCallback URL."""
    return lambda: int(fakes.send_twilio_status(sid, status)["response_status"])


def _deliver(url: str, nid: str) -> Callable[[], tuple[int, str]]:
    def call() -> tuple[int, str]:
        answer = requests.post(url, json={"notificationId": nid}, timeout=60)
        return answer.status_code, str(answer.json().get("outcome"))

    return call


def _replay_deliveries(url: str, ids: Iterable[str]) -> None:
    answers = [a for item in replay_all(_deliver(url, nid) for nid in ids) for a in item]
    # 503 "in_progress": another copy holds the attempt's lease (the queue retries it later).
    unexpected = [a for a in answers if a[0] != 200 and a != (503, "in_progress")]
    assert unexpected == []


def _provider_sends(fakes: FakeProvidersClient) -> dict[str, list[str]]:
    """The message ids each provider accepted, one entry per accepted send."""
    twilio = [
        r["message_id"]
        for r in fakes.requests("twilio")
        if r.get("method") == "POST" and r.get("status") == 201
    ]
    meta = [r["message_id"] for r in fakes.requests("meta") if r.get("status") == 200]
    emails = [str(e["message_id"]) for e in fakes.emails()]
    return {"twilio": twilio, "meta": meta, "smtp": emails}


def test_every_event_task_and_webhook_replayed_three_times_sends_each_message_once(
    clean_stack: Stack,
    firestore_client: Any,
    fakes: FakeProvidersClient,
    functions: dict[str, str],
    unique_id: str,
) -> None:
    db = firestore_client
    shop = Shop(db, unique_id)
    shop.seed()  # the stack's functions read the shop's settings afresh (no cache)
    shop.plan_events()

    # 1. Every Firestore event, three times.
    codes = replay_all(_event(functions[TARGET[c]], e) for c, e in shop.events)
    assert {code for item in codes for code in item} == {200}
    assert clean_stack.flush_triggers(30.0)

    # 2. Every delivery task, three times, racing the Tasks emulator's own dispatch.
    planned = history(db)
    assert len(planned) >= 5 * 3 * PER_KIND
    _replay_deliveries(functions["deliver_notification"], [r["id"] for r in planned])
    rows = settled(db, expect_at_least=len(planned))

    # 3. Every webhook, three times: Twilio's status callbacks (sent, then delivered) for each
    # message, and inbound messages asking for a status, by SMS and by WhatsApp (Meta).
    sids = [m["sid"] for m in fakes.messages("twilio")]
    assert sids
    for status in ("sent", "delivered"):
        answers = replay_all(_status_callback(fakes, sid, status) for sid in sids)
        assert {a for item in answers for a in item} == {204}, answers
    inbound = [
        _inbound_sms(functions["twilio_inbound"], shop.phone(2, i), f"SM{unique_id}{i:020d}")
        for i in range(3)
    ]
    inbound += [
        _inbound_meta(functions["meta_webhook"], shop.phone(1, i), f"wamid.{unique_id}{i}")
        for i in range(3)
    ]
    answers = replay_all(inbound)
    # 503: a copy found the message claimed by another copy still at work (the provider retries).
    assert {a for item in answers for a in item} <= {200, 503}
    replies = wait_for(
        lambda: [r for r in history(db) if str(r.get("type")).startswith("reply.")],
        message="replies planned",
    )
    _replay_deliveries(functions["deliver_notification"], [r["id"] for r in replies])
    rows = settled(db, expect_at_least=len(rows) + len(inbound))

    # Once settled, a copy of any inbound message is acknowledged as a duplicate.
    assert [call() for call in inbound] == [200] * len(inbound)

    # Nothing left behind, every inbound message answered once.
    assert Counter(r["status"] for r in rows if r["status"] not in SETTLED) == Counter()
    answered = Counter(
        json.dumps(r.get("sourceEventId")) for r in rows if str(r.get("type")).startswith("reply.")
    )
    assert len(answered) == len(inbound), answered
    assert set(answered.values()) == {1}
    # Nothing sent twice: each provider accepted each notification's message once, and the
    # message it accepted is the one the notification records.
    sends = _provider_sends(fakes)
    recorded = Counter(
        (r["provider"], str(r["providerMessageId"])) for r in rows if r.get("providerMessageId")
    )
    accepted = Counter((p, mid) for p, ids in sends.items() for mid in ids)
    duplicates = {k: n for k, n in accepted.items() if n > 1}
    assert duplicates == {}
    assert accepted == recorded
    assert sum(accepted.values()) == sum(
        r["status"] != "scheduled" and r["status"] in {"sent", "delivered", "read"} for r in rows
    )
    # Status callbacks moved every Twilio message forward to delivered, once.
    called_back = [r for r in rows if r.get("providerMessageId") in set(sids)]
    assert len(called_back) == len(sids)
    assert {r["status"] for r in called_back} == {"delivered"}
