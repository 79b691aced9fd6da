"""Page 4, the inbox: inbound messages waiting for staff, newest first, after-hours and unknown
senders marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.platform.clock import as_datetime
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.timerules import in_business_hours
from shared.store import console as store
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class InboxItem:
    item_id: str
    doc: Mapping[str, Any]
    received_at: datetime | None
    after_hours: bool
    unknown_sender: bool


@dataclass(frozen=True)
class InboxPage:
    items: Sequence[InboxItem]
    next_cursor: str | None


def _country(phone: Any, default_country: str) -> str:
    if not isinstance(phone, str) or not phone:
        return default_country
    try:
        return normalize_phone(phone, None, default_country).region or default_country
    except PhoneError:
        return default_country


def inbox_page(db: Client, *, default_country: str, cursor: str | None = None) -> InboxPage:
    """One page of open items; after hours by the shop's business hours in the sender's country."""
    shop = get_shop_settings(db)
    page = store.inbox_waiting(db, cursor)
    items = []
    for item_id, doc in page.rows:
        at = as_datetime(doc.get("receivedAt"))
        country = _country(doc.get("phone"), default_country)
        after = at is not None and not in_business_hours(
            at, country, shop, fallback_country=default_country
        )
        items.append(InboxItem(item_id, doc, at, after, not doc.get("customerId")))
    return InboxPage(items, page.next_cursor)
