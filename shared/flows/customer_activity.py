"""Keep the profile's ``lastOrderAt`` and ``cartStatus`` as orders and carts change
(``shared.rules.customer_activity``): what a campaign's audience filters on."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.model.change import DocumentChange
from shared.platform.log import get_logger
from shared.rules.customer_activity import ActivityUpdate, cart_activity, order_activity
from shared.store.customers import keep_fields

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


def _keep(update: ActivityUpdate | None, db: Client) -> bool:
    if update is None:
        return False
    written = keep_fields(db, update.customer_id, update.decide)
    if written:
        log.info(
            "profile activity kept",
            extra={"customerId": update.customer_id, "fields": sorted(update.fields)},
        )
    return written


def keep_order_activity(change: DocumentChange, *, db: Client, now: datetime) -> bool:
    """An order placed moves its customer's ``lastOrderAt`` forward."""
    return _keep(order_activity(change.before, change.after, change.time or now), db)


def keep_cart_activity(change: DocumentChange, *, db: Client, now: datetime) -> bool:
    """A cart created or changing status sets its customer's ``cartStatus``."""
    return _keep(cart_activity(change.before, change.after, change.time or now), db)
