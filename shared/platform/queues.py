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

# Campaign messages (issue 19): their own queue, so a broadcast never waits in front of a
# "your phone is ready". Its dispatch rate is the pacing: the deploy step sets it from the
# campaign settings (``shared.rules.campaign_pacing``); this default suits a small shop.
# Retries as the notifications queue's: the same delivery reasons about its last attempt.
CAMPAIGNS_QUEUE = QueueConfig(
    name="campaigns",
    max_attempts=NOTIFICATIONS_QUEUE.max_attempts,
    min_backoff_seconds=NOTIFICATIONS_QUEUE.min_backoff_seconds,
    max_backoff_seconds=NOTIFICATIONS_QUEUE.max_backoff_seconds,
    max_doublings=NOTIFICATIONS_QUEUE.max_doublings,
    max_dispatches_per_second=5,
    max_concurrent_dispatches=10,
)
# A campaign's own steps (a page of its audience planned, results refreshed): few and short,
# apart from both queues of messages so planning never waits behind the sends it makes.
CAMPAIGN_STEPS_QUEUE = QueueConfig(
    name="campaign-steps",
    max_attempts=20,
    min_backoff_seconds=5,
    max_backoff_seconds=300,
    max_doublings=4,
    max_dispatches_per_second=10,
    max_concurrent_dispatches=4,
)

QUEUES: tuple[QueueConfig, ...] = (NOTIFICATIONS_QUEUE, CAMPAIGNS_QUEUE, CAMPAIGN_STEPS_QUEUE)
CAMPAIGN_TYPE_PREFIX = "campaign."


def queue_config(name: str) -> QueueConfig:
    """The config of a queue by name; an unknown name is the notifications queue's config."""
    return next((q for q in QUEUES if q.name == name), NOTIFICATIONS_QUEUE)


def queue_for(notification_type: str) -> str:
    """The queue a notification's delivery tasks go on: campaigns apart from the service."""
    if notification_type.startswith(CAMPAIGN_TYPE_PREFIX):
        return CAMPAIGNS_QUEUE.name
    return NOTIFICATIONS_QUEUE.name
