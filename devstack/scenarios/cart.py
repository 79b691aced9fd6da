"""Demo scenario: an abandoned cart, two reminders, a purchase with the code, the report.

Wanjiku (Nairobi, email, marketing accepted on the registration form: the consent ledger holds
the proof) leaves two items in her cart. Cloud Scheduler's call to ``cart_sweep`` (over HTTP, on
the real clock) sends the first reminder; a day later (the demo runs the sweep with its clock 25
hours ahead) the second one brings a single-use code; she orders with it, the order's trigger
marks the cart recovered and the code used; then the shop owner's report for the period.

``run_cart_scenario(stack)`` runs it on a started ``devstack.stack.Stack`` and returns what
happened; ``say`` prints the narration (the demo passes its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from devstack.fakes.client import FakeProvidersClient
from devstack.scenarios.stop import _firestore, _wait
from devstack.stack import Stack
from shared.adapters.tasks import CloudTasksQueue
from shared.flows.carts.report import format_report, recovery_report
from shared.flows.carts.sweep import run_sweep
from shared.flows.consent import registration_opt_ins
from shared.model.enums import Channel
from shared.platform.settings import Settings

CUSTOMER_ID = "cust-wanjiku"
EMAIL = "wanjiku@example.co.ke"
CART_ID = "cart-wanjiku"
ORDER_ID = "O-7001"


@dataclass(frozen=True)
class CartResult:
    """What Wanjiku received and what the shop recorded."""

    sweep_summary: dict[str, Any]
    emails: list[tuple[str, str]]  # (subject, text) of what reached her inbox, in order
    code: str | None
    cart: dict[str, Any]
    code_doc: dict[str, Any]
    report: str


def run_cart_scenario(
    stack: Stack, *, db: Any = None, say: Callable[[str], None] = print, timeout: float = 30.0
) -> CartResult:
    """Run the scenario on a started stack; see the module docstring."""
    db = db if db is not None else _firestore(stack)
    fakes = FakeProvidersClient(str(stack.fakes.get("control_url") or ""))
    start = datetime.now(UTC).replace(microsecond=0)

    def emails() -> list[tuple[str, str]]:
        inbox = [m for m in fakes.emails() if EMAIL in m.get("rcpt_tos", [])]
        return [(str(m["subject"]), str(m["text"])) for m in inbox]

    settings_ref = db.collection("settings").document("notifications")
    if (settings_ref.get().to_dict() or {}).get("quietHours") != {}:
        settings_ref.set({"quietHours": {}}, merge=True)  # the demo runs at any hour
        # until every function process sees it (their settings cache age, 0 on the stack)
        time.sleep(float(stack.env.get("SHOP_SETTINGS_CACHE_SECONDS", "5")) + 0.5)

    say("Cart: Wanjiku (Nairobi, email, marketing accepted) left two items 3 hours ago")
    db.collection("customer_profiles").document(CUSTOMER_ID).set(
        {
            "displayName": "Wanjiku Kamau",
            "email": EMAIL,
            "country": "KE",
            "language": "en",
            "notificationPreferences": {"marketingEnabled": False},
        }
    )
    # She ticked "send me offers by email" when she signed up: the registration records it in
    # the consent ledger with the version of the form's text (the proof marketing needs).
    registration_opt_ins(
        db,
        customer_id=CUSTOMER_ID,
        contacts={Channel.EMAIL: EMAIL},
        text_version="signup-offers-2026-01",
        submission_id=f"signup-{CUSTOMER_ID}",
        at=start - timedelta(days=40),
    )
    db.collection("carts").document(CART_ID).set(
        {
            "customerId": CUSTOMER_ID,
            "items": [
                {"sku": "KIT-01", "name": "Kikoi beach towel", "quantity": 2, "price": 1800},
                {"sku": "MUG-02", "name": "Kenyan coffee mug", "quantity": 1, "price": 900},
            ],
            "total": 4500,
            "currency": "KES",
            "status": "active",
            "updatedAt": start - timedelta(hours=3),
        }
    )
    stack.flush_triggers(timeout)

    say("Cloud Scheduler calls cart_sweep: the first reminder goes out")
    response = requests.post(stack.urls["cart_sweep"], json={}, timeout=60)
    response.raise_for_status()
    summary = dict(response.json())
    say(
        f"cart_sweep answered: {summary['due']} due, {summary['reminded_1']} first reminder, "
        f"{summary['reads']} documents read"
    )
    _wait(emails, timeout)

    say("A day later (the sweep's clock 25 hours ahead): the second reminder, with a code")
    settings = Settings.from_env(stack.env)
    run_sweep(
        db=db,
        queue=CloudTasksQueue(settings.tasks),
        now=datetime.now(UTC) + timedelta(hours=25),
        settings=settings,
    )
    stack.flush_triggers(timeout)
    _wait(lambda: len(emails()) >= 2, timeout)
    code = (db.collection("carts").document(CART_ID).get().to_dict() or {}).get("discountCode")

    say(f"Wanjiku orders with the code {code}")
    db.collection("orders").document(ORDER_ID).set(
        {
            "customerId": CUSTOMER_ID,
            "cartId": CART_ID,
            "discountCode": code,
            "status": "placed",
            "paymentStatus": "paid",
            "total": 4050,
            "currency": "KES",
        }
    )
    stack.flush_triggers(timeout)
    cart = _wait(
        lambda: (
            (db.collection("carts").document(CART_ID).get().to_dict() or {}).get("recoveredOrderId")
            and db.collection("carts").document(CART_ID).get().to_dict()
        ),
        timeout,
    )
    code_doc = db.collection("discount_codes").document(str(code)).get().to_dict() or {}

    report = format_report(
        recovery_report(db, start - timedelta(days=1), start + timedelta(days=2))
    )
    say("The shop owner's report:\n" + report)
    fakes.close()
    return CartResult(summary, emails(), code, dict(cart or {}), code_doc, report)
