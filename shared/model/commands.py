"""The typed commands the HTTP targets parse their requests into (the boundary's output)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliverCommand:
    """``deliver_notification``: deliver this notification; ``task_retry_count`` is Cloud
    Tasks' count of earlier attempts of this task (None when the caller is not a queue)."""

    notification_id: str
    task_retry_count: int | None = None


@dataclass(frozen=True)
class SweepCommand:
    """``cart_sweep``: look for due carts now (Cloud Scheduler sends no parameters)."""
