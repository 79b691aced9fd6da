"""The consent ledger as flat rows: the columns of its CSV export, one owner for the command line
export (``scripts/consent_export.py``) and the console's download."""

from __future__ import annotations

from shared.model.consent import ConsentEvent

COLUMNS = (
    "at",
    "customerId",
    "clientId",
    "channel",
    "purpose",
    "action",
    "source",
    "keyword",
    "textVersion",
    "to",
    "provider",
    "eventId",
)


def row(event: ConsentEvent) -> dict[str, str]:
    """One CSV row: the contract's fields as text (times in ISO 8601, UTC offset included)."""
    return {
        "at": event.at.isoformat() if event.at else "",
        "customerId": event.customer_id or "",
        "clientId": event.client_id or "",
        "channel": event.channel.value if event.channel else "",
        "purpose": event.purpose.value,
        "action": event.action.value,
        "source": event.source.value,
        "keyword": event.keyword or "",
        "textVersion": event.text_version or "",
        "to": event.to or "",
        "provider": event.provider or "",
        "eventId": event.event_id,
    }
