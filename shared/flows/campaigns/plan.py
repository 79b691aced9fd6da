"""One page of a campaign's audience: profiles read, recipients decided, messages created once
and enqueued on the ``campaigns`` queue, then the next page enqueued.

Reads per recipient: the profile (the page's query), which carries the customer's replayed
ledger (``consentState``; for a profile without one, its events, ``in`` queries of 30).
Writes: one batched commit of the page's history documents. A page run twice (a task
redelivered, two chains after a resume) finds its documents and creates nothing twice; its
tasks are enqueued again, harmlessly (delivery claims its work). The page stops without
planning when the campaign is no longer running (paused: resuming goes on from the cursor kept
in ``planning``) or the run was superseded by a resume.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.campaign_tasks import StepQueue
from shared.adapters.tasks import TaskQueue, get_queue
from shared.flows.campaigns.steps import enqueue
from shared.flows.consent_state import facts_of
from shared.model.campaign import RUNNING, Campaign, CampaignStatus, CampaignStep, StepKind
from shared.model.documents import CustomerProfile
from shared.model.enums import NotificationStatus
from shared.model.record import WAITING, NotificationRecord
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.platform.queues import CAMPAIGNS_QUEUE
from shared.platform.settings import Settings, get_settings
from shared.rules.campaign_audience import audience_query, matches
from shared.rules.campaign_pacing import page_interval
from shared.rules.campaign_recipients import (
    Deployment,
    as_duplicate,
    destination_key,
    one_per_destination,
    plan_recipient,
)
from shared.rules.planner import configured_providers, preference_links
from shared.store import campaigns, history
from shared.store.client import get_db
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
PAGE_SIZE = 200
ENQUEUE_THREADS = 8


@dataclass
class PageOutcome:
    """What one page did: ``planned``, or why it stopped (``not_running``, ``superseded``...)."""

    campaign_id: str
    page: int
    outcome: str
    matched: int = 0
    created: int = 0
    enqueued: int = 0
    reads: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    next_cursor: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "page": self.page,
            "outcome": self.outcome,
            "matched": self.matched,
            "created": self.created,
            "enqueued": self.enqueued,
            "reads": self.reads,
            "statuses": self.statuses,
            "nextCursor": self.next_cursor,
        }


def deployment_of(settings: Settings, db: Client) -> Deployment:
    shop = get_shop_settings(db)
    return Deployment(
        providers=configured_providers(settings),
        shop=shop,
        default_country=settings.default_country,
        sms_from=settings.twilio.sms_from,
        shop_name=shop.shop_name,
        links=preference_links(settings),
    )


def plan_page(
    step: CampaignStep,
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    steps: StepQueue | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> PageOutcome:
    """Plan the page ``step`` names and enqueue the next one."""
    db = db or get_db()
    now = now or utcnow()
    settings = settings or get_settings()
    snapshot = campaigns.get_snapshot(db, step.campaign_id)
    if snapshot is None:
        return PageOutcome(step.campaign_id, step.page, "missing")
    doc = snapshot.to_dict() or {}
    raw_planning = doc.get("planning")
    planning: Mapping[str, Any] = raw_planning if isinstance(raw_planning, Mapping) else {}
    if planning.get("run") != step.run:
        return PageOutcome(step.campaign_id, step.page, "superseded")
    campaign = Campaign.from_document(step.campaign_id, doc)
    if campaign.status not in RUNNING:
        return PageOutcome(step.campaign_id, step.page, f"not_running_{campaign.status}")
    if campaign.status is CampaignStatus.SCHEDULED:
        _mark_sending(db, step.campaign_id, now)
        snapshot = None  # written since: the page's last write reads it afresh
    query = audience_query(campaign.audience)
    page = campaigns.audience_page(db, query, cursor=step.cursor, page_size=page_size)
    outcome = PageOutcome(step.campaign_id, step.page, "planned", reads=page.reads)
    profiles = [
        CustomerProfile.from_document(pid, data)
        for pid, data in page.profiles
        if matches(campaign.audience, data)
    ]
    outcome.matched = len(profiles)
    ledger = facts_of(db, profiles)
    outcome.reads += ledger.reads
    deployment = deployment_of(settings, db)
    drafts = [
        plan_recipient(
            campaign,
            profile,
            ledger.by_customer[profile.id],
            deployment,
            now=now,
        )
        for profile in profiles
    ]
    drafts = one_per_destination(drafts)  # two customers of this page sharing a number
    made = campaigns.create_messages(
        db, step.campaign_id, [(d, destination_key(d)) for d in drafts], now
    )
    results = [
        (record, created, status) if owner is None else _duplicate(db, record, owner, now)
        for record, created, status, owner in made
    ]
    outcome.created = sum(1 for _, created, _ in results if created)
    outcome.statuses = dict(Counter(status for _, _, status in results))
    waiting = [(r, s) for r, _, s in results if NotificationStatus(s) in WAITING]
    outcome.enqueued = _enqueue_all(waiting, queue or get_queue(CAMPAIGNS_QUEUE.name))
    outcome.next_cursor = page.next_cursor
    campaigns.record_page(
        db,
        step.campaign_id,
        f"{step.page:06d}",
        _page_summary(step, page.profiles, [r for r, _, _ in results], outcome, now),
    )
    _advance(db, step, page.next_cursor, now, snapshot)
    if page.next_cursor is not None:
        following = CampaignStep(
            step.campaign_id, StepKind.PLAN, step.run, step.page + 1, page.next_cursor
        )
        # Ahead of the sends, not of the whole audience (``campaign_pacing.page_interval``).
        interval = page_interval(outcome.enqueued, settings.tasks.campaign_rate)
        enqueue(following, queue=steps, at=now + timedelta(seconds=interval))
    log.info(
        "campaign %s page %d: %d matched, %d created, %d enqueued",
        step.campaign_id,
        step.page,
        outcome.matched,
        outcome.created,
        outcome.enqueued,
        extra={"campaignId": step.campaign_id, "reads": outcome.reads},
    )
    return outcome


def _duplicate(
    db: Client, record: NotificationRecord, owner: str, now: datetime
) -> tuple[NotificationRecord, bool, str]:
    """An earlier page's customer has this number or address: it hears once; this customer's
    record says so (``same_destination``)."""
    skipped = as_duplicate(record, owner)
    created, status = history.create(db, skipped, now)
    return skipped, created, status.value


def _enqueue_all(waiting: list[tuple[NotificationRecord, str]], queue: TaskQueue) -> int:
    """Each waiting message's task (a few at a time: each is one call to Cloud Tasks)."""

    def one(item: tuple[NotificationRecord, str]) -> str:
        record, status = item
        due = record.scheduled_for if status == NotificationStatus.SCHEDULED.value else None
        return queue.enqueue(record.notification_id, generation=0, schedule_time=due)

    if len(waiting) <= 1:
        return len([one(item) for item in waiting])
    with ThreadPoolExecutor(max_workers=ENQUEUE_THREADS) as pool:
        return len(list(pool.map(one, waiting)))


def _page_summary(
    step: CampaignStep,
    profiles: list[tuple[str, dict[str, Any]]],
    drafts: list[NotificationRecord],
    outcome: PageOutcome,
    now: datetime,
) -> dict[str, Any]:
    """What this page planned, kept on the campaign (``pages/{page}``) for its results."""
    skipped = Counter(d.status_reason for d in drafts if d.status is NotificationStatus.SKIPPED)
    channels = Counter(
        d.channel.value for d in drafts if d.status is not NotificationStatus.SKIPPED
    )
    cost: dict[str, float] = {}
    for d in drafts:
        if d.status is NotificationStatus.SKIPPED:
            continue
        amount, currency = d.metadata.get("cost"), d.metadata.get("currency")
        if isinstance(amount, int | float) and isinstance(currency, str):
            cost[currency] = cost.get(currency, 0.0) + float(amount)
    return {
        "page": step.page,
        "run": step.run,
        "cursor": step.cursor,
        "read": len(profiles),
        "matched": outcome.matched,
        "planned": len(drafts),
        "skippedByReason": dict(skipped),
        "channels": dict(channels),
        "estimatedCost": cost,
        "nextCursor": outcome.next_cursor,
        "plannedAt": now,
    }


def _mark_sending(db: Client, campaign_id: str, now: datetime) -> None:
    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        if (
            current is None
            or CampaignStatus.parse(current.get("status")) is not CampaignStatus.SCHEDULED
        ):
            return {}
        fields: dict[str, Any] = {"status": CampaignStatus.SENDING.value}
        if current.get("startedAt") is None:
            fields["startedAt"] = now
        return fields

    campaigns.change(db, campaign_id, decide)


def _advance(
    db: Client,
    step: CampaignStep,
    next_cursor: str | None,
    now: datetime,
    snapshot: campaigns.Snapshot | None,
) -> None:
    """Move ``planning`` past this page (forward only, and only for the current run)."""

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        planning = (current or {}).get("planning")
        if not isinstance(planning, Mapping) or planning.get("run") != step.run:
            return {}
        page = planning.get("page")
        if isinstance(page, int) and page > step.page:
            return {}
        return {
            "planning": {
                "run": step.run,
                "page": step.page + 1,
                "cursor": next_cursor,
                "done": next_cursor is None,
                "updatedAt": now,
            }
        }

    campaigns.change(db, step.campaign_id, decide, snapshot=snapshot)
