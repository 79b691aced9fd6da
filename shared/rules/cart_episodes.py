"""Abandonment episodes: pure decisions about a cart document (no I/O).

``updatedAt`` is the customer's last activity; our own writes (``reminderStage``,
``reminderEpisode``, ``discountCode``...) never change it, so they never count as activity.
The episode of a cart is ``updatedAt`` in microseconds since the epoch, as text: it changes
with customer activity and only then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.model.enums import CartStatus
from shared.platform.clock import as_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_STAGE = 2
# Reasons written as ``statusReason`` of cancelled reminders and returned by live checks.
CART_ACTIVITY = "cart_activity"
CART_CONVERTED = "cart_converted"
CART_DELETED = "cart_deleted"


def episode_key(updated_at: datetime) -> str:
    """The episode id of a cart last active at ``updated_at`` (exact, microseconds)."""
    aware = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
    return str((aware - EPOCH) // timedelta(microseconds=1))


def episode_of(cart: Mapping[str, Any] | None) -> str | None:
    """The cart's current episode, or ``None`` when it has no ``updatedAt``."""
    if cart is None:
        return None
    updated_at = as_datetime(cart.get("updatedAt"))
    return episode_key(updated_at) if updated_at else None


def raw_stage(cart: Mapping[str, Any] | None) -> int | None:
    """``reminderStage`` when it is a valid stage (0, 1, 2), else ``None``."""
    if cart is None:
        return None
    value = cart.get("reminderStage")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    stage = int(value)
    return stage if 0 <= stage <= MAX_STAGE and stage == value else None


def reminder_stage(cart: Mapping[str, Any] | None) -> int:
    """``reminderStage``, absent or invalid read as 0 (no reminder yet)."""
    return raw_stage(cart) or 0


def cart_status(cart: Mapping[str, Any] | None) -> CartStatus:
    return CartStatus(str((cart or {}).get("status") or "unknown"))


def _same(a: Any, b: Any) -> bool:
    """Equality of Firestore values, timestamps compared as instants."""
    if isinstance(a, datetime) or isinstance(b, datetime):
        return as_datetime(a) == as_datetime(b)
    return bool(a == b)


def items_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return not _same(before.get("items"), after.get("items"))


def customer_activity(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> bool:
    """Whether a write is the customer's doing: a changed ``updatedAt`` or ``items``."""
    if before is None or after is None:
        return False
    return not _same(before.get("updatedAt"), after.get("updatedAt")) or items_changed(
        before, after
    )


def abandoned_reason(cart: Mapping[str, Any] | None) -> str | None:
    """Why a cart reminder must not go out now (``None``: the cart is still abandoned).

    Used at delivery. A reminder is only ever planned after the sweep has recorded its stage
    and episode on the cart, so a cart back at stage 0, or whose episode moved on, means the
    customer came back since the reminder was planned.
    """
    if cart is None:
        return CART_DELETED
    status = cart_status(cart)
    if status is not CartStatus.ACTIVE:
        return f"cart_{status.value}"
    if reminder_stage(cart) == 0:
        return CART_ACTIVITY
    recorded = cart.get("reminderEpisode")
    if recorded is not None and recorded != episode_of(cart):
        return CART_ACTIVITY
    return None


@dataclass(frozen=True)
class Cancel:
    """Cancel this cart's waiting reminders, except those of ``keep_episode`` (if set)."""

    reason: str
    keep_episode: str | None = None


@dataclass(frozen=True)
class CartUpkeep:
    """What ``on_cart_written`` must do: fields to set, fields to delete, reminders to cancel."""

    updates: Mapping[str, Any] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    cancel: Cancel | None = None

    @property
    def writes(self) -> bool:
        return bool(self.updates or self.deletes)


def upkeep(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    current: Mapping[str, Any] | None,
    *,
    event_time: datetime,
) -> CartUpkeep:
    """Keep the abandonment state of a cart honest after one write.

    ``before``/``after`` are the event's snapshots (they tell what the write was); ``current``
    is the cart as it is now (events may arrive late or out of order, so what we write is
    decided on the current state and is idempotent).

    - a cart without ``reminderStage`` gets 0, so the sweep's equality query can find it; one
      without ``updatedAt`` gets the event time (the sweep needs an idle time);
    - items changed without ``updatedAt`` changing: ``updatedAt`` is moved to the event time
      (that was customer activity, and the episode must change with it);
    - a reminded active cart whose episode moved on goes back to stage 0, and the waiting
      reminders of older episodes are cancelled (``cart_activity``);
    - a cart that became ``converted`` (or was deleted) cancels all its waiting reminders.
    """
    previous_stage = max(reminder_stage(before), reminder_stage(after))
    if current is None:
        reminded = previous_stage > 0
        return CartUpkeep(cancel=Cancel(CART_DELETED) if reminded else None)

    updates: dict[str, Any] = {}
    updated_at = as_datetime(current.get("updatedAt"))
    if updated_at is None:
        updated_at = event_time
        updates["updatedAt"] = updated_at
    elif (
        before is not None
        and after is not None
        and items_changed(before, after)
        and _same(before.get("updatedAt"), after.get("updatedAt"))
        and _same(current.get("updatedAt"), after.get("updatedAt"))
        and not items_changed(after, current)
    ):
        updated_at = max(event_time, updated_at + timedelta(milliseconds=1))
        updates["updatedAt"] = updated_at
    episode = episode_key(updated_at)

    stage = raw_stage(current)
    if stage is None:
        updates["reminderStage"] = 0
        stage = 0

    deletes: tuple[str, ...] = ()
    cancel: Cancel | None = None
    status = cart_status(current)
    activity = customer_activity(before, after) or "updatedAt" in updates
    if status is CartStatus.ACTIVE:
        recorded = current.get("reminderEpisode")
        moved_on = recorded != episode if recorded is not None else activity
        if stage > 0 and moved_on:
            updates["reminderStage"] = 0
            if recorded is not None:
                deletes = ("reminderEpisode",)
        if activity and max(previous_stage, stage) > 0:
            cancel = Cancel(CART_ACTIVITY, keep_episode=episode)
    elif status is CartStatus.CONVERTED:
        became_converted = before is None or cart_status(before) is not CartStatus.CONVERTED
        if became_converted and max(previous_stage, stage) > 0:
            cancel = Cancel(CART_CONVERTED)
    return CartUpkeep(updates=updates, deletes=deletes, cancel=cancel)
