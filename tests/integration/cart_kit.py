"""Helpers of the cart recovery integration tests: a shop driven on the session stack.

Documents are written to the stack's emulator as the shop's app would, and the emulator's triggers
run the real ``on_cart_written`` / ``on_order_written`` processes. The sweep runs in process with a
clock of the test's choosing (``run_sweep(now=...)``) and a recording queue; its tasks are then
dispatched to ``deliver_notification`` in process, as Cloud Tasks would, so delivery sees the
settings this test wrote (no other process's settings cache) and sends to the fake providers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.flows.carts.sweep import run_sweep
from shared.flows.consent import registration_opt_ins
from shared.model.enums import Channel
from shared.platform.settings import get_settings
from shared.store.carts import where
from shared.store.shop import clear_cache
from tests.support.cloudevents import http_client

ITEMS = [
    {"sku": "CASE-12", "name": "Coque iPhone 12", "quantity": 1, "price": 19.9},
    {"sku": "GLASS-12", "name": "Verre trempé", "quantity": 2, "price": 9.95},
]


@dataclass
class RecordingQueue:
    """The Cloud Tasks boundary, recorded (thread-safe); ``take()`` hands out new tasks once."""

    calls: list[str] = field(default_factory=list)
    taken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        with self.lock:
            self.calls.append(notification_id)
        return f"{notification_id}-{generation}"

    def take(self) -> list[str]:
        with self.lock:
            new, self.taken = self.calls[self.taken :], len(self.calls)
        return new


@dataclass
class Shop:
    """The shop's app, its clock and its view of what customers received."""

    stack: Stack
    db: Any
    fakes: FakeProvidersClient
    queue: RecordingQueue = field(default_factory=RecordingQueue)
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __post_init__(self) -> None:
        self._deliver = http_client("deliver_notification")
        # No quiet hours: delivery runs on the real clock, whatever the hour of the test run.
        self.db.collection("settings").document("notifications").set({"quietHours": {}})
        clear_cache()

    def settle(self) -> None:
        assert self.stack.flush_triggers(30.0), self.stack.trigger_stats()

    def customer(self, customer_id: str, *, marketing: bool = True) -> str:
        """A registered customer; ``marketing``: they ticked the offers box on the registration
        form, recorded as the registration does (``marketingEnabled`` and its proof)."""
        email = f"{customer_id}@example.com"
        self.db.collection("customer_profiles").document(customer_id).set(
            {
                "displayName": customer_id.title(),
                "email": email,
                "country": "FR",
                "language": "fr",
                "notificationPreferences": {"marketingEnabled": False},
            }
        )
        if marketing:
            registration_opt_ins(
                self.db,
                customer_id=customer_id,
                contacts={Channel.EMAIL: email},
                text_version="signup-offers-v1",
                submission_id=f"signup-{customer_id}",
                at=self.now - timedelta(days=30),
            )
        return email

    def abandon(self, cart_id: str, customer_id: str, *, idle: timedelta) -> None:
        """A cart as the app writes it (no ``reminderStage``: ``on_cart_written`` adds it)."""
        self.db.collection("carts").document(cart_id).set(
            {
                "customerId": customer_id,
                "items": ITEMS,
                "total": 39.8,
                "currency": "EUR",
                "status": "active",
                "updatedAt": self.now - idle,
            }
        )
        self.settle()

    def order(self, order_id: str, customer_id: str, **fields: Any) -> None:
        self.db.collection("orders").document(order_id).set(
            {
                "customerId": customer_id,
                "status": "placed",
                "paymentStatus": "paid",
                "total": 39.8,
                "currency": "EUR",
                **fields,
            }
        )
        self.settle()

    def sweep(self, *, after: timedelta = timedelta(0)) -> dict[str, Any]:
        summary = run_sweep(
            db=self.db, queue=self.queue, now=self.now + after, settings=get_settings()
        )
        self.settle()  # the sweep's stage writes go through on_cart_written too
        return summary.as_json()

    def deliver(self) -> list[dict[str, Any]]:
        """Dispatch the tasks enqueued since last time, as Cloud Tasks would."""
        outcomes = []
        for notification_id in self.queue.take():
            response = self._deliver.post(
                "/deliver_notification", json={"notificationId": notification_id}
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            outcomes.append(response.get_json())
        return outcomes

    def cart(self, cart_id: str) -> dict[str, Any]:
        return self.db.collection("carts").document(cart_id).get().to_dict() or {}

    def history(self, cart_id: str) -> list[dict[str, Any]]:
        docs = where(self.db.collection("notification_history"), "cartId", "==", cart_id).stream()
        found = [d.to_dict() or {} for d in docs]
        return sorted(found, key=lambda d: (d["type"], d["channel"], d["createdAt"]))

    def emails_to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.fakes.emails() if address in m.get("rcpt_tos", [])]

    def cart_emails_to(self, address: str) -> list[dict[str, Any]]:
        """Cart reminders only (an order also brings its own confirmation)."""
        return [m for m in self.emails_to(address) if "panier" in m["subject"].lower()]
