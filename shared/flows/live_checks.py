"""Read what a delivery's live check needs, then decide (``shared.rules.live``).

The consent ledger is read only when the decision needs it: for a marketing message (is the
proof still there? the profile's ``consentState`` says, when it has one) and for a walk-in's
message (did their number text STOP?).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.consent import facts_for_delivery
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.rules.live import Check, LiveFacts, source_needed, verdict
from shared.store import customers, sources

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def check(
    db: Client,
    record: NotificationRecord,
    *,
    now: datetime,
    shop: ShopSettings,
    default_country: str = "FR",
) -> Check:
    """Re-read the record's source (when its type depends on one) and its customer, decide.
    A campaign's message first asks its campaign (paused: held; cancelled: cancelled)."""
    campaign = None
    if record.ref("campaignId"):  # loaded only by an instance that delivers campaigns
        from shared.flows.campaigns.gate import campaign_gate  # noqa: PLC0415

        campaign = campaign_gate(db, record, now=now)
    if campaign is not None and campaign.action != "go":
        return Check(
            cancel=campaign.action == "cancel",
            hold=campaign.action == "hold",
            reason=campaign.reason,
        )
    field = source_needed(record)
    source = None
    if field is not None:
        source_id = record.ref(field)
        source = sources.read_source(db, field, source_id) if source_id else None
    profile = customers.get_profile(db, record.customer_id) if record.customer_id else None
    client_preferences = None
    client_id = record.ref("clientId")
    if profile is None and client_id:
        client_preferences = customers.client_preferences(db, client_id)
    facts = LiveFacts(
        source=source,
        profile=profile,
        client_preferences=client_preferences,
        consent=facts_for_delivery(db, record, profile),
    )
    return verdict(record, facts, now=now, shop=shop, default_country=default_country)
