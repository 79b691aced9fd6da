"""Recovery: an order converts its cart, and counts as recovered when a reminder got there.

The cart is the order's ``cartId``; failing that, the same customer's ``active`` cart whose
reminder was sent within the attribution window (``attributionWindowDays``, default 5) before
the order. The cart becomes ``converted`` (``convertedOrderId``, ``convertedAt``), and
``recoveredOrderId``/``recoveredAt`` are set when one of its reminders had actually been sent
(``sent``, ``delivered`` or ``read`` in ``notification_history``) within the window. The
discount code the order carries is marked used. Every step is idempotent under redelivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.model.change import DocumentChange
from shared.model.enums import CartStatus, NotificationStatus, OrderStatus
from shared.model.status import REACHED
from shared.platform.clock import as_datetime
from shared.platform.errors import TransientError
from shared.platform.log import get_logger
from shared.rules.cart_episodes import cart_status
from shared.store import history
from shared.store.carts import REMINDER_TYPES, active_carts_of, cart_ref
from shared.store.client import ContendedError, compare_and_set
from shared.store.discounts import Redemption, redeem
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.store.carts import Snapshot

log = get_logger(__name__)

_WATCHED = ("cartId", "customerId", "discountCode")


class RecoveryConflictError(TransientError):
    """The cart kept changing while we were converting it; the order event is worth a retry."""


@dataclass(frozen=True)
class Recovery:
    """What an order did to carts: ``converted``, ``recovered``, ``already_converted``,
    ``converted_by_other_order`` or ``no_cart``; and its discount code, if any."""

    order_id: str
    outcome: str
    cart_id: str | None = None
    redemption: Redemption | None = None


def _text(value: Any) -> str | None:
    ok = isinstance(value, str) and value.strip() and "/" not in value
    return value.strip() if ok else None


def worth_a_look(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Only a new order, or one whose cart, customer or code changed, can recover a cart."""
    if OrderStatus(str(after.get("status") or "unknown")) is OrderStatus.CANCELLED:
        return False
    return before is None or any(before.get(k) != after.get(k) for k in _WATCHED)


def last_reminder_reaching(
    db: Client, cart_id: str, *, at: datetime, window: timedelta
) -> datetime | None:
    """When the latest reminder of this cart that reached the customer was sent, within
    ``window`` before ``at`` (``None``: no reminder counts)."""
    latest: datetime | None = None
    for snap in history.of_cart(db, cart_id):
        doc = snap.to_dict() or {}
        status = NotificationStatus(str(doc.get("status") or "unknown"))
        if doc.get("type") not in REMINDER_TYPES or status not in REACHED:
            continue
        sent_at = as_datetime(doc.get("sentAt"))
        if sent_at is not None and at - window <= sent_at <= at:
            latest = sent_at if latest is None else max(latest, sent_at)
    return latest


def _attributed_cart(
    db: Client, customer_id: str, *, at: datetime, window: timedelta
) -> Snapshot | None:
    """The customer's active cart reminded most recently within the window, if any."""
    best: tuple[datetime, Snapshot] | None = None
    for snap in active_carts_of(db, customer_id):
        reminded = as_datetime((snap.to_dict() or {}).get("lastReminderAt"))
        if reminded is None or not at - window <= reminded <= at:
            continue
        if best is None or reminded > best[0]:
            best = (reminded, snap)
    return best[1] if best else None


def conversion(
    cart: Mapping[str, Any] | None, *, order_id: str, at: datetime, reminded: bool
) -> dict[str, Any]:
    """The fields that convert ``cart`` for ``order_id`` (and credit the recovery when one of
    its reminders reached the customer); empty when there is nothing to change."""
    if cart is None:
        return {}
    converted_by = cart.get("convertedOrderId")
    if converted_by and converted_by != order_id:
        return {}
    update: dict[str, Any] = {}
    if cart_status(cart) is not CartStatus.CONVERTED:
        update["status"] = CartStatus.CONVERTED.value
    if not converted_by:
        update.update(convertedOrderId=order_id, convertedAt=at)
    if reminded and not cart.get("recoveredOrderId"):
        update.update(recoveredOrderId=order_id, recoveredAt=at)
    return update


def recover_cart(change: DocumentChange, *, db: Client, now: datetime) -> Recovery | None:
    """``orders/{id}`` written: convert (and maybe credit) the cart, mark the code used."""
    order = change.after
    if order is None or not worth_a_look(change.before, order):
        return None
    order_id = change.document_id
    at = change.time if change.before is None and change.time else now
    customer_id = _text(order.get("customerId"))
    redemption = None
    if order.get("discountCode"):
        redemption = redeem(
            db, order.get("discountCode"), order_id=order_id, customer_id=customer_id, at=at
        )
    window = timedelta(days=get_shop_settings(db).attribution_window_days)

    cart_id = _text(order.get("cartId"))
    snap: Snapshot | None = None
    if cart_id:
        found = cart_ref(db, cart_id).get()
        snap = found if found.exists else None
    elif customer_id:
        snap = _attributed_cart(db, customer_id, at=at, window=window)
    if snap is None:
        return Recovery(order_id, "no_cart", cart_id, redemption)
    reminded_at = last_reminder_reaching(db, snap.id, at=at, window=window)
    if not cart_id and reminded_at is None:
        return Recovery(order_id, "no_cart", None, redemption)  # nothing ties them

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        return conversion(current, order_id=order_id, at=at, reminded=reminded_at is not None)

    try:
        result = compare_and_set(snap.reference, decide, snapshot=snap)
    except ContendedError as exc:
        raise RecoveryConflictError(f"cart {snap.id} kept changing: {exc}") from exc
    if not result.fields:
        converted_by = (result.current or {}).get("convertedOrderId")
        outcome = (
            "no_cart"
            if result.current is None
            else "converted_by_other_order"
            if converted_by and converted_by != order_id
            else "already_converted"
        )
        return Recovery(order_id, outcome, snap.id, redemption)
    outcome = "recovered" if "recoveredOrderId" in result.fields else "converted"
    log.info(
        "order %s %s cart %s",
        order_id,
        outcome,
        snap.id,
        extra={"cartId": snap.id, "orderId": order_id},
    )
    return Recovery(order_id, outcome, snap.id, redemption)
