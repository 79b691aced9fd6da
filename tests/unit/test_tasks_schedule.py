"""The Tasks emulator's pure decisions: backoff, giving up, due order, rate, names, headers."""

from __future__ import annotations

import pytest

from devstack.tasks import wire
from devstack.tasks.queues import retry_policy
from devstack.tasks.schedule import (
    DueQueue,
    RetryPolicy,
    TokenBucket,
    Tombstones,
    backoff_seconds,
    burst_size,
    gives_up,
    next_attempt_at,
)
from shared.platform.queues import NOTIFICATIONS_QUEUE, QueueConfig

# -- backoff ---------------------------------------------------------------------------------------
# The documented example of RetryConfig.max_doublings: 10 s min, 300 s max, 3 doublings.
DOCUMENTED = RetryPolicy(max_attempts=-1, min_backoff=10, max_backoff=300, max_doublings=3)


def test_backoff_follows_the_documented_example() -> None:
    waits = [backoff_seconds(DOCUMENTED, n) for n in range(1, 9)]

    assert waits == [10, 20, 40, 80, 160, 240, 300, 300]


# notifications: 10 s doubled 5 times (320 s), then +320 s steps, capped at 600 s; 8 attempts.
NOTIFICATIONS_WAITS = [10, 20, 40, 80, 160, 320, 600]


def test_notifications_queue_retries_seven_times_then_gives_up() -> None:
    policy = retry_policy(NOTIFICATIONS_QUEUE)
    now = 1_000_000.0
    first = now
    waits = []
    for attempts in range(1, 9):
        at = next_attempt_at(policy, attempts, first, now)
        if at is None:
            break
        waits.append(at - now)
        now = at

    assert waits == NOTIFICATIONS_WAITS
    assert next_attempt_at(policy, 8, first, now) is None


def test_backoff_scale_shrinks_min_and_max_backoff_only() -> None:
    policy = retry_policy(NOTIFICATIONS_QUEUE, backoff_scale=0.05)

    waits = [backoff_seconds(policy, n) for n in range(1, 8)]

    assert waits == pytest.approx([w * 0.05 for w in NOTIFICATIONS_WAITS])
    assert policy.max_attempts == NOTIFICATIONS_QUEUE.max_attempts


LINEAR = QueueConfig(
    name="linear",
    max_attempts=-1,
    min_backoff_seconds=10,
    max_backoff_seconds=45,
    max_doublings=0,
    max_dispatches_per_second=1,
    max_concurrent_dispatches=1,
)


@pytest.mark.parametrize(
    ("failed_attempts", "wait"),
    [(1, 10), (2, 20), (3, 30), (4, 40), (5, 45), (6, 45), (100, 45)],
)
def test_no_doublings_grows_linearly_by_min_backoff_up_to_max(
    failed_attempts: int, wait: float
) -> None:
    assert backoff_seconds(retry_policy(LINEAR), failed_attempts) == wait


def test_unlimited_attempts_and_no_retry_duration_never_give_up() -> None:
    policy = retry_policy(LINEAR)

    assert not gives_up(policy, attempts=10_000, first_attempt_at=0, now=10**9)
    assert next_attempt_at(policy, 10_000, 0, 10**9) == 10**9 + 45


# -- giving up: attempts and retry duration, "both satisfied" --------------------------------------
@pytest.mark.parametrize(
    ("max_attempts", "max_retry_duration", "attempts", "age", "expected"),
    [
        (3, 0, 2, 10**6, False),  # attempts alone: budget left
        (3, 0, 3, 0, True),  # attempts alone: used up
        (3, 60, 3, 59, False),  # attempts used, duration not yet: retried
        (3, 60, 3, 60, True),  # both reached
        (3, 60, 2, 3600, False),  # duration passed, attempts left: retried
        (-1, 60, 50, 59.9, False),  # duration alone: not yet
        (-1, 60, 1, 60, True),  # duration alone: passed
    ],
)
def test_retry_stops_when_every_set_limit_is_reached(
    max_attempts: int, max_retry_duration: float, attempts: int, age: float, expected: bool
) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, max_retry_duration=max_retry_duration)

    assert gives_up(policy, attempts, first_attempt_at=1000.0, now=1000.0 + age) is expected


# -- due order -------------------------------------------------------------------------------------
def test_due_tasks_come_oldest_schedule_time_first_ties_in_creation_order() -> None:
    due = DueQueue()
    due.push("late", at=50, seq=0)
    due.push("b-first-created", at=10, seq=1)
    due.push("future", at=500, seq=2)
    due.push("early", at=5, seq=3)
    due.push("b-second-created", at=10, seq=4)

    popped = [due.pop_due(now=100) for _ in range(5)]

    assert popped == ["early", "b-first-created", "b-second-created", "late", None]
    assert due.next_time() == 500
    assert due.pop_due(now=499.9) is None
    assert due.pop_due(now=500) == "future"
    assert due.next_time() is None


def test_a_discarded_or_rescheduled_name_leaves_no_trace() -> None:
    due = DueQueue()
    due.push("gone", at=1, seq=0)
    due.push("moved", at=2, seq=1)
    due.push("kept", at=3, seq=2)
    due.discard("gone")
    due.push("moved", at=10, seq=1)  # a retry: same task, later

    assert len(due) == 2
    assert "gone" not in due
    assert due.next_time() == 3
    assert [due.pop_due(now=100), due.pop_due(now=100), due.pop_due(now=100)] == [
        "kept",
        "moved",
        None,
    ]


def test_many_reschedules_do_not_grow_the_heap_without_bound() -> None:
    due = DueQueue()
    for n in range(10_000):
        due.push("retried", at=float(n), seq=0)

    assert len(due) == 1
    assert len(due._heap) < 200
    assert due.pop_due(now=10**6) == "retried"


# -- rate ------------------------------------------------------------------------------------------
def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2, burst=2, now=0)

    assert [bucket.take(0), bucket.take(0), bucket.take(0)] == [True, True, False]
    assert bucket.wait_time(0) == pytest.approx(0.5)
    assert bucket.wait_time(0.25) == pytest.approx(0.25)
    assert bucket.take(0.5)
    assert not bucket.take(0.5)
    assert bucket.take(10)
    assert bucket.take(10)
    assert not bucket.take(10)  # it saves up 2 at most


def test_token_bucket_with_a_slow_rate_waits_for_a_whole_token() -> None:
    bucket = TokenBucket(rate=0.5, burst=burst_size(0.5), now=0)

    assert bucket.take(0)
    assert bucket.wait_time(0) == pytest.approx(2.0)
    assert not bucket.take(1.9)
    assert bucket.take(2.0)


def test_token_bucket_reconfigured_keeps_at_most_the_new_burst() -> None:
    bucket = TokenBucket(rate=20, burst=20, now=0)
    bucket.reconfigure(rate=1, burst=1, now=0)

    assert bucket.take(0)
    assert not bucket.take(0)
    assert bucket.wait_time(0) == pytest.approx(1.0)


@pytest.mark.parametrize(("rate", "burst"), [(0.1, 1), (1, 1), (20, 20), (20.5, 21), (500, 100)])
def test_burst_size_is_a_second_of_tokens_capped(rate: float, burst: int) -> None:
    assert burst_size(rate) == burst


# -- names -----------------------------------------------------------------------------------------
def test_a_tombstone_holds_a_name_for_its_ttl_and_clear_forgets_it() -> None:
    names = Tombstones(ttl=3600)
    names.add("t-1", now=0)

    assert names.holds("t-1", 3599.9)
    assert not names.holds("t-1", 3600)
    assert not names.holds("other", 0)
    names.clear()
    assert not names.holds("t-1", 1)


# -- what goes on the wire -------------------------------------------------------------------------
def test_first_attempt_headers_replace_reserved_ones_and_carry_no_previous_response() -> None:
    headers = wire.dispatch_headers(
        {"Content-Type": "application/json", "User-Agent": "me", "X-CloudTasks-TaskName": "x"},
        queue_id="notifications",
        task_id="n-1-0",
        retry_count=0,
        execution_count=0,
        eta=1700000000.25,
        previous_response=None,
    )

    assert headers == {
        "Content-Type": "application/json",
        "User-Agent": "Google-Cloud-Tasks",
        "X-CloudTasks-QueueName": "notifications",
        "X-CloudTasks-TaskName": "n-1-0",
        "X-CloudTasks-TaskRetryCount": "0",
        "X-CloudTasks-TaskExecutionCount": "0",
        "X-CloudTasks-TaskETA": "1700000000.250000",
    }


def test_a_retry_says_the_previous_response() -> None:
    headers = wire.dispatch_headers(
        {},
        queue_id="q",
        task_id="t",
        retry_count=2,
        execution_count=1,
        eta=0,
        previous_response=503,
    )

    assert headers["X-CloudTasks-TaskPreviousResponse"] == "503"
    assert headers["X-CloudTasks-TaskRetryReason"] == ""
    assert headers["X-CloudTasks-TaskExecutionCount"] == "1"


@pytest.mark.parametrize(
    ("outcome", "counts_as_execution", "reported", "rpc_code"),
    [
        (wire.Outcome(200, 0.1), True, 200, 0),
        (wire.Outcome(404, 0.1), True, 404, 5),
        (wire.Outcome(429, 0.1), True, 429, 8),
        (wire.Outcome(503, 0.1), False, 503, 14),
        (wire.Outcome(500, 0.1), False, 500, 13),
        (wire.Outcome(None, 60, "no answer", timed_out=True), False, 504, 4),
        (wire.Outcome(None, 0.0, "ConnectionRefusedError"), False, 503, 14),
    ],
)
def test_outcomes_are_counted_and_reported_as_cloud_tasks_does(
    outcome: wire.Outcome, counts_as_execution: bool, reported: int, rpc_code: int
) -> None:
    assert outcome.handler_responded is counts_as_execution
    assert outcome.reported_status == reported
    assert outcome.rpc_status()[0] == rpc_code
