"""The cart demo scenario, over HTTP on the stack, as ``make demo`` runs it."""

from __future__ import annotations

from devstack.scenarios.cart import ORDER_ID, run_cart_scenario
from devstack.stack import Stack


def test_cart_abandoned_reminded_twice_recovered_with_its_code_and_reported(
    clean_stack: Stack,
) -> None:
    result = run_cart_scenario(clean_stack, say=lambda _: None)

    assert result.sweep_summary["reminded_1"] == 1
    first, second = result.emails[:2]  # the order's confirmation may follow
    assert "Kikoi beach towel" in first[1]
    assert result.code is not None
    assert result.code in second[1]
    assert result.code_doc["percent"] == 10
    assert result.cart["status"] == "converted"
    assert result.cart["recoveredOrderId"] == ORDER_ID
    assert result.code_doc["orderId"] == ORDER_ID
    assert "4,050.00 KES" in result.report
