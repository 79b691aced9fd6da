"""A cart changed (``on_cart_written``): its abandonment bookkeeping, and its customer's
``cartStatus``. Apart from ``shared.flows.notify`` so the cart trigger loads neither the
cascade nor the templates: the sweep, not this trigger, sends reminders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.flows.carts.upkeep import keep_cart
from shared.flows.customer_activity import keep_cart_activity
from shared.model.change import DocumentChange
from shared.platform.clock import utcnow
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def handle_cart_change(
    change: DocumentChange, *, db: Client | None = None, now: datetime | None = None
) -> Mapping[str, Any]:
    """Abandonment bookkeeping (stage, episode, stale reminders), then the profile's
    ``cartStatus`` (campaign audiences)."""
    db = db or get_db()
    now = now or utcnow()
    summary = keep_cart(change, db=db, now=now)
    keep_cart_activity(change, db=db, now=now)
    return summary
