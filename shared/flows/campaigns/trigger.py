"""``on_campaign_written``: what a change of a campaign's status sets in motion.

- to ``scheduled`` (from ``draft``, or written so): planning starts at ``sendAt`` (a delayed
  step, the audience read when it is due) with page 0 of a new run, and the monitor starts;
- from ``paused`` back to ``scheduled`` or ``sending``: planning continues from its cursor
  under a new run (the old chain of pages stops when it sees it is superseded), the messages
  held meanwhile are enqueued again, and the monitor goes on;
- to ``cancelled``: the waiting messages are enqueued again, so delivery cancels each one;
- anything else (results written by the system, a rename) needs nothing.

A campaign that cannot be read records why (``statusReason`` ``invalid_campaign``) instead of
starting. Every step is idempotent: the same event handled twice enqueues the same task names
and writes the same planning state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.campaign_tasks import StepQueue
from shared.flows.campaigns.steps import enqueue, start_monitor
from shared.model.campaign import (
    Campaign,
    CampaignStatus,
    CampaignStep,
    InvalidCampaignError,
    StepKind,
)
from shared.model.change import DocumentChange
from shared.model.ids import reminder_event_id
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.store import campaigns
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
INVALID = "invalid_campaign"


def _status(doc: Mapping[str, Any] | None) -> CampaignStatus | None:
    return CampaignStatus.parse(doc.get("status")) if doc else None


def handle_campaign_change(
    change: DocumentChange,
    *,
    db: Client | None = None,
    steps: StepQueue | None = None,
    now: datetime | None = None,
) -> Mapping[str, Any]:
    """Start, resume or wind down the campaign, as its status change says."""
    after = change.after
    campaign_id = change.path.rsplit("/", 1)[-1]
    if after is None:
        return {"campaignId": campaign_id, "outcome": "deleted"}
    before_status, after_status = _status(change.before), _status(after)
    if before_status == after_status:
        return {"campaignId": campaign_id, "outcome": "unchanged"}
    db = db or get_db()
    now = now or utcnow()
    try:
        campaign = Campaign.from_document(campaign_id, after)
    except InvalidCampaignError as exc:
        return _refuse(db, campaign_id, after, str(exc))
    run = reminder_event_id("campaign-run", campaign_id, change.event_id or now.isoformat())
    if after_status is CampaignStatus.SCHEDULED and before_status in (
        None,
        CampaignStatus.DRAFT,
        CampaignStatus.COMPLETED,
    ):
        return _start(db, campaign, run, steps=steps, now=now)
    if before_status is CampaignStatus.PAUSED and after_status in (
        CampaignStatus.SCHEDULED,
        CampaignStatus.SENDING,
    ):
        return _resume(db, campaign, run, steps=steps, now=now)
    if after_status is CampaignStatus.CANCELLED:
        enqueue(CampaignStep(campaign_id, StepKind.RESUME, run), queue=steps)
        log.info("campaign %s cancelled: its waiting messages will be cancelled", campaign_id)
        return {"campaignId": campaign_id, "outcome": "cancelling"}
    return {"campaignId": campaign_id, "outcome": f"now_{after_status}"}


def _refuse(db: Client, campaign_id: str, doc: Mapping[str, Any], why: str) -> dict[str, Any]:
    log.warning("campaign %s cannot be sent: %s", campaign_id, why, extra={"reason": INVALID})
    if doc.get("statusReason") != INVALID or doc.get("statusDetail") != why:
        campaigns.update(db, campaign_id, {"statusReason": INVALID, "statusDetail": why})
    return {"campaignId": campaign_id, "outcome": "invalid", "detail": why}


def _start(
    db: Client, campaign: Campaign, run: str, *, steps: StepQueue | None, now: datetime
) -> dict[str, Any]:
    """A new run from page 0, due at ``sendAt``; the planning state names the run."""

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        if current is None or _status(current) is not CampaignStatus.SCHEDULED:
            return {}
        planning = current.get("planning")
        if isinstance(planning, Mapping) and planning.get("run") == run:
            return {}
        return {
            "planning": {"run": run, "page": 0, "cursor": None, "done": False},
            "statusReason": "scheduled",
            "statusDetail": "",
            "scheduledAt": now,
        }

    written = campaigns.change(db, campaign.campaign_id, decide)
    planning = (written.current or {}).get("planning")
    if not written.fields and not (isinstance(planning, Mapping) and planning.get("run") == run):
        return {"campaignId": campaign.campaign_id, "outcome": "not_scheduled"}
    due = campaign.send_at if campaign.send_at and campaign.send_at > now else None
    enqueue(CampaignStep(campaign.campaign_id, StepKind.PLAN, run, 0), queue=steps, at=due)
    start_monitor(campaign.campaign_id, queue=steps, at=due or now)
    log.info(
        "campaign %s scheduled%s",
        campaign.campaign_id,
        f" for {due.isoformat()}" if due else ", starting now",
    )
    return {"campaignId": campaign.campaign_id, "outcome": "scheduled", "run": run}


def _resume(
    db: Client, campaign: Campaign, run: str, *, steps: StepQueue | None, now: datetime
) -> dict[str, Any]:
    """Planning on from its cursor under ``run``; the held messages enqueued again."""
    state: dict[str, Any] = {}

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        if current is None:
            return {}
        planning = current.get("planning")
        planning = dict(planning) if isinstance(planning, Mapping) else {}
        state.update(planning)
        if planning.get("run") == run:
            return {}
        planning["run"] = run
        state.update(planning)
        return {
            "planning": planning,
            "statusReason": "resumed",
            "statusDetail": "",
            "resumedAt": now,
        }

    campaigns.change(db, campaign.campaign_id, decide)
    if state and not state.get("done"):
        page = state.get("page")
        cursor = state.get("cursor")
        enqueue(
            CampaignStep(
                campaign.campaign_id,
                StepKind.PLAN,
                run,
                page if isinstance(page, int) else 0,
                cursor if isinstance(cursor, str) else None,
            ),
            queue=steps,
        )
    enqueue(CampaignStep(campaign.campaign_id, StepKind.RESUME, run), queue=steps)
    start_monitor(campaign.campaign_id, queue=steps, at=now)
    log.info("campaign %s resumed", campaign.campaign_id)
    return {"campaignId": campaign.campaign_id, "outcome": "resumed", "run": run}
