"""Abandoned carts on the local stack: reminded once per stage, stopped by a purchase or by the
customer coming back, skipped without marketing consent, recovered by an order and its code."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests

from devstack.config import ROOT
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.flows.carts.report import recovery_report
from shared.store.discounts import code_problem
from tests.integration.cart_kit import Shop
from tests.support.cloudevents import cloudevent_client, document_event, send_event

H = timedelta(hours=1)


@pytest.fixture
def shop(
    stack_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    clean_stack: Stack,
) -> Shop:
    return Shop(clean_stack, firestore_client, fakes)


def statuses(history: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(h["type"], h["channel"], h["status"]) for h in history]


def test_cart_idle_3_hours_gets_one_first_reminder(shop: Shop) -> None:
    email = shop.customer("amina")
    shop.abandon("cart-a", "amina", idle=3 * H)
    assert shop.cart("cart-a")["reminderStage"] == 0  # set by on_cart_written for the sweep

    first = shop.sweep()
    again = shop.sweep()
    shop.deliver()

    assert (first["due"], first["reminded_1"], first["messages"]) == (1, 1, {"pending": 1})
    assert (again["due"], again["reminded_1"]) == (0, 0)
    assert statuses(shop.history("cart-a")) == [("cart.reminder_1", "email", "sent")]
    mails = shop.cart_emails_to(email)
    assert len(mails) == 1
    assert "Coque iPhone 12" in mails[0]["text"]
    cart = shop.cart("cart-a")
    assert cart["reminderStage"] == 1
    assert cart["status"] == "active"


def test_cart_idle_2_hours_minus_a_minute_is_not_due_yet(shop: Shop) -> None:
    shop.customer("amina")
    shop.abandon("cart-a", "amina", idle=2 * H - timedelta(minutes=1))
    assert shop.sweep()["due"] == 0
    assert shop.history("cart-a") == []


def test_idle_25_hours_after_the_first_one_second_reminder_with_a_working_code(
    shop: Shop,
) -> None:
    email = shop.customer("brian")
    shop.abandon("cart-b", "brian", idle=3 * H)
    shop.sweep()
    shop.deliver()

    second = shop.sweep(after=25 * H)
    again = shop.sweep(after=25 * H + timedelta(minutes=15))
    shop.deliver()

    assert (second["reminded_2"], again["due"]) == (1, 0)
    cart = shop.cart("cart-b")
    code = cart["discountCode"]
    offer = shop.db.collection("discount_codes").document(code).get().to_dict()
    assert offer["cartId"] == "cart-b"
    assert offer["customerId"] == "brian"
    assert offer["percent"] == 10
    assert offer["usedAt"] is None
    assert offer["expiresAt"] == shop.now + 25 * H + timedelta(days=7)
    assert code_problem(offer, customer_id="brian", now=shop.now + 26 * H) is None
    assert statuses(shop.history("cart-b")) == [
        ("cart.reminder_1", "email", "sent"),
        ("cart.reminder_2", "email", "sent"),
    ]
    mails = shop.cart_emails_to(email)
    assert len(mails) == 2
    assert code in mails[1]["text"]

    # The code works: the order carrying it recovers the cart and uses the code up.
    shop.order("order-b", "brian", cartId="cart-b", discountCode=code.lower())
    cart = shop.cart("cart-b")
    assert cart["status"] == "converted"
    assert cart["recoveredOrderId"] == "order-b"
    assert cart["recoveredAt"] is not None
    used = shop.db.collection("discount_codes").document(code).get().to_dict()
    assert used["orderId"] == "order-b"
    assert used["usedAt"] is not None
    assert code_problem(used, customer_id="brian", now=shop.now + 26 * H) == "already_used"
    assert shop.sweep(after=50 * H)["due"] == 0


def test_cart_bought_between_reminder_and_delivery_gets_nothing(shop: Shop) -> None:
    email = shop.customer("chloe")
    shop.abandon("cart-c", "chloe", idle=3 * H)
    assert shop.sweep()["reminded_1"] == 1

    shop.order("order-c", "chloe", cartId="cart-c")  # bought before the task ran
    outcomes = shop.deliver()

    assert [o["outcome"] for o in outcomes] == ["already_final"]
    history = shop.history("cart-c")
    assert statuses(history) == [("cart.reminder_1", "email", "cancelled")]
    assert history[0]["statusReason"] == "cart_converted"
    assert shop.cart_emails_to(email) == [
        m
        for m in shop.cart_emails_to(email)
        if "order" in m["subject"].lower() or "commande" in m["subject"].lower()
    ]
    cart = shop.cart("cart-c")
    assert cart["status"] == "converted"
    assert cart["convertedOrderId"] == "order-c"
    assert "recoveredOrderId" not in cart  # no reminder reached the customer
    assert shop.sweep(after=25 * H)["due"] == 0


def test_customer_without_marketing_consent_gets_nothing_recorded_as_skipped(shop: Shop) -> None:
    email = shop.customer("david", marketing=False)
    shop.abandon("cart-d", "david", idle=3 * H)

    summary = shop.sweep()
    shop.deliver()

    assert (summary["reminded_1"], summary["messages"]) == (1, {"skipped": 1})
    history = shop.history("cart-d")
    assert statuses(history) == [("cart.reminder_1", "email", "skipped")]
    assert history[0]["statusReason"] == "marketing_not_enabled"
    assert shop.queue.calls == []
    assert shop.cart_emails_to(email) == []


def test_customer_coming_back_cancels_the_reminder_and_starts_a_new_episode(shop: Shop) -> None:
    email = shop.customer("emma")
    shop.abandon("cart-e", "emma", idle=3 * H)
    assert shop.sweep()["reminded_1"] == 1

    # Emma adds an item now: customer activity after the reminder.
    shop.db.collection("carts").document("cart-e").update(
        {
            "items": [{"sku": "CABLE", "name": "Câble", "quantity": 1, "price": 12.0}],
            "updatedAt": shop.now,
        }
    )
    shop.settle()
    assert [o["outcome"] for o in shop.deliver()] == ["already_final"]
    cart = shop.cart("cart-e")
    assert cart["reminderStage"] == 0
    assert "reminderEpisode" not in cart
    assert [(h["status"], h["statusReason"]) for h in shop.history("cart-e")] == [
        ("cancelled", "cart_activity")
    ]

    # Idle again for 3 hours: a new first reminder, about the new cart content.
    assert shop.sweep(after=3 * H)["reminded_1"] == 1
    shop.deliver()
    assert [h["status"] for h in shop.history("cart-e")] == ["cancelled", "sent"]
    mails = shop.cart_emails_to(email)
    assert len(mails) == 1
    assert "Câble" in mails[0]["text"]


def test_order_without_cart_id_recovers_the_customers_reminded_cart(shop: Shop) -> None:
    shop.customer("farah")
    shop.abandon("cart-f", "farah", idle=3 * H)
    shop.sweep()
    shop.deliver()

    shop.order("order-f", "farah")  # the app did not link the cart

    cart = shop.cart("cart-f")
    assert (cart["status"], cart["recoveredOrderId"]) == ("converted", "order-f")


def test_cart_sweep_target_answers_its_summary_and_the_reminder_arrives(
    shop: Shop, functions: dict[str, str]
) -> None:
    """Over HTTP, as Cloud Scheduler calls it: the stack's cart_sweep process, its real Cloud
    Tasks queue, the deliver_notification process, the fake SMTP server."""
    email = shop.customer("gael")
    shop.abandon("cart-g", "gael", idle=3 * H)
    # (the stack's function processes keep no settings cache: this test's settings apply now)

    refused = requests.get(functions["cart_sweep"], timeout=30)
    response = requests.post(functions["cart_sweep"], json={}, timeout=60)

    assert refused.status_code == 405
    assert response.status_code == 200
    summary = response.json()
    assert (summary["due"], summary["reminded_1"], summary["failed"]) == (1, 1, 0)
    # settings, the cart, the customer (whose profile carries the proof of their opt-in,
    # replayed by the stack's on_consent_written: no ledger query)
    assert summary["reads"] == 3
    deadline = time.monotonic() + 30
    while not shop.cart_emails_to(email) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(shop.cart_emails_to(email)) == 1


def test_recovery_report_counts_reminded_recovered_revenue_and_messages(shop: Shop) -> None:
    for name in ("hana", "ivan"):
        shop.customer(name)
        shop.abandon(f"cart-{name}", name, idle=3 * H)
    shop.customer("jade", marketing=False)
    shop.abandon("cart-jade", "jade", idle=3 * H)
    shop.sweep()
    shop.deliver()
    shop.sweep(after=25 * H)
    shop.deliver()
    code = shop.cart("cart-hana")["discountCode"]
    shop.order("order-hana", "hana", cartId="cart-hana", discountCode=code, total=35.82)

    start, end = shop.now - H, shop.now + 2 * 24 * H
    report = recovery_report(shop.db, start, end)

    assert (report.carts_reminded, report.carts_recovered) == (2, 1)
    assert report.recovery_rate == 0.5
    assert report.revenue == {"EUR": 35.82}
    assert report.discount_codes_used == 1
    assert report.by_stage == {"cart.reminder_1": 3, "cart.reminder_2": 3}
    [email] = report.channels
    assert email.channel == "email"
    assert dict(email.statuses) == {"sent": 4, "skipped": 2}
    assert email.delivery_rate is None  # email reports no delivery: n/a, not 0 %

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.cart_report",
            "--from",
            f"{start:%Y-%m-%d}",
            "--to",
            f"{end:%Y-%m-%d}",
        ],
        env={**os.environ, "GOOGLE_CLOUD_PROJECT": shop.stack.config.project},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = cli.stdout.splitlines()
    assert any(line.split()[:3] == ["Carts", "recovered", "1"] for line in lines), cli.stdout
    assert any(line.split()[:3] == ["Recovery", "rate", "50.0%"] for line in lines), cli.stdout
    assert any(line.startswith("email ") for line in lines), cli.stdout


def test_order_event_delivered_three_times_at_once_recovers_once_and_codes_stay_single_use(
    shop: Shop,
) -> None:
    shop.customer("kofi")
    shop.abandon("cart-k", "kofi", idle=3 * H)
    shop.sweep()
    shop.deliver()
    shop.sweep(after=25 * H)
    shop.deliver()
    code = shop.cart("cart-k")["discountCode"]
    order = {"customerId": "kofi", "status": "placed", "total": 35.82, "currency": "EUR",
             "cartId": "cart-k", "discountCode": code}  # fmt: skip
    event = document_event("orders/order-k", None, order, event_id="evt-order-k")
    clients = [cloudevent_client("on_order_written") for _ in range(3)]

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda c: send_event(c, event).status_code, clients))
    first = shop.cart("cart-k")
    send_event(clients[0], event)  # and once more, later

    assert answers == [200, 200, 200]
    assert shop.cart("cart-k") == first
    assert (first["status"], first["recoveredOrderId"]) == ("converted", "order-k")
    redemptions = list(shop.db.collection("discount_redemptions").stream())
    assert [(r.id, r.to_dict()["orderId"]) for r in redemptions] == [(code, "order-k")]

    # Another order carrying the same code does not take it over.
    other = {**order, "cartId": "cart-other"}
    send_event(clients[0], document_event("orders/order-k2", None, other, event_id="evt-k2"))
    used = shop.db.collection("discount_codes").document(code).get().to_dict()
    assert used["orderId"] == "order-k"
