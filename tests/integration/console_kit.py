"""A small shop's data for the console's tests: one customer, her messages, the inbox, consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

PHONE = "+33612345678"
CUSTOMER = "cust-marie"


def seed_shop(db: Any, suffix: str, now: datetime | None = None) -> dict[str, str]:
    """Write the documents; their ids (each ends with ``suffix``)."""
    now = now or datetime.now(UTC)
    customer = f"{CUSTOMER}-{suffix}"
    ids = {
        "customer": customer,
        "delivered": f"n-delivered-{suffix}",
        "failed": f"n-failed-{suffix}",
        "ticket": f"T-{suffix}",
    }
    db.collection("customer_profiles").document(customer).set(
        {
            "displayName": "Marie Dupont",
            "phoneNumber": "06 12 34 56 78",
            "email": f"marie-{suffix}@example.com",
            "country": "FR",
            "language": "fr",
            "notificationPreferences": {"smsEnabled": True, "whatsappEnabled": True},
            "lastInboundAt": {"whatsapp": now - timedelta(hours=2)},
        }
    )
    history = db.collection("notification_history")
    history.document(ids["delivered"]).set(
        {
            "customerId": customer,
            "ticketId": ids["ticket"],
            "type": "ticket.completed",
            "purpose": "service",
            "channel": "sms",
            "provider": "twilio",
            "to": PHONE,
            "status": "delivered",
            "statusReason": "sms_no_email",
            "template": "ticket.completed",
            "language": "fr",
            "country": "FR",
            "data": {"customerName": "Marie", "device": "iPhone 12"},
            "createdAt": now - timedelta(minutes=30),
            "sentAt": now - timedelta(minutes=29),
            "deliveredAt": now - timedelta(minutes=28),
            "metadata": {"segments": 1, "encoding": "GSM-7", "cost": 0.0075, "currency": "EUR"},
        }
    )
    history.document(ids["failed"]).set(
        {
            "customerId": customer,
            "ticketId": ids["ticket"],
            "type": "ticket.completed",
            "purpose": "service",
            "channel": "whatsapp",
            "provider": "twilio",
            "to": PHONE,
            "status": "failed",
            "statusReason": "provider_reported_failure",
            "errorCode": "63016",
            "template": "ticket.completed",
            "language": "fr",
            "data": {"customerName": "Marie"},
            "createdAt": now - timedelta(minutes=31),
            "failedAt": now - timedelta(minutes=30),
            "fallbackId": ids["delivered"],
            "metadata": {},
        }
    )
    messages = db.collection("conversations").document(customer).collection("messages")
    messages.document(f"in-{suffix}").set(
        {
            "direction": "inbound",
            "channel": "whatsapp",
            "text": "Bonjour, mon téléphone est prêt ?",
            "receivedAt": now - timedelta(hours=2),
        }
    )
    messages.document(f"out-{suffix}").set(
        {
            "direction": "outbound",
            "channel": "sms",
            "text": "Votre iPhone 12 est prêt.",
            "at": now - timedelta(minutes=29),
        }
    )
    db.collection("inbox").document(f"inbox-{suffix}").set(
        {
            "customerId": None,
            "name": None,
            "phone": "+33699887766",
            "channel": "sms",
            "text": "Vous êtes ouverts dimanche ?",
            "receivedAt": now - timedelta(minutes=5),
            "status": "open",
        }
    )
    consent = db.collection("consent_events")
    consent.document(f"c-in-{suffix}").set(
        {
            "channel": "sms",
            "purpose": "marketing",
            "action": "opt_in",
            "source": "registration_form",
            "textVersion": "2026-01",
            "customerId": customer,
            "to": PHONE,
            "at": now - timedelta(days=3),
        }
    )
    consent.document(f"c-out-{suffix}").set(
        {
            "channel": "sms",
            "purpose": "all",
            "action": "opt_out",
            "source": "keyword",
            "keyword": "STOP",
            "to": "+33611223344",
            "at": now - timedelta(days=1),
        }
    )
    return ids
