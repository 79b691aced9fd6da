"""On the full stack, a real emulator write reaches the production trigger functions."""

from __future__ import annotations

from typing import Any

from devstack.stack import Stack
from tests.support.wait import wait_for


def _deliveries(stack: Stack, subject: str) -> list[dict[str, Any]]:
    return [e for e in stack.trigger_events() if e["subject"] == subject]


def test_a_ticket_write_is_delivered_to_on_ticket_written(
    clean_stack: Stack, firestore_client: Any, functions: dict[str, str], unique_id: str
) -> None:
    ticket = firestore_client.collection("tickets").document(f"T-{unique_id}")
    ticket.set({"clientName": "Awa", "clientPhone": "06 12 34 56 78", "status": "received"})
    ticket.update({"status": "diagnosing"})

    assert clean_stack.flush_triggers(30), clean_stack.trigger_stats()
    created, updated = wait_for(
        lambda: _deliveries(clean_stack, f"documents/tickets/T-{unique_id}"), timeout=10
    )

    for event in (created, updated):
        assert event["url"] == functions["on_ticket_written"]
        assert event["outcome"] == "delivered", event
        assert 200 <= event["status"] < 300
    assert [created["kind"], updated["kind"]] == ["create", "update"]


def test_orders_and_carts_go_to_their_own_functions(
    clean_stack: Stack, firestore_client: Any, functions: dict[str, str], unique_id: str
) -> None:
    firestore_client.collection("orders").document(f"O-{unique_id}").set({"status": "placed"})
    firestore_client.collection("carts").document(f"C-{unique_id}").set({"status": "active"})

    assert clean_stack.flush_triggers(30), clean_stack.trigger_stats()
    # The functions may write back to their document (a cart's reminder state), which is a
    # further event: look at the first one of each.
    order = _deliveries(clean_stack, f"documents/orders/O-{unique_id}")[0]
    cart = _deliveries(clean_stack, f"documents/carts/C-{unique_id}")[0]

    assert order["url"] == functions["on_order_written"]
    assert cart["url"] == functions["on_cart_written"]
    assert order["outcome"] == cart["outcome"] == "delivered"
