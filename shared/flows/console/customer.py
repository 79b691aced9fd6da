"""Page 3, one customer: contacts, preferences, consent history, the conversation (inbound and
outbound in order, the WhatsApp 24-hour window open or closed and the time left), tickets and
orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.flows.consent import ledger
from shared.model.consent import ConsentEvent
from shared.model.documents import CustomerProfile, parse_profile
from shared.platform.clock import as_datetime
from shared.rules.timerules import WHATSAPP_WINDOW, whatsapp_window_open
from shared.store import console as store

if TYPE_CHECKING:
    from google.cloud.firestore import Client

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """The WhatsApp 24-hour customer-service window."""

    open: bool
    last_inbound_at: datetime | None
    left: timedelta | None  # time left while open


@dataclass(frozen=True)
class CustomerView:
    customer_id: str
    profile: CustomerProfile
    consent: Sequence[ConsentEvent]
    conversation: Sequence[Mapping[str, Any]]  # oldest first
    window: Window
    tickets: store.Page
    orders: store.Page


def message_time(message: Mapping[str, Any]) -> datetime:
    """When a conversation message happened (outbound ``at``, inbound ``sentAt``/``receivedAt``)."""
    for field in ("at", "sentAt", "receivedAt"):
        value = as_datetime(message.get(field))
        if value is not None:
            return value
    return _EPOCH


def whatsapp_window(profile: CustomerProfile, now: datetime) -> Window:
    last = as_datetime(profile.last_inbound_at.get("whatsapp"))
    is_open = whatsapp_window_open(last, now)
    left = (last + WHATSAPP_WINDOW - now) if is_open and last else None
    return Window(is_open, last, left)


def customer_view(
    db: Client, customer_id: str, now: datetime, *, default_country: str
) -> CustomerView | None:
    """The customer's page (None when there is no such profile)."""
    doc = store.profile_document(db, customer_id)
    if doc is None:
        return None
    profile = parse_profile(customer_id, doc)
    if profile is None:
        return None
    messages = sorted(store.conversation(db, customer_id), key=message_time)
    return CustomerView(
        customer_id=customer_id,
        profile=profile,
        consent=ledger(db, customer_id, default_country=default_country),
        conversation=messages,
        window=whatsapp_window(profile, now),
        tickets=store.tickets_of(db, customer_id),
        orders=store.orders_of(db, customer_id),
    )
