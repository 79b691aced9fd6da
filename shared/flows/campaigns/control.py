"""What the shop does to a campaign (the console, ``python -m scripts.campaign``): create it,
count its audience before scheduling, schedule, pause, resume, cancel, read its results.

Each is one guarded write of the campaign's ``status`` (``compare_and_set``: the transition is
decided on the document as it is); ``on_campaign_written`` does the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.flows.campaigns.plan import deployment_of
from shared.flows.consent_state import facts_of
from shared.model.campaign import Campaign, CampaignStatus
from shared.model.documents import CustomerProfile
from shared.model.enums import NotificationStatus
from shared.platform.clock import utcnow
from shared.platform.errors import InvalidInputError
from shared.platform.settings import Settings, get_settings
from shared.rules.campaign_audience import audience_query, matches
from shared.rules.campaign_recipients import plan_recipient
from shared.store import campaigns

if TYPE_CHECKING:
    from google.cloud.firestore import Client

# Who may move a campaign from which status to which (the system's own moves excluded).
ALLOWED: Mapping[str, frozenset[CampaignStatus]] = {
    "schedule": frozenset({CampaignStatus.DRAFT}),
    "pause": frozenset({CampaignStatus.SCHEDULED, CampaignStatus.SENDING}),
    "resume": frozenset({CampaignStatus.PAUSED}),
    "cancel": frozenset(
        {
            CampaignStatus.DRAFT,
            CampaignStatus.SCHEDULED,
            CampaignStatus.SENDING,
            CampaignStatus.PAUSED,
        }
    ),
}

STAMPS = {
    "schedule": "scheduledAt",
    "pause": "pausedAt",
    "resume": "resumedAt",
    "cancel": "cancelledAt",
}


class CampaignControlError(InvalidInputError):
    """The campaign does not exist, or cannot make that move from where it is."""


def create(db: Client, campaign_id: str, fields: Mapping[str, Any], *, now: datetime) -> Campaign:
    """A new ``draft`` campaign (refused when it exists or cannot be read as a campaign)."""
    doc = {**fields, "purpose": "marketing", "status": CampaignStatus.DRAFT.value, "createdAt": now}
    campaign = Campaign.from_document(campaign_id, doc)
    if not campaigns.create(db, campaign_id, doc):
        raise CampaignControlError(f"campaign {campaign_id} exists already")
    return campaign


def _move(
    db: Client, campaign_id: str, action: str, extra: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    refused: list[str] = []

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        refused.clear()
        if current is None:
            refused.append("no such campaign")
            return {}
        status = CampaignStatus.parse(current.get("status"))
        if status not in ALLOWED[action]:
            refused.append(f"a {status} campaign cannot {action}")
            return {}
        target = extra.get("status")
        if action == "resume":
            target = (
                CampaignStatus.SENDING.value
                if current.get("startedAt") is not None
                else CampaignStatus.SCHEDULED.value
            )
        return {**extra, "status": target, STAMPS[action]: now}

    written = campaigns.change(db, campaign_id, decide)
    if refused:
        raise CampaignControlError(f"{campaign_id}: {refused[0]}")
    return {**(written.current or {}), **written.fields}


def schedule(
    db: Client, campaign_id: str, *, send_at: datetime | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """``draft`` -> ``scheduled``; ``send_at`` (default: now) is when planning starts."""
    now = now or utcnow()
    extra: dict[str, Any] = {"status": CampaignStatus.SCHEDULED.value}
    if send_at is not None:
        extra["sendAt"] = send_at
    doc = campaigns.get(db, campaign_id)
    if doc is not None:
        Campaign.from_document(campaign_id, {**doc, **extra})  # refused before it is scheduled
    return _move(db, campaign_id, "schedule", extra, now)


def pause(db: Client, campaign_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    extra = {
        "status": CampaignStatus.PAUSED.value,
        "statusReason": "paused_by_shop",
        "statusDetail": "",
        "pausedBy": "shop",
    }
    return _move(db, campaign_id, "pause", extra, now or utcnow())


def resume(db: Client, campaign_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    return _move(db, campaign_id, "resume", {"statusReason": "resumed"}, now or utcnow())


def cancel(db: Client, campaign_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    extra = {"status": CampaignStatus.CANCELLED.value, "statusReason": "cancelled_by_shop"}
    return _move(db, campaign_id, "cancel", extra, now or utcnow())


@dataclass
class AudienceCount:
    """Before scheduling: how many profiles match, and how many would get the message (by
    channel), and why the others would not (by reason)."""

    matched: int = 0
    eligible: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    reads: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "eligible": self.eligible,
            "channels": dict(self.channels),
            "refused": dict(self.refused),
            "reads": self.reads,
        }


def count_audience(
    db: Client,
    campaign_id: str,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    page_size: int = 300,
) -> AudienceCount:
    """Walk the audience page by page as planning would, writing nothing."""
    doc = campaigns.get(db, campaign_id)
    if doc is None:
        raise CampaignControlError(f"no campaign {campaign_id}")
    campaign = Campaign.from_document(campaign_id, doc)
    settings = settings or get_settings()
    now = now or utcnow()
    deployment = deployment_of(settings, db)
    query = audience_query(campaign.audience)
    out = AudienceCount()
    cursor: str | None = None
    while True:
        page = campaigns.audience_page(db, query, cursor=cursor, page_size=page_size)
        out.reads += page.reads
        profiles = [
            CustomerProfile.from_document(pid, data)
            for pid, data in page.profiles
            if matches(campaign.audience, data)
        ]
        ledger = facts_of(db, profiles)
        out.reads += ledger.reads
        for profile in profiles:
            out.matched += 1
            draft = plan_recipient(
                campaign,
                profile,
                ledger.by_customer[profile.id],
                deployment,
                now=now,
            )
            if draft.status is NotificationStatus.SKIPPED:
                out.refused[draft.status_reason] += 1
            else:
                out.eligible += 1
                out.channels[draft.channel.value] += 1
        cursor = page.next_cursor
        if cursor is None:
            return out


def recent_campaigns(db: Client, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """The latest campaigns with their status and results, newest first (the console's list)."""
    return campaigns.recent(db, limit)


def campaign_document(db: Client, campaign_id: str) -> dict[str, Any] | None:
    return campaigns.get(db, campaign_id)
