"""Which reminder a cart is due for at a given time: pure, from the cart and the shop settings.

- first reminder: an ``active`` cart at stage 0 whose last activity is at least
  ``cart_reminder_1_delay`` old (default 2 hours);
- second reminder: an ``active`` cart at stage 1 whose last activity is at least
  ``cart_reminder_2_delay`` old (default 24 hours) *and* whose first reminder is at least the
  difference of the two delays old (default 22 hours). Without the second condition a cart
  found late (a sweep outage, a backlog at first deployment) would get both reminders within
  15 minutes; with the defaults and a cart reminded on time the two conditions coincide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.model.enums import CartStatus
from shared.model.shop import ShopSettings
from shared.platform.clock import as_datetime
from shared.rules.cart_episodes import cart_status, episode_of, reminder_stage


@dataclass(frozen=True)
class DueWindows:
    """The cut-offs of one sweep (inclusive): the sweep's queries use the same values."""

    first_idle_before: datetime
    second_idle_before: datetime
    second_reminded_before: datetime


def due_windows(shop: ShopSettings, now: datetime) -> DueWindows:
    first = shop.cart_reminder_1_delay
    second = max(shop.cart_reminder_2_delay, first)
    return DueWindows(
        first_idle_before=now - first,
        second_idle_before=now - second,
        second_reminded_before=now - (second - first),
    )


def due_stage(cart: Mapping[str, Any], windows: DueWindows) -> int | None:
    """The reminder stage (1 or 2) this cart is due for, or ``None``."""
    if cart_status(cart) is not CartStatus.ACTIVE:
        return None
    episode = episode_of(cart)
    updated_at = as_datetime(cart.get("updatedAt"))
    if episode is None or updated_at is None:
        return None
    stage = reminder_stage(cart)
    recorded = cart.get("reminderEpisode")
    if stage > 0 and recorded is not None and recorded != episode:
        return None  # activity since the last reminder: on_cart_written resets it to 0
    if stage == 0:
        return 1 if updated_at <= windows.first_idle_before else None
    if stage == 1:
        reminded_at = as_datetime(cart.get("lastReminderAt"))
        if updated_at > windows.second_idle_before:
            return None
        if reminded_at is not None and reminded_at > windows.second_reminded_before:
            return None
        return 2
    return None
