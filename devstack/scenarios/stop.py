"""Demo scenario: a customer texts STOP, then gets no more SMS.

Lucie (SMS only) leaves a phone for repair and gets the "received" SMS; she texts ``STOP`` to
the shop's number (a signed Twilio webhook, over HTTP, to the stack's ``twilio_inbound``); she
gets one confirmation; when her repair is done, the "completed" SMS is not sent.

``run_stop_scenario(stack)`` runs it on a started ``devstack.stack.Stack`` and returns what
happened; ``say`` prints the narration (the demo passes its own).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from devstack.config import FAKE_CREDENTIALS
from devstack.fakes.client import FakeProvidersClient
from devstack.fakes.signing import TWILIO_SIGNATURE_HEADER, twilio_signature
from devstack.stack import Stack

CUSTOMER_ID = "cust-lucie"
TICKET_ID = "T-3001"
PHONE_TYPED = "06 11 22 33 44"
PHONE = "+33611223344"


@dataclass(frozen=True)
class StopResult:
    """What Lucie's phone received, and what became of the message after STOP."""

    sms_before_stop: list[str]
    confirmation: str | None
    sms_after_stop: list[str]
    completed_status: str | None
    completed_reason: str | None


@contextlib.contextmanager
def _emulator_env(host: str) -> Iterator[None]:
    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved


def _firestore(stack: Stack) -> Any:
    from google.cloud import firestore  # noqa: PLC0415

    assert stack.firestore_host, "the stack runs no Firestore emulator"
    with _emulator_env(stack.firestore_host):
        return firestore.Client(project=stack.config.project)


def _wait(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.2)
        value = predicate()
    return value


def text_the_shop(stack: Stack, sender: str, body: str) -> requests.Response:
    """An inbound SMS as Twilio posts it: a form signed over the webhook's URL."""
    url = stack.urls["twilio_inbound"]
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
        "From": sender,
        "To": FAKE_CREDENTIALS["TWILIO_SMS_FROM"],
        "Body": body,
        "NumMedia": "0",
    }
    signature = twilio_signature(FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"], url, params)
    return requests.post(
        url,
        data=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            TWILIO_SIGNATURE_HEADER: signature,
        },
        timeout=30,
    )


def run_stop_scenario(
    stack: Stack, *, db: Any = None, say: Callable[[str], None] = print, timeout: float = 30.0
) -> StopResult:
    """Run the scenario on a started stack; see the module docstring."""
    db = db if db is not None else _firestore(stack)
    fakes = FakeProvidersClient(str(stack.fakes.get("control_url") or ""))

    def sms_to_lucie() -> list[str]:
        return [str(m.get("body")) for m in fakes.messages("twilio") if m.get("to") == PHONE]

    say("STOP: Lucie (SMS only) leaves her Galaxy S21 for repair")
    db.collection("settings").document("notifications").set({"quietHours": {}}, merge=True)
    db.collection("customer_profiles").document(CUSTOMER_ID).set(
        {
            "displayName": "Lucie Bernard",
            "phoneNumber": PHONE_TYPED,
            "country": "FR",
            "language": "fr",
            "notificationPreferences": {"smsEnabled": True, "emailEnabled": False},
        }
    )
    ticket = db.collection("tickets").document(TICKET_ID)
    ticket.set({"customerId": CUSTOMER_ID, "device": "Galaxy S21", "status": "received"})
    before = list(_wait(sms_to_lucie, timeout) or [])

    say("Lucie texts STOP to the shop's number")
    response = text_the_shop(stack, PHONE, "STOP")
    response.raise_for_status()
    confirmations = _wait(lambda: [b for b in sms_to_lucie() if "START" in b], timeout)
    confirmation = confirmations[0] if confirmations else None

    say("The repair is done: the ticket moves to completed (no SMS should follow)")
    ticket.update({"status": "completed"})
    stack.flush_triggers(timeout)

    def completed() -> dict[str, Any] | None:
        for snapshot in db.collection("notification_history").stream():
            doc = snapshot.to_dict() or {}
            final = doc.get("status") not in {"pending", "scheduled", "sending"}
            if doc.get("ticketId") == TICKET_ID and doc.get("type") == "ticket.completed" and final:
                return doc
        return None

    done = _wait(completed, timeout) or {}
    after = [b for b in sms_to_lucie() if b not in before and b != confirmation]
    fakes.close()
    return StopResult(
        sms_before_stop=before,
        confirmation=confirmation,
        sms_after_stop=after,
        completed_status=done.get("status"),
        completed_reason=done.get("statusReason"),
    )
