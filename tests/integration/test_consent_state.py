"""The profile's ``consentState`` on the emulator: kept by ``on_consent_written`` through the
stack's Firestore triggers, idempotent under redelivery, never overwritten by an older replay,
and filled in by the backfill for profiles written before it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.firestore import emulator
from devstack.stack import Stack
from shared.flows.consent import opt_out_after_provider_refusal, record_consent
from shared.flows.consent_state import handle_consent_change, keep_consent_state
from shared.flows.inbound import handle_message
from shared.flows.inbound_consent import handle_preference
from shared.model.change import DocumentChange
from shared.model.consent import ConsentAction, ConsentPurpose, ConsentSource
from shared.model.enums import Channel, Provider
from shared.model.inbound import InboundMessage, PreferenceUpdate
from shared.model.record import NotificationRecord
from shared.platform.settings import get_settings
from shared.store import consent

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _event(
    customer_id: str | None, action: str, *, minutes: int = 0, to: str = ""
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "channel": "whatsapp",
        "purpose": "marketing",
        "action": action,
        "source": "counter",
        "to": to or "+254712000001",
        "at": NOW - timedelta(days=1) + timedelta(minutes=minutes),
    }
    if customer_id is not None:
        doc["customerId"] = customer_id
    return doc


def _state(db: Any, customer_id: str) -> dict[str, Any] | None:
    doc = db.collection("customer_profiles").document(customer_id).get().to_dict() or {}
    return doc.get("consentState")


def test_each_consent_event_written_keeps_its_customers_state(
    clean_stack: Stack, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    customer = f"wanjiku-{unique_id}"
    db.collection("customer_profiles").document(customer).set(
        {"displayName": "Wanjiku", "country": "KE", "notificationPreferences": {}}
    )
    events = db.collection("consent_events")
    events.document(f"in-{unique_id}").set(_event(customer, "opt_in"))
    assert clean_stack.flush_triggers(60)
    state = _state(db, customer)
    assert state is not None
    assert (state["marketing"], state["optedOut"], state["events"]) == (["whatsapp"], [], 1)

    events.document(f"out-{unique_id}").set(_event(customer, "opt_out", minutes=5))
    # A number's event names no customer; a stranger's customer has no profile to keep.
    events.document(f"num-{unique_id}").set(_event(None, "opt_out", to="+254712000002"))
    events.document(f"ghost-{unique_id}").set(_event(f"nobody-{unique_id}", "opt_in"))
    assert clean_stack.flush_triggers(60)
    state = _state(db, customer)
    assert state is not None
    assert (state["marketing"], state["events"]) == ([], 2)
    assert sorted(state["eventIds"]) == [f"in-{unique_id}", f"out-{unique_id}"]
    assert not db.collection("customer_profiles").document(f"nobody-{unique_id}").get().exists


@dataclass(frozen=True)
class Bare:
    """A project of the stack's emulator where no trigger runs."""

    db: Any
    host: str
    project: str

    def backfill(self) -> str:
        """``python -m scripts.consent_state`` as the shop runs it after the deploy: stderr."""
        done = subprocess.run(
            [sys.executable, "-m", "scripts.consent_state"],
            cwd=ROOT,
            env={
                **os.environ,
                "FIRESTORE_EMULATOR_HOST": self.host,
                "GOOGLE_CLOUD_PROJECT": self.project,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stderr


@pytest.fixture
def bare(stack: Stack) -> Iterator[Bare]:
    assert stack.firestore_host is not None
    project = f"demo-consent-state-{uuid.uuid4().hex[:8]}"
    yield Bare(emulator.client_for(stack.firestore_host, project), stack.firestore_host, project)
    emulator.reset(stack.firestore_host, project)


def _change(event_id: str, doc: dict[str, Any]) -> DocumentChange:
    return DocumentChange(
        event_id=f"ce-{event_id}",
        event_type="google.cloud.firestore.document.v1.written",
        path=f"consent_events/{event_id}",
        before=None,
        after=doc,
    )


def test_a_redelivered_event_is_recognised_and_an_older_replay_loses(bare: Bare) -> None:
    db = bare.db
    db.collection("customer_profiles").document("amani").set({"displayName": "Amani"})
    proof, withdrawal = _event("amani", "opt_in"), _event("amani", "opt_out", minutes=5)
    db.collection("consent_events").document("e1").set(proof)
    assert handle_consent_change(_change("e1", proof), db=db, now=NOW)["outcome"] == "written"
    assert handle_consent_change(_change("e1", proof), db=db, now=NOW)["outcome"] == "known"

    db.collection("consent_events").document("e2").set(withdrawal)
    first_read = [e for e in consent.of_customer(db, "amani") if e.event_id == "e1"]
    assert keep_consent_state(db, "amani", now=NOW, event_id="e2") == "written"
    # The trigger of e1, had it read the ledger before e2 landed, writes after e2's: it loses.
    assert keep_consent_state(db, "amani", now=NOW, events=first_read) == "unchanged"
    state = _state(db, "amani")
    assert state is not None
    assert (state["marketing"], state["events"]) == ([], 2)


def test_the_backfill_gives_every_profile_with_events_its_state(bare: Bare) -> None:
    db = bare.db
    profiles = db.collection("customer_profiles")
    for name in ("baraka", "chiku", "dalila"):
        profiles.document(name).set({"displayName": name.title()})
    events = db.collection("consent_events")
    events.document("b1").set(_event("baraka", "opt_in"))
    events.document("c1").set(_event("chiku", "opt_in"))
    events.document("c2").set(_event("chiku", "opt_out", minutes=3))
    events.document("z1").set(_event("zawadi", "opt_in"))  # no profile
    events.document("n1").set(_event(None, "opt_out"))  # a number only
    # chiku's state from before her withdrawal: replaced by the full replay.
    profiles.document("chiku").update(
        {"consentState": {"optedOut": [], "marketing": ["whatsapp"], "events": 1}}
    )

    said = bare.backfill()
    assert "3 customer(s) with consent events: 2 state(s) written, 1 without a profile" in said
    assert (_state(db, "baraka") or {}).get("marketing") == ["whatsapp"]
    assert (_state(db, "chiku") or {}).get("marketing") == []
    assert (_state(db, "chiku") or {}).get("events") == 2
    assert _state(db, "dalila") is None  # no events: the readers query (and find none)
    assert not profiles.document("zawadi").get().exists
    assert "0 state(s) written" in bare.backfill()  # again: nothing to write


def test_our_own_writers_keep_the_state_before_they_return(bare: Bare) -> None:
    """No trigger runs in this project: each flow that records an event for a customer keeps
    their state itself, so the live check at delivery reads it from the profile."""
    db = bare.db
    phone = "+254712000009"
    db.collection("customer_profiles").document("zawadi").set(
        {
            "displayName": "Zawadi",
            "phoneNumber": phone,
            "country": "KE",
            "notificationPreferences": {"marketingEnabled": True, "whatsappEnabled": True},
        }
    )

    def state() -> tuple[list[str], list[str], int]:
        kept = _state(db, "zawadi") or {}
        return kept.get("marketing", []), kept.get("optedOut", []), kept.get("events", 0)

    record_consent(
        db,
        source=ConsentSource.PREFERENCE_PAGE,
        channel=Channel.WHATSAPP,
        purpose=ConsentPurpose.MARKETING,
        action=ConsentAction.OPT_IN,
        cause="prefs-1",
        at=NOW,
        to=phone,
        customer_id="zawadi",
    )
    assert state() == (["whatsapp"], [], 1)
    settings = replace(get_settings(), default_country="KE")
    preference = PreferenceUpdate(wa_id=phone[1:], category="marketing_messages", value="stop")
    handled = handle_preference(db, preference, settings=settings, now=NOW + timedelta(minutes=1))
    assert handled.action == "marketing_opt_out"
    assert state() == ([], [], 2)
    stop = InboundMessage(
        provider=Provider.TWILIO,
        channel=Channel.SMS,
        message_id="SM" + "0" * 32,
        sender=phone,
        kind="text",
        text="STOP",
        opt_out_type="STOP",  # Twilio's Advanced Opt-Out confirmed it: no reply to queue
    )
    assert handle_message(db, stop, settings=settings, now=NOW + timedelta(minutes=2)).action
    assert state() == ([], ["sms"], 3)
    record = NotificationRecord.from_document(
        "n-1", {"channel": "whatsapp", "to": phone, "customerId": "zawadi", "status": "failed"}
    )
    opt_out_after_provider_refusal(db, record, "21610", now=NOW + timedelta(minutes=3))
    assert state() == ([], ["sms", "whatsapp"], 4)
    # Their trigger, run later, finds each event already counted.
    for event in consent.of_customer(db, "zawadi"):
        outcome = handle_consent_change(_change(event.event_id, event.to_document()), db=db)
        assert outcome["outcome"] == "known"
