"""What an order or a cart tells about its customer, kept on the profile for campaign audiences.

A campaign's audience filters on the profile's ``lastOrderAt`` (the customer's last order) and
``cartStatus`` (``active``, ``converted``; absent: no cart) (``shared/rules/campaign_audience.py``).
The system sees every order and cart, so it keeps both (the shop's own app may write them too):

- an order placed (created, or given its customer) moves ``lastOrderAt`` to its ``createdAt``
  (else the event's time); a cancelled one does not count;
- a cart created or changing status sets ``cartStatus`` to its status, with ``cartStatusAt``
  (the time of that write, the event's: a cart converted by the shop keeps its ``updatedAt``):
  the customer's latest cart change is the one that counts.

Both only move forward in time, so a trigger delivered twice, late or out of order changes
nothing twice, and an older cart never hides a newer one. A customer without a profile gets
none (a profile is never created here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.platform.clock import as_datetime

LAST_ORDER = "lastOrderAt"
CART_STATUS = "cartStatus"
CART_STATUS_AT = "cartStatusAt"
CART_STATUSES = frozenset({"active", "converted"})
_ID_LIMIT = 200


@dataclass(frozen=True)
class ActivityUpdate:
    """Fields for one profile, written only if ``at`` is later than its ``at_field``."""

    customer_id: str
    at_field: str
    at: datetime
    fields: Mapping[str, Any]

    def decide(self, profile: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The fields to write on ``profile`` (None: no profile, or it already knows better)."""
        if profile is None:
            return None
        known = _aware(as_datetime(profile.get(self.at_field)))
        if known is not None and known >= self.at:
            return None
        return dict(self.fields)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _customer(doc: Mapping[str, Any] | None) -> str | None:
    value = (doc or {}).get("customerId")
    if isinstance(value, str) and value.strip() and "/" not in value and len(value) <= _ID_LIMIT:
        return value.strip()
    return None


def order_activity(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, at: datetime
) -> ActivityUpdate | None:
    """The customer's last order, when this change places one (``at``: the event's time)."""
    customer = _customer(after)
    if after is None or customer is None or after.get("status") == "cancelled":
        return None
    if before is not None and _customer(before) == customer:
        return None  # an update of an order already counted
    placed = _aware(as_datetime(after.get("createdAt"))) or _aware(at)
    assert placed is not None
    return ActivityUpdate(customer, LAST_ORDER, placed, {LAST_ORDER: placed})


def cart_activity(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, at: datetime
) -> ActivityUpdate | None:
    """The customer's cart status, when this change creates a cart or moves its status."""
    customer = _customer(after)
    status = str((after or {}).get("status") or "").strip().lower()
    if after is None or customer is None or status not in CART_STATUSES:
        return None
    if (
        before is not None
        and _customer(before) == customer
        and str(before.get("status") or "").strip().lower() == status
    ):
        return None  # items or totals changed: the status the profile has still stands
    when = _aware(at)
    assert when is not None
    return ActivityUpdate(
        customer, CART_STATUS_AT, when, {CART_STATUS: status, CART_STATUS_AT: when}
    )
