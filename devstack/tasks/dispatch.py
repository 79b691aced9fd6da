"""A queue at run time, and the thread that dispatches its tasks as Cloud Tasks does.

Each queue has a condition on the emulator's one lock and one dispatcher thread that sleeps
until the earliest schedule time, a new task, a finished attempt or a change of the queue (never
a polling loop), then starts every due task it may: oldest schedule time first, within the
queue's ``max_concurrent_dispatches`` and its token bucket. Attempts run on a pool of daemon
threads, so a hung target delays neither the other tasks nor a SIGTERM. The decisions (backoff,
giving up, order, rate) are ``schedule.py``'s; what goes on the wire is ``wire.py``'s.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import replace

from google.cloud import tasks_v2

from devstack.tasks import resources, schedule, wire
from devstack.tasks.resources import Entry

log = logging.getLogger("tasks-emulator")


class WorkerPool:
    """Daemon threads started on demand, at most ``size`` of them busy with attempts."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._idle:
                self._idle -= 1  # that worker is now promised to this job
            elif self._threads < self.size:
                self._threads += 1
                threading.Thread(target=self._work, name=self.name, daemon=True).start()
        self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:
                log.exception("an attempt failed inside the emulator")
            with self._lock:
                self._idle += 1

    def close(self) -> None:
        with self._lock:
            count, self._threads, self._idle = self._threads, 0, 0
        for _ in range(count):
            self._jobs.put(None)


class QueueRuntime:
    """One queue: its configuration, waiting tasks, recent names, attempts in flight."""

    def __init__(
        self,
        proto: tasks_v2.Queue,
        lock: threading.Lock,
        clock: Callable[[], float],
        default_deadline: float,
    ) -> None:
        self.proto = proto
        self.cond = threading.Condition(lock)
        self.clock = clock
        self.default_deadline = default_deadline
        self.due = schedule.DueQueue()
        self.tasks: dict[str, Entry] = {}
        self.tombstones = schedule.Tombstones()
        self.inflight = 0
        self.alive = True
        rates = proto.rate_limits
        self.bucket = schedule.TokenBucket(
            rates.max_dispatches_per_second, rates.max_burst_size, clock()
        )
        self.pool = WorkerPool(f"tasks-{self.id}", rates.max_concurrent_dispatches)
        self.policy = resources.retry_policy(proto)
        threading.Thread(target=self._run, name=f"dispatch-{self.id}", daemon=True).start()

    @property
    def id(self) -> str:
        return resources.short_id(self.proto.name)

    @property
    def paused(self) -> bool:
        return bool(self.proto.state == tasks_v2.Queue.State.PAUSED)

    def describe(self) -> str:
        rates, policy = self.proto.rate_limits, self.policy
        return (
            f"{rates.max_dispatches_per_second:g}/s, {rates.max_concurrent_dispatches} concurrent,"
            f" {policy.max_attempts} attempts, backoff {policy.min_backoff:g}s..."
            f"{policy.max_backoff:g}s (x2 {policy.max_doublings} times),"
            f" max retry duration {policy.max_retry_duration:g}s"
        )

    # Everything below runs with the lock held, except the attempts themselves.
    def configure(self, proto: tasks_v2.Queue) -> None:
        self.proto = proto
        rates = proto.rate_limits
        self.bucket.reconfigure(rates.max_dispatches_per_second, rates.max_burst_size, self.clock())
        self.pool.size = rates.max_concurrent_dispatches
        self.policy = resources.retry_policy(proto)
        self.cond.notify_all()

    def add(self, entry: Entry) -> None:
        self.tasks[entry.name] = entry
        self.due.push(entry.name, entry.schedule_at, entry.seq)
        self.cond.notify_all()

    def forget(self, entry: Entry) -> None:
        """The task leaves the queue; its name stays taken for a while."""
        del self.tasks[entry.name]
        self.due.discard(entry.name)
        self.tombstones.add(entry.name, self.clock())

    def purge(self) -> None:
        self.tasks.clear()
        self.due.clear()
        self.tombstones.clear()
        self.cond.notify_all()

    def retire(self) -> None:
        """The queue is deleted (or the emulator stops): its thread ends, nothing is retried."""
        self.alive = False
        self.purge()
        self.pool.close()

    def _run(self) -> None:
        with self.cond:
            while self.alive:
                self.cond.wait(self._dispatch_due(self.clock()))

    def _dispatch_due(self, now: float) -> float | None:
        """Start every attempt allowed now; how long to sleep (None: until woken)."""
        while True:
            if self.paused or self.inflight >= self.proto.rate_limits.max_concurrent_dispatches:
                return None
            due_at = self.due.next_time()
            if due_at is None:
                return None
            if due_at > now:
                return due_at - now
            wait = self.bucket.wait_time(now)
            if wait > 0:
                return wait
            name = self.due.pop_due(now)
            assert name is not None
            self.bucket.take(now)
            self.pool.submit(self.start_attempt(self.tasks[name], now))

    def start_attempt(self, entry: Entry, now: float) -> Callable[[], None]:
        """Count the attempt and build its request; the job returned sends it (unlocked)."""
        entry.attempts += 1
        entry.running = True
        entry.first_dispatch_at = entry.first_dispatch_at or now
        entry.last = resources.Attempt(schedule_at=entry.schedule_at, dispatch_at=now)
        self.inflight += 1
        request = entry.task.http_request
        deadline = self.default_deadline
        if "dispatch_deadline" in entry.task:
            deadline = resources.seconds(entry.task.dispatch_deadline)
        call = wire.HttpCall(
            method=tasks_v2.HttpMethod(request.http_method).name,
            url=request.url,
            headers=wire.dispatch_headers(
                dict(request.headers),
                queue_id=self.id,
                task_id=resources.short_id(entry.name),
                retry_count=entry.attempts - 1,
                execution_count=entry.executions,
                eta=entry.schedule_at,
                previous_response=entry.previous_status,
            ),
            body=bytes(request.body),
            deadline=deadline,
        )
        return lambda: self._attempt(entry, call)

    def _attempt(self, entry: Entry, call: wire.HttpCall) -> None:
        outcome = wire.send(call)
        with self.cond:
            self.inflight -= 1
            self.cond.notify_all()
            self._settle(entry, outcome, self.clock())

    def _settle(self, entry: Entry, outcome: wire.Outcome, now: float) -> None:
        entry.running = False
        current = self.alive and self.tasks.get(entry.name) is entry
        verdict = "done"
        if not current:
            verdict = "purged or deleted meanwhile: not retried"
        elif not outcome.ok:
            first = entry.first_dispatch_at or now
            retry_at = schedule.next_attempt_at(self.policy, entry.attempts, first, now)
            if retry_at is None:
                verdict = f"given up after {entry.attempts} attempts"
            else:
                verdict = f"retry in {retry_at - now:.2f}s"
                entry.schedule_at = retry_at
                self.due.push(entry.name, retry_at, entry.seq)
        self._log(entry, outcome, verdict)
        if not current:
            return
        code, message = outcome.rpc_status()
        assert entry.last is not None
        entry.last = replace(entry.last, response_at=now, code=code, message=message)
        entry.responses += outcome.status is not None
        entry.executions += outcome.handler_responded
        entry.previous_status = outcome.reported_status
        if entry.name not in self.due:  # done, or given up
            self.forget(entry)

    def _log(self, entry: Entry, outcome: wire.Outcome, verdict: str) -> None:
        task = resources.short_id(entry.name)
        latency_ms = round(outcome.latency * 1000, 1)
        fields = {
            "queue": self.id,
            "task": task,
            "attempt": entry.attempts,
            "status": outcome.status,
            "error": outcome.error or None,
            "latency_ms": latency_ms,
            "verdict": verdict,
        }
        level = logging.WARNING if verdict.startswith("given up") else logging.INFO
        answer = outcome.status if outcome.status is not None else outcome.error
        log.log(
            level,
            "dispatch %s/%s attempt %d: %s in %.0f ms, %s",
            self.id,
            task,
            entry.attempts,
            answer,
            latency_ms,
            verdict,
            extra={"fields": fields},
        )
