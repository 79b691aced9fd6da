"""Which customer events a ticket or order change means (pure mapping, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.model.enums import EventKey
from shared.rules.changes import order_events, payment_reminder_due, ticket_events

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
Doc = dict[str, Any]


def _ticket_keys(before: Doc | None, after: Doc | None) -> list[str]:
    events = ticket_events(before, after, completed_at=NOW, pickup_reminder_days=3)
    return [e.key.value for e in events]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, {"status": "received"}, ["ticket.received"]),
        (None, {}, ["ticket.received"]),
        (None, {"status": "in_repair"}, ["ticket.received"]),
        (None, {"status": "completed"}, ["ticket.completed", "ticket.pickup_reminder"]),
        ({"status": "received"}, {"status": "diagnosing"}, ["ticket.status_changed"]),
        ({"status": "diagnosing"}, {"status": "waiting_parts"}, ["ticket.status_changed"]),
        ({"status": "waiting_parts"}, {"status": "in_repair"}, ["ticket.status_changed"]),
        (
            {"status": "in_repair"},
            {"status": "completed"},
            ["ticket.completed", "ticket.pickup_reminder"],
        ),
        ({"status": "completed"}, {"status": "picked_up"}, []),
        ({"status": "in_repair"}, {"status": "cancelled"}, []),
        ({"status": "in_repair", "device": "a"}, {"status": "in_repair", "device": "b"}, []),
        ({"status": "in_repair"}, None, []),
        ({"status": "in_repair"}, {"status": "someday_new_status"}, []),
    ],
)
def test_ticket_change_maps_to_contract_event_keys(
    before: Doc | None, after: Doc | None, expected: list[str]
) -> None:
    assert _ticket_keys(before, after) == expected


def test_completed_ticket_schedules_pickup_reminder_after_configured_days() -> None:
    events = ticket_events(
        {"status": "in_repair"}, {"status": "completed"}, completed_at=NOW, pickup_reminder_days=5
    )
    reminder = next(e for e in events if e.key is EventKey.TICKET_PICKUP_REMINDER)
    assert reminder.due_at == NOW + timedelta(days=5)


def test_pickup_reminder_disabled_with_zero_days() -> None:
    events = ticket_events(
        {"status": "in_repair"}, {"status": "completed"}, completed_at=NOW, pickup_reminder_days=0
    )
    assert [e.key for e in events] == [EventKey.TICKET_COMPLETED]


def _order_keys(before: Doc | None, after: Doc | None) -> list[str]:
    events = order_events(before, after, now=NOW, payment_reminder_hours_before=24)
    return [e.key.value for e in events]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, {"status": "placed"}, ["order.placed"]),
        ({"status": "placed"}, {"status": "paid"}, []),
        ({"status": "paid"}, {"status": "shipped"}, ["order.shipped"]),
        ({"status": "shipped"}, {"status": "out_for_delivery"}, ["order.out_for_delivery"]),
        ({"status": "out_for_delivery"}, {"status": "delivered"}, ["order.delivered"]),
        ({"status": "placed"}, {"status": "cancelled"}, ["order.cancelled"]),
        ({"status": "shipped", "total": 1}, {"status": "shipped", "total": 2}, []),
        ({"status": "shipped"}, None, []),
    ],
)
def test_order_change_maps_to_contract_event_keys(
    before: Doc | None, after: Doc | None, expected: list[str]
) -> None:
    assert _order_keys(before, after) == expected


def test_new_order_with_pending_payment_gets_reminder_a_day_before_due() -> None:
    due = NOW + timedelta(days=3)
    events = order_events(
        None,
        {"status": "placed", "paymentStatus": "pending", "paymentDueAt": due},
        now=NOW,
        payment_reminder_hours_before=24,
    )
    assert [e.key for e in events] == [EventKey.ORDER_PLACED, EventKey.ORDER_PAYMENT_REMINDER]
    assert events[1].due_at == due - timedelta(hours=24)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ({"paymentStatus": "paid", "paymentDueAt": NOW + timedelta(days=2)}, None),
        ({"paymentStatus": "pending", "paymentDueAt": NOW - timedelta(hours=1)}, None),
        ({"paymentStatus": "pending"}, None),
        ({"paymentStatus": "pending", "paymentDueAt": "not a date"}, None),
        ({"paymentStatus": "pending", "paymentDueAt": NOW + timedelta(hours=2)}, NOW),
        (
            {
                "paymentStatus": "pending",
                "status": "cancelled",
                "paymentDueAt": NOW + timedelta(days=2),
            },
            None,
        ),
    ],
)
def test_payment_reminder_only_while_payment_pending_and_due_ahead(
    order: Doc, expected: datetime | None
) -> None:
    assert payment_reminder_due(order, hours_before=24, now=NOW) == expected
