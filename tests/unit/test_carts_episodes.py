"""Abandonment episodes: what a cart write means, decided on before/after/current snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.flows.carts.reminders import still_wanted
from shared.rules.cart_episodes import (
    CART_ACTIVITY,
    CART_CONVERTED,
    CART_DELETED,
    Cancel,
    abandoned_reason,
    customer_activity,
    episode_key,
    episode_of,
    reminder_stage,
    upkeep,
)

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=5)
ITEMS = [{"sku": "A", "name": "Case", "quantity": 1, "price": 15.0}]


def cart(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customerId": "c1",
        "items": ITEMS,
        "total": 15.0,
        "currency": "EUR",
        "status": "active",
        "updatedAt": T0,
        "reminderStage": 0,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def reminded(stage: int = 1, **fields: Any) -> dict[str, Any]:
    return cart(reminderStage=stage, reminderEpisode=episode_key(T0), **fields)


def test_episode_is_updated_at_in_microseconds_and_changes_only_with_it() -> None:
    assert episode_key(datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=UTC)) == "1000005"
    assert episode_of(cart()) == episode_of(cart(reminderStage=2, discountCode="X"))
    assert episode_of(cart()) != episode_of(cart(updatedAt=T0 + timedelta(microseconds=1)))
    assert episode_of(cart(updatedAt=T0.isoformat())) == episode_of(cart())
    assert episode_of(cart(updatedAt=None)) is None


@pytest.mark.parametrize(
    ("value", "stage"),
    [(0, 0), (1, 1), (2, 2), (None, 0), (3, 0), (-1, 0), (True, 0), ("1", 0), (1.0, 1), (1.5, 0)],
)
def test_reminder_stage_reads_absent_or_invalid_as_zero(value: Any, stage: int) -> None:
    assert reminder_stage(cart(reminderStage=value)) == stage


@pytest.mark.parametrize(
    ("after", "activity"),
    [
        (cart(), False),
        (reminded(), False),  # our own write: stage and episode
        (cart(discountCode="ABCD2345", lastReminderAt=NOW), False),
        (cart(updatedAt=T0 + timedelta(minutes=1)), True),
        (cart(items=[*ITEMS, {"sku": "B", "quantity": 2}]), True),
        (cart(status="converted"), False),
    ],
)
def test_only_updated_at_or_items_count_as_customer_activity(
    after: dict[str, Any], activity: bool
) -> None:
    assert customer_activity(cart(), after) is activity


def test_new_cart_without_stage_gets_stage_zero_so_the_sweep_query_finds_it() -> None:
    new = cart(reminderStage=None)
    decision = upkeep(None, new, new, event_time=NOW)
    assert decision.updates == {"reminderStage": 0}
    assert decision.cancel is None


def test_cart_without_updated_at_gets_the_event_time() -> None:
    new = cart(updatedAt=None)
    decision = upkeep(None, new, new, event_time=NOW)
    assert decision.updates == {"updatedAt": NOW}


def test_a_consistent_cart_needs_nothing() -> None:
    for after in (cart(), reminded(1), reminded(2, discountCode="ABCD2345")):
        decision = upkeep(cart(), after, after, event_time=NOW)
        assert not decision.writes
        assert decision.cancel is None


def test_activity_after_a_reminder_starts_a_new_episode_and_cancels_older_reminders() -> None:
    before = reminded(1)
    after = reminded(1, updatedAt=T0 + timedelta(hours=4))
    decision = upkeep(before, after, after, event_time=NOW)
    assert decision.updates == {"reminderStage": 0}
    assert decision.deletes == ("reminderEpisode",)
    new_episode = episode_key(T0 + timedelta(hours=4))
    assert decision.cancel == Cancel(CART_ACTIVITY, keep_episode=new_episode)


def test_items_changed_without_updated_at_moves_updated_at_so_the_episode_changes() -> None:
    before = reminded(2)
    after = reminded(2, items=[*ITEMS, {"sku": "B", "quantity": 1}])
    decision = upkeep(before, after, after, event_time=NOW)
    assert decision.updates == {"updatedAt": NOW, "reminderStage": 0}
    assert decision.cancel == Cancel(CART_ACTIVITY, keep_episode=episode_key(NOW))


def test_our_own_stage_write_is_not_activity() -> None:
    decision = upkeep(cart(), reminded(1), reminded(1), event_time=NOW)
    assert not decision.writes
    assert decision.cancel is None


def test_a_stage_written_for_an_episode_that_already_ended_is_reset() -> None:
    # The sweep read the cart, the customer came back, then the sweep's stage write landed.
    customer_came_back = cart(updatedAt=T0 + timedelta(hours=3))
    late_sweep_write = {
        **customer_came_back,
        "reminderStage": 1,
        "reminderEpisode": episode_key(T0),
    }
    decision = upkeep(customer_came_back, late_sweep_write, late_sweep_write, event_time=NOW)
    assert decision.updates == {"reminderStage": 0}
    assert decision.deletes == ("reminderEpisode",)


def test_decisions_follow_the_current_cart_not_a_late_event() -> None:
    # A late event says the customer was active; meanwhile the sweep reminded the new episode.
    before = reminded(1)
    after = cart(updatedAt=T0 + timedelta(hours=1))
    current = {**after, "reminderStage": 1, "reminderEpisode": episode_of(after)}
    decision = upkeep(before, after, current, event_time=NOW)
    assert not decision.writes  # the new episode's stage stays
    assert decision.cancel == Cancel(CART_ACTIVITY, keep_episode=episode_of(after))


def test_converted_cart_cancels_every_waiting_reminder() -> None:
    converted = reminded(1, status="converted")
    decision = upkeep(reminded(1), converted, converted, event_time=NOW)
    assert decision.cancel == Cancel(CART_CONVERTED)
    assert not decision.writes


def test_converted_cart_never_reminded_has_nothing_to_cancel() -> None:
    decision = upkeep(cart(), cart(status="converted"), cart(status="converted"), event_time=NOW)
    assert decision.cancel is None


def test_deleted_cart_cancels_its_waiting_reminders() -> None:
    assert upkeep(reminded(2), None, None, event_time=NOW).cancel == Cancel(CART_DELETED)
    assert upkeep(cart(), None, None, event_time=NOW).cancel is None


@pytest.mark.parametrize(
    ("current", "reason"),
    [
        (None, "cart_deleted"),
        (reminded(1), None),
        (reminded(2), None),
        (cart(reminderStage=1), None),  # stage without episode (written by an older version)
        (reminded(1, status="converted"), "cart_converted"),
        (cart(), CART_ACTIVITY),  # back at stage 0: the customer came back
        (reminded(1, updatedAt=T0 + timedelta(hours=1)), CART_ACTIVITY),  # episode moved on
    ],
)
def test_delivery_cancels_a_reminder_whose_cart_is_no_longer_abandoned(
    current: dict[str, Any] | None, reason: str | None
) -> None:
    assert abandoned_reason(current) == reason


@pytest.mark.parametrize(
    ("current", "stage", "wanted"),
    [
        (cart(), 1, True),  # not yet recorded
        (reminded(1), 1, True),  # recorded, finishing it
        (cart(reminderStage=1), 1, True),  # recorded without episode (older version)
        (reminded(1), 2, True),
        (cart(), 2, False),  # stage 2 needs stage 1 first
        (reminded(2), 1, False),  # already past
        (cart(reminderStage=1, reminderEpisode="42"), 1, False),  # stage of another episode
        (cart(updatedAt=T0 + timedelta(seconds=1)), 1, False),  # the customer came back
        (cart(status="converted"), 1, False),
        (None, 1, False),
    ],
)
def test_a_claimed_reminder_is_finished_only_for_the_same_episode_and_next_stage(
    current: dict[str, Any] | None, stage: int, wanted: bool
) -> None:
    assert still_wanted(current, episode_key(T0), stage) is wanted
