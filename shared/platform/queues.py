"""Deployment facts about Cloud Tasks queues: retry and rate configuration, read by the deploy step.

The code that enqueues and the script that creates queues both read this table, so the retry
budget that ``deliver_notification`` reasons about (its last attempt) is the one deployed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueConfig:
    """One Cloud Tasks queue: ``gcloud tasks queues create/update`` flags derive from it."""

    name: str
    max_attempts: int
    min_backoff_seconds: float
    max_backoff_seconds: float
    max_doublings: int
    max_dispatches_per_second: float
    max_concurrent_dispatches: int
    max_retry_duration_seconds: int = 0  # 0: bounded by attempts only

    def gcloud_flags(self) -> list[str]:
        """The flags of ``gcloud tasks queues create|update NAME``."""
        return [
            f"--max-attempts={self.max_attempts}",
            f"--min-backoff={self.min_backoff_seconds:g}s",
            f"--max-backoff={self.max_backoff_seconds:g}s",
            f"--max-doublings={self.max_doublings}",
            f"--max-dispatches-per-second={self.max_dispatches_per_second:g}",
            f"--max-concurrent-dispatches={self.max_concurrent_dispatches}",
            f"--max-retry-duration={self.max_retry_duration_seconds}s",
        ]


# Sends: retried after 10 s, 20 s, 40 s ... capped at 10 min (Cloud Tasks' RetryConfig formula);
# 8 attempts span about 20 minutes, long enough to ride out a provider incident, short enough
# that a "your phone is ready" is still timely.
NOTIFICATIONS_QUEUE = QueueConfig(
    name="notifications",
    max_attempts=8,
    min_backoff_seconds=10,
    max_backoff_seconds=600,
    max_doublings=5,
    max_dispatches_per_second=20,
    max_concurrent_dispatches=50,
)

QUEUES: tuple[QueueConfig, ...] = (NOTIFICATIONS_QUEUE,)


def queue_config(name: str) -> QueueConfig:
    """The config of a queue by name; an unknown name is the notifications queue's config."""
    return next((q for q in QUEUES if q.name == name), NOTIFICATIONS_QUEUE)
