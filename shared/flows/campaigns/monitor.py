"""A campaign's monitor: results recomputed, health checked, completion noticed; then again.

Each tick recomputes ``results`` whole from what is stored (so two ticks at once, or one run
twice, write the same figures): the pages' summaries (audience, planned, skipped by reason,
estimated cost), one aggregation count per message status, the failed and cancelled messages
by reason, the opt-outs since the start by recipients of the campaign, the orders attributed
(``attribution``). Then, while the campaign is ``sending``: its health over the last sends
(``shared.rules.campaign_health``) may pause it, saying why; with planning done and nothing
waiting it is ``completed``. Ticks go on every ``MONITOR_SECONDS`` while it runs or is
paused, every ``SLOW_SECONDS`` after completion until the attribution window has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.campaign_tasks import StepQueue
from shared.flows.campaigns.steps import MONITOR_SECONDS, start_monitor
from shared.model.campaign import Campaign, CampaignStatus, InvalidCampaignError, Limits
from shared.model.enums import NotificationStatus
from shared.model.ids import campaign_notification_id
from shared.platform.clock import as_datetime, utcnow
from shared.platform.log import get_logger
from shared.rules.campaign_health import (
    FAILED,
    OUTCOMES,
    Health,
    Results,
    Send,
    add_money,
    health,
    summary_line,
    tally,
)
from shared.store import campaigns
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
SLOW_SECONDS = 600.0
STATUSES = tuple(s.value for s in NotificationStatus if s is not NotificationStatus.UNKNOWN)


@dataclass(frozen=True)
class Tick:
    campaign_id: str
    status: str
    results: Mapping[str, Any]
    health: Health
    next_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "outcome": "monitored",
            "status": self.status,
            "results": {k: v for k, v in self.results.items() if k != "updatedAt"},
            "paused": self.health.pause,
            "pauseReason": self.health.reason,
            "next": self.next_at.isoformat() if self.next_at else None,
        }


def compute_results(
    db: Client, campaign_id: str, *, started_at: datetime | None
) -> tuple[Results, set[str]]:
    """The campaign's results as stored now, and the recipients who opted out since."""
    audience = 0
    planned_cost: dict[str, float] = {}
    skipped_by_reason: dict[str, int] = {}
    for page in campaigns.pages(db, campaign_id):
        audience += int(page.get("matched") or 0)
        for reason, n in (page.get("skippedByReason") or {}).items():
            skipped_by_reason[reason] = skipped_by_reason.get(reason, 0) + int(n)
        for currency, amount in (page.get("estimatedCost") or {}).items():
            add_money(planned_cost, amount, currency)
    by_status = {k: v for k, v in campaigns.count_by_status(db, campaign_id, STATUSES).items() if v}
    failed_by_reason: dict[str, int] = {}
    if any(by_status.get(s) for s in FAILED):
        failed = campaigns.messages_in(db, campaign_id, sorted(FAILED))
        failed_by_reason = tally(
            str(d.get("errorCode") or d.get("statusReason") or "unknown") for d in failed
        )
    if by_status.get("cancelled"):
        cancelled = campaigns.messages_in(db, campaign_id, ["cancelled"])
        for reason, n in tally(
            str(d.get("statusReason") or "cancelled") for d in cancelled
        ).items():
            skipped_by_reason[f"cancelled:{reason}"] = n
    quitters = _opted_out_recipients(db, campaign_id, started_at)
    revenue: dict[str, float] = {}
    orders = campaigns.attributed_orders(db, campaign_id)
    for order in orders:
        add_money(revenue, order.get("total"), order.get("currency"))
    results = Results(
        audience=audience,
        planned=sum(by_status.values()),
        by_status=by_status,
        failed_by_reason=failed_by_reason,
        skipped_by_reason=skipped_by_reason,
        opt_outs=len(quitters),
        orders=len(orders),
        revenue=revenue,
        cost=planned_cost,
    )
    return results, quitters


def _opted_out_recipients(db: Client, campaign_id: str, since: datetime | None) -> set[str]:
    """Customers who received the campaign and opted out after its message went."""
    if since is None:
        return set()
    events = [e for e in campaigns.opt_outs_since(db, since) if e.customer_id]
    if not events:
        return set()
    ids = {campaign_notification_id(campaign_id, str(e.customer_id)): e for e in events}
    messages = campaigns.message_of(db, list(ids))
    out = set()
    for notification_id, doc in messages.items():
        event = ids[notification_id]
        sent_at = as_datetime(doc.get("sentAt"))
        if sent_at is not None and event.at is not None and event.at >= sent_at:
            out.add(str(event.customer_id))
    return out


def monitor(
    campaign_id: str,
    *,
    db: Client | None = None,
    steps: StepQueue | None = None,
    now: datetime | None = None,
    reschedule: bool = True,
) -> Tick | None:
    """One tick (see the module docstring); None for a campaign that is gone or unreadable."""
    db = db or get_db()
    now = now or utcnow()
    doc = campaigns.get(db, campaign_id)
    if doc is None:
        return None
    try:
        campaign = Campaign.from_document(campaign_id, doc)
    except InvalidCampaignError:
        return None
    results, quitters = compute_results(db, campaign_id, started_at=campaign.started_at)
    fields: dict[str, Any] = {"results": results.as_document(now)}
    verdict = Health()
    status = campaign.status
    if status is CampaignStatus.SENDING:
        verdict = _health(db, campaign_id, campaign.limits, quitters)
        raw = doc.get("planning")
        planning: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        if verdict.pause:
            status = _pause(db, campaign_id, verdict, now)
        elif planning.get("done") and results.waiting == 0:
            status = _complete(db, campaign_id, now)
    fields["results"]["health"] = {
        "failureRate": round(verdict.failure_rate, 4),
        "optOutRate": round(verdict.opt_out_rate, 4),
        "sample": verdict.sample,
    }
    campaigns.update(db, campaign_id, fields)
    next_at = _next_tick(campaign, status, doc, now)
    if reschedule and next_at is not None:
        start_monitor(campaign_id, queue=steps, at=next_at)
    log.info("campaign %s (%s): %s", campaign_id, status, summary_line(fields["results"]))
    return Tick(campaign_id, status.value, fields["results"], verdict, next_at)


def _health(db: Client, campaign_id: str, limits: Limits, quitters: set[str]) -> Health:
    recent = campaigns.recent_outcomes(db, campaign_id, sorted(OUTCOMES), limits.window)
    sends = [
        Send(str(d.get("status")), d.get("customerId"), as_datetime(d.get("updatedAt")))
        for d in recent
    ]
    return health(sends, quitters, limits)


def _leave_sending(
    db: Client, campaign_id: str, to: CampaignStatus, fields: Mapping[str, Any]
) -> tuple[CampaignStatus, bool]:
    """Move a ``sending`` campaign to ``to`` with ``fields``; any other status is left as it
    is. (The status afterwards, whether this call moved it.)"""

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        if (
            current is None
            or CampaignStatus.parse(current.get("status")) is not CampaignStatus.SENDING
        ):
            return {}
        return {"status": to.value, **fields}

    written = campaigns.change(db, campaign_id, decide)
    if written.fields:
        return to, True
    current = CampaignStatus.parse((written.current or {}).get("status"))
    return current or CampaignStatus.SENDING, False


def _pause(db: Client, campaign_id: str, verdict: Health, now: datetime) -> CampaignStatus:
    fields = {
        "statusReason": verdict.reason,
        "statusDetail": verdict.detail,
        "pausedAt": now,
        "pausedBy": "system",
    }
    status, moved = _leave_sending(db, campaign_id, CampaignStatus.PAUSED, fields)
    if moved:
        log.warning("campaign %s paused itself: %s", campaign_id, verdict.detail)
    return status


def pause_for_template(
    db: Client, campaign_id: str, reason: str, detail: str, now: datetime
) -> None:
    """Delivery found the campaign's WhatsApp template no longer usable: pause, saying why."""
    _pause(db, campaign_id, Health(True, reason, detail), now)


def _complete(db: Client, campaign_id: str, now: datetime) -> CampaignStatus:
    fields = {"completedAt": now, "statusReason": "completed"}
    status, moved = _leave_sending(db, campaign_id, CampaignStatus.COMPLETED, fields)
    if moved:
        log.info("campaign %s completed", campaign_id)
    return status


def _next_tick(
    campaign: Campaign, status: CampaignStatus, doc: Mapping[str, Any], now: datetime
) -> datetime | None:
    if status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED):
        return now + timedelta(seconds=MONITOR_SECONDS)
    if status is CampaignStatus.COMPLETED:
        done = as_datetime(doc.get("completedAt")) or now
        if now < done + timedelta(days=campaign.limits.attribution_days):
            return now + timedelta(seconds=SLOW_SECONDS)
    return None
