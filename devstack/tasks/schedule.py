"""When the Tasks emulator dispatches: backoff, retry decision, due-task order, rate, names.

Pure and stdlib-only, so both virtual environments import it: the emulator (``.venv-tasks``,
protobuf 4) runs it, the main venv unit-tests it with tables and a fake clock. Every function
takes the time (``now``, seconds since the epoch) as an argument; nothing here reads a clock.

The rules are Cloud Tasks' own, from the ``google.cloud.tasks.v2.RetryConfig`` and
``RateLimits`` reference (https://cloud.google.com/tasks/docs/reference/rpc/google.cloud.tasks.v2):

- the retry interval "starts at min_backoff, then doubles max_doublings times, then increases
  linearly, and finally retries at intervals of max_backoff up to max_attempts times", the
  linear step being ``2**max_doublings * min_backoff`` (min 10 s, max 300 s, 3 doublings:
  10, 20, 40, 80, 160, 240, 300, 300 s ...);
- "Cloud Tasks stops retrying only when max_attempts and max_retry_duration are both
  satisfied"; -1 attempts and a 0 duration mean unlimited (a limit that is unlimited does not
  hold a task back once the other one is reached, as App Engine's ``task_retry_limit`` /
  ``task_age_limit`` work);
- dispatches are rate limited by a token bucket refilled at ``max_dispatches_per_second`` and
  holding at most ``max_burst_size`` tokens.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

# Cloud Tasks' own defaults for a queue created without them (``gcloud tasks queues describe``
# of a queue created with no flags shows these).
DEFAULT_MAX_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF = 0.1
DEFAULT_MAX_BACKOFF = 3600.0
DEFAULT_MAX_DOUBLINGS = 16
DEFAULT_MAX_DISPATCHES_PER_SECOND = 500.0
DEFAULT_MAX_CONCURRENT_DISPATCHES = 1000
MAX_BURST_SIZE = 100  # Cloud Tasks picks the burst from the rate without saying how: a local cap

# A task name stays taken this long after the task was dispatched, dropped or deleted (Cloud
# Tasks keeps it up to a day; an hour is enough locally, and PurgeQueue forgets them all).
TOMBSTONE_SECONDS = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """A queue's ``RetryConfig`` in seconds: what happens after a failed attempt."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # total attempts; -1: unlimited
    min_backoff: float = DEFAULT_MIN_BACKOFF
    max_backoff: float = DEFAULT_MAX_BACKOFF
    max_doublings: int = DEFAULT_MAX_DOUBLINGS
    max_retry_duration: float = 0.0  # since the first attempt; 0: unlimited


def backoff_seconds(policy: RetryPolicy, failed_attempts: int) -> float:
    """The wait before the next attempt of a task whose ``failed_attempts``-th attempt
    (1-based) just failed: ``min * 2**(n-1)`` for the first ``max_doublings`` doublings, then
    ``min * 2**max_doublings * (n - max_doublings)``, never above ``max_backoff``."""
    n = max(1, failed_attempts)
    doublings = max(0, policy.max_doublings)
    if n - 1 <= doublings:
        interval = policy.min_backoff * float(2 ** (n - 1))
    else:
        interval = policy.min_backoff * float(2**doublings) * (n - doublings)
    return min(interval, policy.max_backoff)


def gives_up(policy: RetryPolicy, attempts: int, first_attempt_at: float, now: float) -> bool:
    """True when a task attempted ``attempts`` times, first at ``first_attempt_at``, has used
    its retry budget: every limit the queue sets (attempts, retry duration) is reached."""
    attempts_limited = policy.max_attempts >= 0
    duration_limited = policy.max_retry_duration > 0
    if not attempts_limited and not duration_limited:
        return False
    attempts_done = not attempts_limited or attempts >= policy.max_attempts
    duration_done = not duration_limited or now - first_attempt_at >= policy.max_retry_duration
    return attempts_done and duration_done


def next_attempt_at(
    policy: RetryPolicy, attempts: int, first_attempt_at: float, now: float
) -> float | None:
    """When a task whose latest attempt just failed (at ``now``) is tried again; ``None``
    when the queue gives up on it."""
    if gives_up(policy, attempts, first_attempt_at, now):
        return None
    return now + backoff_seconds(policy, attempts)


def burst_size(max_dispatches_per_second: float) -> int:
    """The bucket size for a rate: one second's worth of tokens, between 1 and 100."""
    return max(1, min(MAX_BURST_SIZE, math.ceil(max_dispatches_per_second)))


class TokenBucket:
    """``max_dispatches_per_second`` as Cloud Tasks applies it: each dispatch takes a token,
    tokens come back at ``rate`` per second, at most ``burst`` are saved up (full at start)."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until a token is available (0: one is available now)."""
        self._refill(now)
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self, now: float) -> bool:
        """Take a token if one is available."""
        self._refill(now)
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def reconfigure(self, rate: float, burst: int, now: float) -> None:
        """New limits from ``UpdateQueue``; the tokens saved so far are kept (up to ``burst``)."""
        self._refill(now)
        self.rate = rate
        self.burst = burst
        self._tokens = min(self._tokens, float(burst))


class DueQueue:
    """Task names ordered by schedule time, then creation order: the next one to dispatch is
    the oldest due one, and the time of the earliest lets the dispatcher sleep until then.

    Removal is lazy (a name pushed again or discarded leaves a stale heap entry, skipped when
    it comes up), so every operation is O(log n) and nothing is ever scanned.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str]] = []
        self._live: dict[str, tuple[float, int]] = {}

    def push(self, name: str, at: float, seq: int) -> None:
        """Wait for ``at``; ``seq`` (the task's creation order) breaks ties."""
        self._live[name] = (at, seq)
        heapq.heappush(self._heap, (at, seq, name))
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [(a, s, n) for n, (a, s) in self._live.items()]
            heapq.heapify(self._heap)

    def discard(self, name: str) -> None:
        self._live.pop(name, None)

    def clear(self) -> None:
        self._heap.clear()
        self._live.clear()

    def next_time(self) -> float | None:
        """The schedule time of the earliest waiting name, if any."""
        self._prune()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> str | None:
        """The oldest name due at ``now`` (removed), or ``None`` if none is due."""
        self._prune()
        if not self._heap or self._heap[0][0] > now:
            return None
        _, _, name = heapq.heappop(self._heap)
        del self._live[name]
        return name

    def _prune(self) -> None:
        while self._heap:
            at, seq, name = self._heap[0]
            if self._live.get(name) == (at, seq):
                return
            heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, name: object) -> bool:
        return name in self._live


class Tombstones:
    """Names of tasks that were dispatched, dropped or deleted, refused again for a while."""

    def __init__(self, ttl: float = TOMBSTONE_SECONDS) -> None:
        self.ttl = ttl
        self._until: dict[str, float] = {}
        self._prune_at = 1024

    def add(self, name: str, now: float) -> None:
        self._until[name] = now + self.ttl
        if len(self._until) >= self._prune_at:  # expired names go, amortized O(1) per add
            self._until = {n: t for n, t in self._until.items() if t > now}
            self._prune_at = max(1024, 2 * len(self._until))

    def holds(self, name: str, now: float) -> bool:
        """True while ``name`` may not be reused."""
        return self._until.get(name, 0.0) > now

    def clear(self) -> None:
        self._until.clear()
