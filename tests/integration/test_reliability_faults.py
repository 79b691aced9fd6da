"""Providers failing the way providers fail: every notification still ends sent or failed, once.

The fake providers inject, on every provider this deployment sends through (Twilio SMS and
WhatsApp, SMTP, FCM): a burst of failures (each provider's first sends: a timeout, a 429, then
outages; again mid-run), and then, of all sends, 30% outages (HTTP 503, SMTP 421), 10% timeouts
(the fake hangs past the adapters' timeout, without taking the message) and 5% throttling
(HTTP 429, SMTP 452), from seeded draws. One number is refused all along: its notifications
use up their attempts and end failed.

Delivery runs in this process with senders whose timeout is short (the stack's function processes
wait 10 seconds), and the test drives the retries itself, round after round, as Cloud Tasks would
redeliver each task the function answered 429/5xx (without the backoff, within the queue's
attempt budget, ``shared.platform.queues.NOTIFICATIONS_QUEUE.max_attempts``). Events are handled in
process too, through the real Eventarc decoding and trigger handlers, with a recording queue.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any

import pytest
import requests
from cloudevents.http import from_http

from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from functions.boundary import cloudevents
from shared.adapters.channels.factory import Senders
from shared.flows.deliver import deliver
from shared.flows.notify import handle_order_change, handle_ticket_change
from shared.platform.queues import NOTIFICATIONS_QUEUE
from shared.platform.settings import Settings
from tests.support.cloudevents import document_event

pytestmark = pytest.mark.integration

PER_KIND = 8  # customers of each of 4 kinds, 2 events each: 80 notifications
TIMEOUT = 0.5  # the adapters' provider timeout in this test (PROVIDER_TIMEOUT_SECONDS)
HANG = 1.5  # how long a "timeout" fault keeps the request unanswered
BURST = 6  # sends failed in a row per provider, at the start and again mid-run
# provider -> (outage, throttled): the provider's own way of saying each
FAILS = {"twilio": (503, 429), "smtp": (421, 452), "fcm": (503, 429)}


def fault_rules(seed: int, *, burst: bool, down: str) -> list[dict[str, Any]]:
    """First matching rule that fires wins, so the draws are conditioned to give 30% outages,
    10% timeouts and 5% throttling of all sends. Twilio is down for one number all along."""
    rules: list[dict[str, Any]] = [
        {"provider": "twilio", "action": "error", "status": 503, "to": down, "times": 10**6}
    ]
    for n, (provider, (outage, throttled)) in enumerate(FAILS.items()):
        if burst:  # a timeout, a refusal to go faster, then an outage: the first sends
            rules += [
                {"provider": provider, "action": "timeout", "delay": HANG, "times": 1},
                {"provider": provider, "action": "error", "status": throttled, "times": 1},
                {"provider": provider, "action": "error", "status": outage, "times": BURST},
            ]
        rules += [
            {
                "provider": provider,
                "action": "error",
                "status": outage,
                "probability": 0.30,
                "seed": seed + 10 * n,
            },
            {
                "provider": provider,
                "action": "timeout",
                "delay": HANG,
                "probability": 0.10 / 0.70,
                "seed": seed + 10 * n + 1,
            },
            {
                "provider": provider,
                "action": "error",
                "status": throttled,
                "probability": 0.05 / (0.70 * (1 - 0.10 / 0.70)),
                "seed": seed + 10 * n + 2,
            },
        ]
    return rules


def fired(control_url: str) -> Counter[tuple[str, str, int | None]]:
    """How often each kind of fault fired, per provider, for the rules in place (not counting
    the rule for the one number that is always refused)."""
    rules = requests.get(f"{control_url}/faults", timeout=10).json()
    counts: Counter[tuple[str, str, int | None]] = Counter()
    for rule in (r for r in rules if not r["to"]):
        counts[(rule["provider"], rule["action"], rule["status"])] += rule["fired"]
    return counts


class Tasks:
    """Cloud Tasks as the test drives it: every enqueued notification is delivered again until
    it is final."""

    def __init__(self) -> None:
        self.enqueued: list[str] = []

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        self.enqueued.append(notification_id)
        return f"{notification_id}-{generation}"


def seed_customers(db: Any, tag: str, down: str) -> list[tuple[str, int]]:
    """Customers of four kinds, and one whose number Twilio never takes; (customer id,
    notifications per event) for each."""
    base = int(tag[:6], 16) % 10**5
    customers = [(f"down-{tag}", 1)]
    batch = db.batch()
    batch.set(
        db.collection("customer_profiles").document(f"down-{tag}"),
        {"phoneNumber": down, "notificationPreferences": {"smsEnabled": True}},
    )
    for i in range(PER_KIND):
        kinds: dict[str, tuple[dict[str, Any], int]] = {
            f"sms-{tag}-{i}": (
                {
                    "phoneNumber": f"+3361{base:05d}{i:02d}",
                    "notificationPreferences": {"smsEnabled": True},
                },
                1,
            ),
            f"em-{tag}-{i}": ({"email": f"eve{i}.{tag}@example.fr"}, 1),
            f"ew-{tag}-{i}": (
                {
                    "email": f"emma{i}.{tag}@example.fr",
                    "phoneNumber": f"+3362{base:05d}{i:02d}",
                    "notificationPreferences": {"whatsappEnabled": True},
                },
                2,
            ),
            f"push-{tag}-{i}": ({"fcmTokens": [f"token-{tag}-{i}"]}, 1),
        }
        for customer_id, (fields, per_event) in kinds.items():
            profile = {"displayName": f"Client {i}", "country": "FR", "language": "fr", **fields}
            batch.set(db.collection("customer_profiles").document(customer_id), profile)
            customers.append((customer_id, per_event))
    batch.commit()
    return customers


def test_every_notification_ends_sent_or_failed_once_through_outages_timeouts_and_throttling(
    clean_stack: Stack,
    stack_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    tag = unique_id[:8]
    templates = {
        key: {"contentSid": f"HX{n:032d}"}
        for n, key in enumerate(("ticket.received", "order.placed"))
    }
    db.collection("settings").document("notifications").set(
        {"quietHours": {}, "whatsappTemplates": templates}
    )
    down = f"+3364{int(tag[:6], 16) % 10**5:05d}99"
    customers = seed_customers(db, tag, down)
    tasks = Tasks()
    fakes.set_faults(fault_rules(7, burst=True, down=down))

    # The events: a ticket received and an order placed for each customer, through Eventarc's
    # encoding and the real handlers (the queue is the test's).
    for customer_id, _ in customers:
        for path, handler, doc in (
            (f"tickets/T-{customer_id}", handle_ticket_change, {"status": "received"}),
            (f"orders/O-{customer_id}", handle_order_change, {"status": "placed", "total": 20}),
        ):
            event = document_event(
                path, None, {"customerId": customer_id, **doc}, project=db.project
            )
            handled = cloudevents.run(
                from_http(*event.binary()), partial(handler, db=db, queue=tasks)
            )
            assert handled is not None
            assert "failed" not in handled, handled
    expected = 2 * sum(per_event for _, per_event in customers)
    assert len(set(tasks.enqueued)) == expected

    # Cloud Tasks' part: deliver every task; deliver again each one answered 429/5xx.
    senders = Senders(Settings.from_env(), timeout=TIMEOUT)
    control = str(clean_stack.fakes["control_url"])
    faults: Counter[tuple[str, str, int | None]] = Counter()
    outcomes: Counter[str] = Counter()
    pending = sorted(set(tasks.enqueued))
    rounds = 0
    with ThreadPoolExecutor(16) as pool:
        while pending and rounds < NOTIFICATIONS_QUEUE.max_attempts + 2:
            if rounds == 2:  # the second outage, mid-run
                faults += fired(control)
                fakes.set_faults(fault_rules(70, burst=True, down=down))
            retry = rounds

            def attempt(nid: str, retry: int = retry) -> tuple[str, int, str]:
                out = deliver(nid, db=db, senders=senders, queue=tasks, task_retry_count=retry)
                return nid, out.http_status, out.outcome

            again = []
            for nid, status, outcome in pool.map(attempt, pending):
                outcomes[outcome] += 1
                if status >= 300 or outcome == "in_progress":
                    again.append(nid)
            known = set(pending) | set(tasks.enqueued)  # fallbacks enqueue new notifications
            done = {
                r.id
                for r in db.collection("notification_history").get()
                if (r.to_dict() or {}).get("status") in {"sent", "failed", "skipped"}
            }
            pending = sorted(set(again) | (known - done))
            rounds += 1
    assert pending == [], (rounds, outcomes)

    rows = [
        {"id": s.id, **(s.to_dict() or {})} for s in db.collection("notification_history").get()
    ]
    # None lost: every planned notification is there, and final: sent, or failed with a reason.
    assert len(rows) == expected
    assert Counter(r["status"] for r in rows if r["status"] not in {"sent", "failed"}) == Counter()
    for row in (r for r in rows if r["status"] == "failed"):
        assert row["statusReason"], row
        assert row["errorMessage"], row
    # The number Twilio never took: its attempts are bounded by the queue's, then it failed.
    gave_up = [r for r in rows if r.get("to") == down]
    assert len(gave_up) == 2  # its ticket's and its order's
    for row in gave_up:
        assert (row["status"], row["statusReason"]) == ("failed", "retries_exhausted")
        assert (row["attempts"], row["errorCode"]) == (NOTIFICATIONS_QUEUE.max_attempts, "20503")
    # Every kind of fault happened, on every provider.
    faults += fired(control)
    kinds: set[tuple[str, str, int | None]] = {(p, "timeout", None) for p in FAILS}
    kinds |= {(p, "error", outage) for p, (outage, _) in FAILS.items()}
    kinds |= {(p, "error", throttled) for p, (_, throttled) in FAILS.items()}
    assert {k for k, n in faults.items() if n} == kinds, faults
    assert outcomes["retry"] > 0
    # None twice: each provider accepted each sent notification's message exactly once.
    sent = [r for r in rows if r["status"] == "sent"]
    recorded = Counter((r["provider"], str(r["providerMessageId"])) for r in sent)
    accepted = Counter(
        [
            ("twilio", r["message_id"])
            for r in fakes.requests("twilio")
            if r.get("method") == "POST" and r.get("status") == 201
        ]
        + [("fcm", r["message_id"]) for r in fakes.requests("fcm") if r.get("status") == 200]
        + [("smtp", str(e["message_id"])) for e in fakes.emails()]
    )
    assert {k: n for k, n in accepted.items() if n > 1} == {}
    assert accepted == recorded
    # Attempts are counted: a notification that needed retries says so.
    assert max(int(r["attempts"]) for r in rows) > 1
