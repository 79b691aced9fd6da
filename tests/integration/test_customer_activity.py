"""On the stack, through the Firestore triggers: orders and carts keep the profile's
``lastOrderAt`` and ``cartStatus``, and a campaign's audience finds the customer by them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.stack import Stack
from shared.model.campaign import Audience
from shared.rules.campaign_audience import matches

pytestmark = pytest.mark.integration


def _profile(db: Any, customer_id: str) -> dict[str, Any]:
    return db.collection("customer_profiles").document(customer_id).get().to_dict() or {}


def test_orders_and_carts_keep_what_campaign_audiences_filter_on(
    clean_stack: Stack, firestore_client: Any, unique_id: str
) -> None:
    db = firestore_client
    customer = f"c-{unique_id}"
    db.collection("customer_profiles").document(customer).set(
        {
            "displayName": "Wanjiru",
            "country": "KE",
            "notificationPreferences": {"marketingEnabled": True},
        }
    )
    placed = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    older = placed - timedelta(days=40)
    db.collection("orders").document(f"O-{unique_id}").set(
        {"customerId": customer, "status": "placed", "createdAt": placed}
    )
    db.collection("carts").document(f"K-{unique_id}").set(
        {"customerId": customer, "status": "active", "items": [], "updatedAt": placed}
    )
    assert clean_stack.flush_triggers(60)
    # An older order arriving late, and a stranger's order, change nothing of hers.
    db.collection("orders").document(f"O-old-{unique_id}").set(
        {"customerId": customer, "status": "placed", "createdAt": older}
    )
    db.collection("orders").document(f"O-ghost-{unique_id}").set(
        {"customerId": f"nobody-{unique_id}", "status": "placed", "createdAt": placed}
    )
    assert clean_stack.flush_triggers(60)

    profile = _profile(db, customer)
    assert profile["lastOrderAt"] == placed
    assert profile["cartStatus"] == "active"
    assert not db.collection("customer_profiles").document(f"nobody-{unique_id}").get().exists
    recent_buyers = Audience.from_document(
        {"country": "KE", "lastOrderFrom": placed - timedelta(days=1), "cartStatus": "active"}
    )
    assert matches(recent_buyers, profile)

    db.collection("carts").document(f"K-{unique_id}").update({"status": "converted"})
    assert clean_stack.flush_triggers(60)
    assert _profile(db, customer)["cartStatus"] == "converted"
