"""An order placed by a campaign's recipient within its attribution window counts for it.

Called by ``on_order_written`` for a new order: the customer's campaign messages sent in the
last ``MAX_WINDOW`` (one indexed query on ``customerId``, ``type``, ``sentAt``) are read, and the
order is recorded once under each campaign whose window (``settings.attributionDays``, default
3) it falls in (``campaigns/{id}/orders/{orderId}``, ``create()``): the monitor sums them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.model.campaign import Limits
from shared.model.change import DocumentChange
from shared.platform.clock import as_datetime
from shared.platform.log import get_logger
from shared.rules.campaign_health import attributed
from shared.store import campaigns

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
MAX_WINDOW = timedelta(days=30)


def attribute_order(change: DocumentChange, *, db: Client, now: datetime) -> list[str]:
    """The campaigns this new order was attributed to (none for an update or no customer)."""
    order = change.after
    if change.before is not None or order is None:
        return []
    customer_id = order.get("customerId")
    if not isinstance(customer_id, str) or not customer_id or "/" in customer_id:
        return []
    order_id = change.path.rsplit("/", 1)[-1]
    placed = change.time or now
    found = []
    for _, message in campaigns.campaign_messages_of(
        db, customer_id, sent_after=placed - MAX_WINDOW
    ):
        campaign_id = message.get("campaignId")
        if not isinstance(campaign_id, str) or not campaign_id:
            continue
        doc = campaigns.get(db, campaign_id) or {}
        limits = Limits.from_document(doc.get("settings"))
        if not attributed(as_datetime(message.get("sentAt")), placed, limits.attribution_days):
            continue
        campaigns.attribute_order(db, campaign_id, order_id, _fields(order, customer_id, placed))
        found.append(campaign_id)
    if found:
        log.info("order %s attributed to campaigns %s", order_id, found)
    return found


def _fields(order: Mapping[str, Any], customer_id: str, placed: datetime) -> dict[str, Any]:
    total = order.get("total")
    return {
        "customerId": customer_id,
        "total": total if isinstance(total, int | float) and not isinstance(total, bool) else 0,
        "currency": order.get("currency") if isinstance(order.get("currency"), str) else None,
        "placedAt": placed,
    }
