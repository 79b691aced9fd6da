"""What orders and carts keep on the profile for campaign audiences
(shared/rules/customer_activity.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.rules.customer_activity import cart_activity, order_activity

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ORDER = {"customerId": "C1", "status": "placed", "createdAt": AT - timedelta(minutes=5)}


def test_an_order_placed_moves_last_order_at_to_its_creation() -> None:
    update = order_activity(None, ORDER, AT)
    assert update is not None
    assert (update.customer_id, dict(update.fields)) == ("C1", {"lastOrderAt": ORDER["createdAt"]})
    assert update.decide({}) == {"lastOrderAt": ORDER["createdAt"]}
    # Only forward: a profile that knows a later order keeps it; a replay writes nothing.
    assert update.decide({"lastOrderAt": AT}) is None
    assert update.decide({"lastOrderAt": ORDER["createdAt"]}) is None
    assert update.decide({"lastOrderAt": (AT - timedelta(days=9)).replace(tzinfo=None)}) == {
        "lastOrderAt": ORDER["createdAt"]
    }
    assert update.decide(None) is None  # no profile: none is created


def test_order_updates_cancelled_orders_and_unusable_customers_change_nothing() -> None:
    assert order_activity(ORDER, {**ORDER, "status": "shipped"}, AT) is None
    assert order_activity(None, {**ORDER, "status": "cancelled"}, AT) is None
    assert order_activity(None, {**ORDER, "customerId": "a/b"}, AT) is None
    assert order_activity(None, {**ORDER, "customerId": 42}, AT) is None
    assert order_activity(ORDER, None, AT) is None
    moved = order_activity(ORDER, {**ORDER, "customerId": "C2"}, AT)
    assert moved is not None
    assert moved.customer_id == "C2"
    undated = order_activity(None, {"customerId": "C1", "createdAt": "soon"}, AT)
    assert undated is not None
    assert undated.at == AT


def test_a_cart_sets_the_cart_status_when_created_or_when_its_status_moves() -> None:
    cart = {"customerId": "C1", "status": "active", "items": []}
    created = cart_activity(None, cart, AT)
    assert created is not None
    assert dict(created.fields) == {"cartStatus": "active", "cartStatusAt": AT}
    assert cart_activity(cart, {**cart, "items": [{"sku": "X"}]}, AT) is None
    converted = cart_activity(cart, {**cart, "status": "converted"}, AT + timedelta(hours=1))
    assert converted is not None
    assert converted.decide({"cartStatus": "active", "cartStatusAt": AT}) == {
        "cartStatus": "converted",
        "cartStatusAt": AT + timedelta(hours=1),
    }
    # A late, older event never hides the newer status.
    assert (
        created.decide({"cartStatus": "converted", "cartStatusAt": AT + timedelta(hours=1)}) is None
    )
    assert cart_activity(None, {**cart, "status": "abandoned?"}, AT) is None
