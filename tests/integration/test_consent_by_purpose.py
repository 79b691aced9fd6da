"""Consent by purpose (issue 15) on the local stack: the walk-in hears their phone is ready, a
walk-in's STOP is honoured for service too, marketing without proof is skipped saying so, and
the ledger exports as CSV from the real emulator."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from devstack.config import ROOT
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.flows.consent import record_consent, registration_opt_ins
from shared.model.consent import ConsentAction, ConsentPurpose, ConsentSource
from shared.model.enums import Channel
from tests.integration.cart_kit import Shop
from tests.integration.webhook_kit import Webhooks, national, unique_mobile, webhooks
from tests.support.wait import wait_for

__all__ = ["webhooks"]  # the fixture, imported so pytest finds it

pytestmark = pytest.mark.integration
FINAL = {"sent", "delivered", "read", "failed", "skipped", "cancelled", "undelivered"}
H = timedelta(hours=1)


def _history(db: Any, ticket_id: str) -> dict[str, dict[str, Any]]:
    query = db.collection("notification_history").where(
        filter=FieldFilter("ticketId", "==", ticket_id)
    )
    return {str(d.get("type")): d.to_dict() or {} for d in query.get()}


def _settled(db: Any, ticket_id: str, *types: str) -> dict[str, dict[str, Any]]:
    def ready() -> dict[str, dict[str, Any]]:
        rows = _history(db, ticket_id)
        done = all(rows.get(t, {}).get("status") in FINAL for t in types)
        return rows if done else {}

    return wait_for(ready, timeout=30, message=f"{types} settled for {ticket_id}")


def _sms_to(fakes: FakeProvidersClient, number: str) -> list[str]:
    return [
        str(r["params"].get("Body", ""))
        for r in fakes.requests("twilio")
        if r.get("method") == "POST"
        and r.get("status") == 201
        and str(r["params"].get("To", "")) == number
    ]


@pytest.fixture
def shop_settings(firestore_client: Any) -> None:
    """Any hour of the test run: no quiet hours (the walk-in's messages are service)."""
    firestore_client.collection("settings").document("notifications").set(
        {"quietHours": {}, "shopName": "Atelier Phone Paris"}
    )


@pytest.mark.usefixtures("shop_settings")
def test_walk_in_gets_the_completed_sms_and_the_pickup_reminder_is_scheduled(
    firestore_client: Any, fakes: FakeProvidersClient, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    ticket_id = f"T-{unique_id}"
    ticket = firestore_client.collection("tickets").document(ticket_id)
    ticket.set(
        {"clientName": "Awa", "clientPhone": national(phone), "device": "iPhone 12",
         "status": "received"}
    )  # fmt: skip
    _settled(firestore_client, ticket_id, "ticket.received")
    ticket.update({"status": "completed"})

    rows = _settled(firestore_client, ticket_id, "ticket.received", "ticket.completed")
    completed = rows["ticket.completed"]
    assert (completed["channel"], completed["status"], completed["to"]) == ("sms", "sent", phone)
    assert completed["purpose"] == "service"
    assert completed["metadata"]["segments"] == 1
    reminder: dict[str, Any] = wait_for(
        lambda: _history(firestore_client, ticket_id).get("ticket.pickup_reminder", {}),
        message="the pickup reminder",
    )
    assert (reminder["channel"], reminder["status"]) == ("sms", "scheduled")
    assert reminder["scheduledFor"] > datetime.now(UTC) + timedelta(days=2)
    texts = _sms_to(fakes, phone)
    assert len(texts) == 2  # the welcome with its link, then "repaired"
    assert any("iPhone 12" in text for text in texts)


@pytest.mark.usefixtures("shop_settings")
def test_walk_in_stop_is_honoured_for_their_service_sms_too(
    firestore_client: Any, fakes: FakeProvidersClient, webhooks: Webhooks, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    ticket_id = f"T-{unique_id}"
    ticket = firestore_client.collection("tickets").document(ticket_id)
    ticket.set({"clientName": "Awa", "clientPhone": phone, "status": "received"})
    _settled(firestore_client, ticket_id, "ticket.received")

    assert webhooks.sms(phone, "STOP").status_code == 200  # no profile, no client record
    [event] = [
        s.to_dict()
        for s in firestore_client.collection("consent_events")
        .where(filter=FieldFilter("to", "==", phone))
        .get()
    ]
    assert (event["channel"], event["purpose"], event["action"], event["source"]) == (
        "sms",
        "all",
        "opt_out",
        "keyword",
    )
    ticket.update({"status": "completed"})

    rows = _settled(firestore_client, ticket_id, "ticket.completed")
    assert (rows["ticket.completed"]["status"], rows["ticket.completed"]["statusReason"]) == (
        "skipped",
        "opted_out",
    )
    assert "ticket.pickup_reminder" not in rows or rows["ticket.pickup_reminder"]["status"] in {
        "skipped",
        "cancelled",
    }
    assert not [t for t in _sms_to(fakes, phone) if "réparé" in t]  # only the welcome went


@pytest.fixture
def shop(stack_env: dict[str, str], firestore_client: Any, fakes: FakeProvidersClient,
         clean_stack: Stack) -> Shop:  # fmt: skip
    return Shop(clean_stack, firestore_client, fakes)


def test_marketing_without_proof_is_skipped_with_its_reason(shop: Shop) -> None:
    # marketingEnabled switched on in the profile (the app may write it), but no consent event.
    shop.db.collection("customer_profiles").document("bare").set(
        {"email": "bare@example.com", "notificationPreferences": {"marketingEnabled": True}}
    )
    shop.abandon("cart-bare", "bare", idle=3 * H)
    proven = shop.customer("proven")
    shop.abandon("cart-proven", "proven", idle=3 * H)

    summary = shop.sweep()
    shop.deliver()

    assert summary["reminded_1"] == 2
    [bare] = shop.history("cart-bare")
    assert (bare["status"], bare["statusReason"], bare["purpose"]) == (
        "skipped",
        "marketing_consent_not_recorded",
        "marketing",
    )
    assert shop.emails_to("bare@example.com") == []
    [sent] = shop.history("cart-proven")
    assert (sent["status"], sent["purpose"]) == ("sent", "marketing")
    assert len(shop.cart_emails_to(proven)) == 1


def _export(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m scripts.consent_export`` as a shop owner runs it, on the stack's emulator."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.consent_export", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


COLUMNS = ["at", "customerId", "clientId", "channel", "purpose", "action", "source", "keyword",
           "textVersion", "to", "provider", "eventId"]  # fmt: skip


def test_the_consent_ledger_exports_as_csv_for_one_customer_or_the_shop(
    firestore_client: Any, webhooks: Webhooks, stack_env: dict[str, str], unique_id: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    db = firestore_client
    customer_id = f"c-{unique_id}"
    phone = unique_mobile(unique_id)
    at = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    assert webhooks.sms(phone, "STOP").status_code == 200  # before they registered
    db.collection("customer_profiles").document(customer_id).set(
        {"phoneNumber": phone, "email": f"{unique_id}@example.fr", "country": "FR"}
    )
    registration_opt_ins(
        db,
        customer_id=customer_id,
        contacts={Channel.EMAIL: f"{unique_id}@example.fr", Channel.SMS: phone},
        text_version="signup-offers-v2",
        submission_id=f"form-{unique_id}",
        at=at,
    )
    record_consent(
        db,
        source=ConsentSource.COUNTER,
        channel=Channel.SMS,
        purpose=ConsentPurpose.MARKETING,
        action=ConsentAction.OPT_OUT,
        cause=f"counter-{unique_id}",
        at=at + timedelta(days=3),
        to=phone,
        customer_id=customer_id,
        recorded_by="staff-1",
    )
    other = unique_mobile(unique_id[::-1])
    assert webhooks.sms(other, "ARRET").status_code == 200  # someone else
    prefs = db.collection("customer_profiles").document(customer_id).get().to_dict()
    assert prefs["notificationPreferences"]["marketingEnabled"] is True

    out = tmp_path / "ledger.csv"
    _export(stack_env, "--customer", customer_id, "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [(r["channel"], r["purpose"], r["action"], r["source"]) for r in rows] == [
        ("email", "marketing", "opt_in", "registration_form"),
        ("sms", "marketing", "opt_in", "registration_form"),
        ("sms", "marketing", "opt_out", "counter"),
        ("sms", "all", "opt_out", "keyword"),  # texted today, after the seeded dates
    ]
    assert {r["textVersion"] for r in rows[:2]} == {"signup-offers-v2"}
    assert rows[0]["to"] == f"{unique_id}@example.fr"
    assert rows[3]["to"] == phone
    assert rows[3]["keyword"] == "STOP"
    assert rows[0]["at"] == at.isoformat()
    assert list(rows[0]) == COLUMNS

    printed = _export(stack_env)
    every = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert len(every) == 5
    assert {r["to"] for r in every} >= {phone, other}
    assert "5 consent event(s)" in printed.stderr
