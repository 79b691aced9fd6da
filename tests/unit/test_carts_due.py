"""Which reminder a cart is due for: the sweep's in-memory double check of its queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.model.shop import ShopSettings
from shared.rules.cart_due import due_stage, due_windows
from shared.rules.cart_episodes import episode_key

NOW = datetime(2026, 11, 17, 14, 0, tzinfo=UTC)
DEFAULTS = due_windows(ShopSettings(), NOW)


def cart(
    idle: timedelta, stage: int = 0, reminded_ago: timedelta | None = None, **kw: Any
) -> dict[str, Any]:
    updated = NOW - idle
    doc: dict[str, Any] = {"status": "active", "updatedAt": updated, "reminderStage": stage}
    if stage:
        doc["reminderEpisode"] = episode_key(updated)
        doc["lastReminderAt"] = NOW - (
            reminded_ago if reminded_ago is not None else idle - timedelta(hours=2)
        )
    doc.update(kw)
    return doc


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("doc", "stage"),
    [
        (cart(1 * H), None),
        (cart(2 * H), 1),  # the cut-off is inclusive
        (cart(3 * H), 1),
        (cart(3 * H, status="converted"), None),
        (cart(3 * H, stage=1, reminded_ago=1 * H), None),
        (cart(23 * H, stage=1), None),
        (cart(24 * H, stage=1), 2),
        (cart(25 * H, stage=1), 2),
        (cart(30 * H, stage=2), None),
        # found late (a backlog): idle for days but first reminded 15 minutes ago: wait
        (cart(72 * H, stage=1, reminded_ago=timedelta(minutes=15)), None),
        (cart(72 * H, stage=1, reminded_ago=22 * H), 2),
        # a stage from an older episode: on_cart_written resets it, the sweep leaves it
        (cart(30 * H, stage=1, reminderEpisode="123"), None),
        ({"status": "active", "reminderStage": 0}, None),  # no updatedAt, no idle time
    ],
)
def test_due_stage_with_default_delays(doc: dict[str, Any], stage: int | None) -> None:
    assert due_stage(doc, DEFAULTS) == stage


def test_delays_come_from_shop_settings() -> None:
    shop = ShopSettings.from_document({"cartReminder1DelayHours": 1, "cartReminder2DelayHours": 4})
    windows = due_windows(shop, NOW)
    assert due_stage(cart(1 * H), windows) == 1
    assert due_stage(cart(4 * H, stage=1, reminded_ago=3 * H), windows) == 2
    assert due_stage(cart(4 * H, stage=1, reminded_ago=2 * H), windows) is None


def test_second_delay_shorter_than_first_is_read_as_equal() -> None:
    shop = ShopSettings.from_document({"cartReminder1DelayHours": 5, "cartReminder2DelayHours": 1})
    windows = due_windows(shop, NOW)
    assert windows.second_idle_before == windows.first_idle_before
    assert windows.second_reminded_before == NOW
