"""WhatsApp contacts as Meta really sends them (issue 14), end to end on the stack: a paused
template falls back as a missing one does; users known only by their business-scoped user id
(BSUID) are kept, opted out and reached; edits and deletions reach the stored message and the
staff inbox; a changed number moves the customer's WhatsApp identity.

Webhooks are signed and posted to ``meta_webhook`` in process (``tests.integration.webhook_kit``);
planning (``handle_ticket_change``) and delivery (``deliver``) run in process too, with
``WHATSAPP_PROVIDER=meta``, against the stack's emulator and its fake Meta and Twilio.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fakes import FakeProvidersClient
from shared.adapters.channels.factory import Senders
from shared.flows.deliver import deliver
from shared.flows.notify import handle_ticket_change
from shared.model.change import DocumentChange
from shared.platform.settings import Settings, get_settings
from shared.store.shop import clear_cache
from tests.integration.webhook_kit import seed_profile, unique_mobile


@dataclass
class Queue:
    """The Cloud Tasks boundary, recorded; ``take()`` hands out new tasks once."""

    calls: list[str] = field(default_factory=list)
    taken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        with self.lock:
            if schedule_time is None or schedule_time <= datetime.now(UTC) + timedelta(minutes=1):
                self.calls.append(notification_id)
        return f"{notification_id}-{generation}"

    def take(self) -> list[str]:
        with self.lock:
            new, self.taken = self.calls[self.taken :], len(self.calls)
        return new


@pytest.fixture
def meta_env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The stack's environment with Meta carrying WhatsApp."""
    monkeypatch.setenv("WHATSAPP_PROVIDER", "meta")
    get_settings.cache_clear()
    return {**stack_env, "WHATSAPP_PROVIDER": "meta"}


def no_quiet_hours(db: Any, **settings: Any) -> None:
    db.collection("settings").document("notifications").set({"quietHours": {}, **settings})
    clear_cache()


def complete_ticket(db: Any, queue: Queue, ticket_id: str, customer_id: str) -> list[str]:
    """The shop marks a repair completed: planned in process, the due tasks handed out."""
    before = {"customerId": customer_id, "status": "in_repair", "device": "iPhone 12"}
    after = {**before, "status": "completed"}
    db.collection("tickets").document(ticket_id).set(after)
    change = DocumentChange(
        event_id=f"ev-{ticket_id}",
        event_type="google.cloud.firestore.document.v1.written",
        path=f"tickets/{ticket_id}",
        before=before,
        after=after,
        time=datetime.now(UTC),
    )
    handle_ticket_change(change, db=db, queue=queue)
    return queue.take()


def run_deliveries(db: Any, queue: Queue, ids: list[str]) -> list[dict[str, Any]]:
    """Deliver ``ids`` and whatever fallback they enqueue, as Cloud Tasks would."""
    senders = Senders(Settings.from_env())
    outcomes = []
    pending = list(ids)
    while pending:
        nid = pending.pop(0)
        outcomes.append(deliver(nid, db=db, senders=senders, queue=queue).body(nid))
        pending += queue.take()
    return outcomes


def record(db: Any, notification_id: str) -> dict[str, Any]:
    return dict(db.collection("notification_history").document(notification_id).get().to_dict())


def messages_of(db: Any, conversation: str) -> list[dict[str, Any]]:
    ref = db.collection("conversations").document(conversation).collection("messages")
    return [dict(s.to_dict()) | {"_id": s.id} for s in ref.stream()]


# --- a paused template falls back as a missing one -----------------------------------------


def test_a_paused_template_is_not_sent_and_the_sms_fallback_goes(
    meta_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    name = "ticket_done_" + unique_id[:8]
    no_quiet_hours(db, whatsappTemplates={"ticket.completed": {"metaName": name,
                                                               "metaLanguage": "fr"}})  # fmt: skip
    db.collection("whatsapp_template_status").document(f"{name}_fr").set(
        {"name": name, "language": "fr", "status": "PAUSED", "statusAt": datetime.now(UTC)}
    )
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(db, customer_id, phone)  # no email, WhatsApp and SMS on, no recent message
    queue = Queue()
    planned = complete_ticket(db, queue, "T-" + unique_id, customer_id)
    [whatsapp] = [n for n in planned if record(db, n)["channel"] == "whatsapp"]
    outcomes = run_deliveries(db, queue, planned)

    failed = record(db, whatsapp)
    assert (failed["status"], failed["statusReason"], failed["errorCode"]) == (
        "failed",
        "template",
        "template_paused",
    )
    assert name in failed["errorMessage"]
    assert fakes.requests("meta") == []  # Meta was never asked to send a paused template
    fallback = record(db, failed["fallbackId"])
    assert (fallback["channel"], fallback["to"], fallback["status"]) == ("sms", phone, "sent")
    assert [m["to"] for m in fakes.messages("twilio")] == [phone]
    assert {o["outcome"] for o in outcomes} == {"failed", "sent"}


def test_an_approved_template_is_sent(
    meta_env: dict[str, str],
    firestore_client: Any,
    fakes: FakeProvidersClient,
    unique_id: str,
) -> None:
    db = firestore_client
    name = "ticket_done_" + unique_id[:8]
    no_quiet_hours(db, whatsappTemplates={"ticket.completed": {"metaName": name,
                                                               "metaLanguage": "fr"}})  # fmt: skip
    db.collection("whatsapp_template_status").document(f"{name}_fr").set(
        {"name": name, "language": "fr", "status": "APPROVED", "statusAt": datetime.now(UTC)}
    )
    phone = unique_mobile(unique_id)
    customer_id = "c-" + unique_id
    seed_profile(db, customer_id, phone)
    queue = Queue()
    planned = complete_ticket(db, queue, "T-" + unique_id, customer_id)
    run_deliveries(db, queue, planned)
    [sent] = fakes.messages("meta")
    assert (sent["type"], sent["template"]["name"]) == ("template", name)
