"""Consent changes the pipeline itself makes: a provider says the customer unsubscribed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.model.ids import consent_event_id
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.store import consent, customers

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
_SWITCH = {"sms": "smsEnabled", "whatsapp": "whatsappEnabled"}


def opt_out_after_provider_refusal(
    db: Client, record: NotificationRecord, error_code: str | None, *, now: datetime
) -> None:
    """Twilio 21610 (the number replied STOP to our sender): turn the channel off and record why."""
    channel = record.channel.value
    switch = _SWITCH.get(channel)
    customer_id = record.customer_id
    notification_id = record.notification_id
    if switch is None:
        return
    created = consent.record_event(
        db,
        consent_event_id("provider", channel, record.to or "", error_code or "opt_out"),
        {
            "customerId": customer_id,
            "phone": record.to,
            "channel": channel,
            "source": record.provider.value if record.provider else "provider",
            "action": "opt_out",
            "keyword": None,
            "reason": "provider_reports_unsubscribed",
            "notificationId": notification_id,
            "at": now,
        },
    )
    if customer_id and "/" not in customer_id:
        customers.set_preferences(db, customer_id, {switch: False})
    if created:
        log.info("opted the customer out of %s after the provider refused", channel)
