"""A Kenyan shop for the campaign tests, on the stack's emulator in a project of its own (no
trigger registered there: the test drives each step in process, as Cloud Tasks would) with the
stack's fake providers behind the real SDKs.

``Shop.customer`` writes a profile as the shop's app does and records its marketing proof per
channel as the counter does (``record_consent``); ``run_campaign`` plays the trigger, every
page, and the deliveries, with recording queues standing for Cloud Tasks.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from devstack.firestore import emulator
from devstack.stack import Stack
from shared.adapters.channels.senders import get_senders
from shared.flows.campaigns.monitor import Tick, monitor
from shared.flows.campaigns.plan import PageOutcome, plan_page
from shared.flows.campaigns.resume import resume_page
from shared.flows.campaigns.trigger import handle_campaign_change
from shared.flows.consent import record_consent
from shared.flows.consent_state import handle_consent_change
from shared.flows.deliver import Outcome, deliver
from shared.model.campaign import CampaignStep, StepKind
from shared.model.change import DocumentChange
from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.enums import Channel
from shared.platform.settings import get_settings
from shared.store.shop import clear_cache

KE_PREFIX = "+2547"
CONTENT = {
    "whatsapp": {
        "sw": {
            "metaName": "mega_sale",
            "metaLanguage": "sw",
            "contentSid": "HX0123456789abcdef0123456789abcdef",
            "variables": ["$customerName", "20%"],
            "preview": "Habari $customerName, punguzo la 20% wiki hii!",
        },
    },
    "sms": {"sw": "$shopName: punguzo la 20% wiki hii, $customerName!"},
}


@dataclass
class RecordingQueue:
    """Cloud Tasks for messages, recorded (thread-safe); ``take()`` hands out new tasks once."""

    calls: list[tuple[str, int, datetime | None]] = field(default_factory=list)
    taken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        with self.lock:
            self.calls.append((notification_id, generation, schedule_time))
        return f"{notification_id}-g{generation}"

    def take(self) -> list[tuple[str, int, datetime | None]]:
        with self.lock:
            new, self.taken = self.calls[self.taken :], len(self.calls)
        return new


@dataclass
class RecordingSteps:
    """Cloud Tasks for campaign steps, recorded; deduplicated by task name as Cloud Tasks does."""

    steps: list[tuple[str, CampaignStep, datetime | None]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue_step(
        self, task_id: str, body: Any, *, schedule_time: datetime | None = None
    ) -> str:
        with self.lock:
            if task_id not in self.names:
                self.names.add(task_id)
                self.steps.append((task_id, CampaignStep.from_body(body), schedule_time))
        return task_id

    def of(self, kind: StepKind) -> list[CampaignStep]:
        with self.lock:
            return [s for _, s, _ in self.steps if s.kind is kind]


@dataclass
class Shop:
    db: Any
    now: datetime
    queue: RecordingQueue = field(default_factory=RecordingQueue)
    steps: RecordingSteps = field(default_factory=RecordingSteps)
    phones: dict[str, str] = field(default_factory=dict)

    def settings(self, **fields: Any) -> None:
        self.db.collection("settings").document("notifications").set(
            {"shopName": "Duka la Simu", "quietHours": {}, **fields}
        )
        clear_cache()

    def customer(
        self,
        customer_id: str,
        *,
        channels: Iterable[Channel] = (Channel.WHATSAPP,),
        country: str = "KE",
        phone: str | None = None,
        **fields: Any,
    ) -> str:
        number = phone or f"{KE_PREFIX}{abs(hash(customer_id)) % 10**8:08d}"
        self.phones[customer_id] = number
        self.db.collection("customer_profiles").document(customer_id).set(
            {
                "displayName": customer_id.title(),
                "phoneNumber": number,
                "country": country,
                "language": "sw",
                "notificationPreferences": {
                    "marketingEnabled": True,
                    "whatsappEnabled": True,
                    "smsEnabled": True,
                },
                **fields,
            }
        )
        for channel in channels:
            event = record_consent(
                self.db,
                source=ConsentSource.COUNTER,
                channel=channel,
                purpose=ConsentPurpose.MARKETING,
                action=ConsentAction.OPT_IN,
                cause=f"counter-{customer_id}-{channel.value}",
                at=self.now - timedelta(days=20),
                to=number,
                customer_id=customer_id,
                recorded_by="staff-1",
            )
            self._written(event)
        return number

    def _written(self, event: ConsentEvent) -> None:
        """``on_consent_written`` for ``event``, as the stack's trigger runs it (this shop's
        project has no triggers): its customer's ``consentState`` replayed."""
        change = DocumentChange(
            event_id=f"ev-{uuid.uuid4().hex[:8]}",
            event_type="google.cloud.firestore.document.v1.written",
            path=f"consent_events/{event.event_id}",
            before=None,
            after=event.to_document(),
        )
        handle_consent_change(change, db=self.db, now=self.now)

    def opt_out(self, customer_id: str, channel: Channel, at: datetime) -> None:
        """A marketing opt-out recorded by our own flow (the preference page): it keeps the
        profile's state itself, with no trigger run."""
        record_consent(
            self.db,
            source=ConsentSource.PREFERENCE_PAGE,
            channel=channel,
            purpose=ConsentPurpose.MARKETING,
            action=ConsentAction.OPT_OUT,
            cause=f"prefs-{customer_id}-{uuid.uuid4().hex[:6]}",
            at=at,
            to=self.phones.get(customer_id),
            customer_id=customer_id,
        )

    def device_opt_out(
        self, customer_id: str, channel: Channel, at: datetime, *, trigger: bool
    ) -> None:
        """A marketing opt-out created from a device, as ``firestore.rules`` let staff record
        one at the counter: only ``on_consent_written`` keeps the state (``trigger``: it ran)."""
        doc = {
            "channel": channel.value,
            "purpose": "marketing",
            "action": "opt_out",
            "source": "counter",
            "customerId": customer_id,
            "to": self.phones.get(customer_id),
            "at": at,
            "recordedBy": "staff-1",
        }
        ref = self.db.collection("consent_events").document(f"dev-{uuid.uuid4().hex[:10]}")
        ref.set(doc)
        if trigger:
            self._written(ConsentEvent.from_document(ref.id, doc))

    def campaign(self, campaign_id: str, **fields: Any) -> dict[str, Any]:
        doc = {
            "name": "Mega sale",
            "purpose": "marketing",
            "status": "scheduled",
            "audience": {"country": "KE"},
            "channels": ["whatsapp"],
            "content": CONTENT,
            "settings": {"minSends": 5},
            **fields,
        }
        self.db.collection("campaigns").document(campaign_id).set(doc)
        return doc

    def without_state(self, *customer_ids: str) -> None:
        """Their profiles' ``consentState`` removed: profiles written before it existed."""
        for customer_id in customer_ids:
            self.db.collection("customer_profiles").document(customer_id).update(
                {"consentState": firestore.DELETE_FIELD}
            )

    def profile(self, customer_id: str) -> dict[str, Any]:
        return self.db.collection("customer_profiles").document(customer_id).get().to_dict() or {}

    def doc(self, campaign_id: str) -> dict[str, Any]:
        return self.db.collection("campaigns").document(campaign_id).get().to_dict() or {}

    def written(
        self, campaign_id: str, before: dict[str, Any] | None, *, event_id: str | None = None
    ) -> Any:
        """``on_campaign_written`` for the change from ``before`` to the document as it is
        (``event_id``: the same event again)."""
        change = DocumentChange(
            event_id=event_id or f"ev-{uuid.uuid4().hex[:8]}",
            event_type="google.cloud.firestore.document.v1.written",
            path=f"campaigns/{campaign_id}",
            before=before,
            after=self.doc(campaign_id),
        )
        return handle_campaign_change(change, db=self.db, steps=self.steps, now=self.now)

    def plan_all(self, *, page_size: int = 5) -> list[PageOutcome]:
        """Every plan step enqueued so far and those they enqueue, once each."""
        done: set[str] = set()
        outcomes: list[PageOutcome] = []
        while True:
            pending = [
                (n, s) for n, s, _ in list(self.steps.steps)
                if s.kind is StepKind.PLAN and n not in done
            ]  # fmt: skip
            if not pending:
                return outcomes
            for name, step in pending:
                done.add(name)
                outcomes.append(self.plan(step, page_size=page_size))

    def plan(self, step: CampaignStep, *, page_size: int = 5) -> PageOutcome:
        return plan_page(
            step,
            db=self.db,
            queue=self.queue,
            steps=self.steps,
            settings=get_settings(),
            now=self.now,
            page_size=page_size,
        )

    def resume_all(self) -> None:
        for step in self.steps.of(StepKind.RESUME):
            resume_page(step, db=self.db, queue=self.queue, steps=self.steps, now=self.now)

    def deliver(self, notification_id: str, *, now: datetime | None = None) -> Outcome:
        return deliver(
            notification_id,
            db=self.db,
            senders=get_senders(get_settings()),
            queue=self.queue,
            now=now or self.now,
        )

    def deliver_all(self, *, now: datetime | None = None) -> list[Outcome]:
        """Dispatch the message tasks enqueued since last time (those due by ``now``)."""
        outcomes: list[Outcome] = []
        for notification_id, _, _ in self.queue.take():
            outcomes.append(self.deliver(notification_id, now=now))
        return outcomes

    def monitor(self, *, now: datetime | None = None, campaign_id: str) -> Tick:
        tick = monitor(campaign_id, db=self.db, steps=self.steps, now=now or self.now)
        assert tick is not None
        return tick

    def history(self, campaign_id: str) -> list[dict[str, Any]]:
        from google.cloud.firestore import FieldFilter  # noqa: PLC0415

        query = self.db.collection("notification_history").where(
            filter=FieldFilter("campaignId", "==", campaign_id)
        )
        return [{"id": s.id, **(s.to_dict() or {})} for s in query.stream()]


_PROJECTS: set[str] = set()


def shop_on(stack: Stack, now: datetime | None = None) -> Shop:
    """A shop in a fresh project of the stack's emulator."""
    assert stack.firestore_host is not None
    project = f"demo-campaign-{uuid.uuid4().hex[:8]}"
    _PROJECTS.add(project)
    db = emulator.client_for(stack.firestore_host, project)
    shop = Shop(db=db, now=now or datetime.now(UTC).replace(microsecond=0))
    shop.settings()
    return shop


def drop_projects(stack: Stack) -> None:
    assert stack.firestore_host is not None
    for project in sorted(_PROJECTS):
        emulator.reset(stack.firestore_host, project)
    _PROJECTS.clear()
