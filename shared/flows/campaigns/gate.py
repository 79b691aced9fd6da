"""What delivery asks about a campaign's message at send time (``shared.flows.live_checks``):
the campaign as it is now and, for a Meta WhatsApp template, whether Meta still allows it. A
template Meta paused or rejected pauses the whole campaign (``shared.rules.campaign_live``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.campaigns.monitor import pause_for_template
from shared.flows.templates_status import template_usability
from shared.model.campaign_template import whatsapp_template_of
from shared.model.enums import Channel, Provider
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.rules.campaign_live import Gate, gate
from shared.store import campaigns

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


def campaign_gate(db: Client, record: NotificationRecord, *, now: datetime) -> Gate | None:
    """None for a message of no campaign; else the campaign's verdict on it."""
    campaign_id = record.ref("campaignId")
    if not campaign_id:
        return None
    doc = campaigns.get(db, campaign_id)
    usability = None
    template = whatsapp_template_of(record.data)
    if (
        doc is not None
        and record.channel is Channel.WHATSAPP
        and record.provider is Provider.META
        and template is not None
        and template.meta_name
    ):
        usability = template_usability(db, template.meta_name, template.meta_language or "")
    verdict = gate(doc, usability)
    if verdict.pause_campaign:
        log.warning("campaign %s: %s", campaign_id, verdict.detail)
        pause_for_template(db, campaign_id, verdict.pause_campaign, verdict.detail, now)
    return verdict
