"""Consent changes the pipeline itself makes: a provider says the customer unsubscribed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.platform.log import get_logger
from shared.store.client import create_if_absent
from shared.store.customers import PROFILES

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
CONSENT_EVENTS = "consent_events"
_SWITCH = {"sms": "smsEnabled", "whatsapp": "whatsappEnabled"}


def opt_out_after_provider_refusal(
    db: Client, notification_id: str, doc: Mapping[str, Any], *, now: datetime
) -> None:
    """Twilio 21610 (the number replied STOP to our sender): turn the channel off and record why."""
    channel = str(doc.get("channel") or "")
    switch = _SWITCH.get(channel)
    customer_id = doc.get("customerId")
    if switch is None:
        return
    event_id = f"provider_{channel}_{doc.get('to')}_{doc.get('errorCode') or 'optout'}"
    created = create_if_absent(
        db.collection(CONSENT_EVENTS).document(event_id.replace("/", "_").replace("+", "")),
        {
            "customerId": customer_id,
            "phone": doc.get("to"),
            "channel": channel,
            "source": str(doc.get("provider") or "provider"),
            "action": "opt_out",
            "keyword": None,
            "reason": "provider_reports_unsubscribed",
            "notificationId": notification_id,
            "at": now,
        },
    )
    if isinstance(customer_id, str) and customer_id and "/" not in customer_id:
        db.collection(PROFILES).document(customer_id).set(
            {"notificationPreferences": {switch: False}}, merge=True
        )
    if created:
        log.info("opted the customer out of %s after the provider refused", channel)
