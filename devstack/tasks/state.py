"""Every queue and task of the emulator, as the Cloud Tasks API methods see them.

One lock guards everything (each queue's dispatcher waits on a condition of it, see
``dispatch.py``). Errors are ``google.api_core`` ones; the servicer answers with their gRPC
status. Task names behave as in Cloud Tasks: a name in the queue, or dispatched, dropped or
deleted within the hour, is refused with ALREADY_EXISTS; ``PurgeQueue`` forgets them all.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable

from google.api_core import exceptions
from google.cloud import tasks_v2

from devstack.tasks import resources
from devstack.tasks.dispatch import QueueRuntime
from devstack.tasks.resources import Entry, api_error

log = logging.getLogger("tasks-emulator")


class Emulator:
    """The API's verbs over the queues; ``clock`` is the time in seconds since the epoch."""

    def __init__(self, default_deadline: float, clock: Callable[[], float] = time.time) -> None:
        self.default_deadline = default_deadline
        self._clock = clock
        self._lock = threading.Lock()
        self._queues: dict[str, QueueRuntime] = {}
        self._seq = itertools.count()

    # -- queues ------------------------------------------------------------------------------------
    def create_queue(self, parent: str, proto: tasks_v2.Queue) -> tasks_v2.Queue:
        resources.check_queue_name(proto.name, parent)
        with self._lock:
            if proto.name in self._queues:
                raise api_error(exceptions.AlreadyExists, f"Queue {proto.name} already exists")
            return self._add_queue(resources.normalized(proto))

    def update_queue(self, proto: tasks_v2.Queue, paths: list[str]) -> tasks_v2.Queue:
        """``UpdateQueue``, which creates the queue when it does not exist, as the API does."""
        resources.check_queue_name(proto.name)
        with self._lock:
            runtime = self._queues.get(proto.name)
            if runtime is None:
                return self._add_queue(resources.normalized(proto))
            runtime.configure(resources.updated(runtime.proto, proto, paths))
            log.info("queue %s updated: %s", runtime.id, runtime.describe())
            return resources.copy_of(runtime.proto)

    def _add_queue(self, proto: tasks_v2.Queue) -> tasks_v2.Queue:
        proto.state = tasks_v2.Queue.State(tasks_v2.Queue.State.RUNNING)
        runtime = QueueRuntime(proto, self._lock, self._clock, self.default_deadline)
        self._queues[proto.name] = runtime
        log.info("queue %s created: %s", runtime.id, runtime.describe())
        return resources.copy_of(proto)

    def get_queue(self, name: str) -> tasks_v2.Queue:
        with self._lock:
            return resources.copy_of(self._queue(name).proto)

    def list_queues(self, parent: str) -> list[tasks_v2.Queue]:
        with self._lock:
            return [
                resources.copy_of(runtime.proto)
                for name, runtime in sorted(self._queues.items())
                if name.startswith(f"{parent}/queues/")
            ]

    def delete_queue(self, name: str) -> None:
        with self._lock:
            self._queue(name).retire()
            del self._queues[name]

    def purge_queue(self, name: str) -> tasks_v2.Queue:
        """Every waiting task goes, and every remembered name (a local convenience: tests that
        reset the stack reuse their ids). Attempts on the wire finish and are not retried."""
        with self._lock:
            runtime = self._queue(name)
            runtime.purge()
            runtime.proto.purge_time = resources.when(self._clock())
            log.info("queue %s purged (%d attempts on the wire)", runtime.id, runtime.inflight)
            return resources.copy_of(runtime.proto)

    def set_paused(self, name: str, paused: bool) -> tasks_v2.Queue:
        with self._lock:
            runtime = self._queue(name)
            state = tasks_v2.Queue.State
            runtime.proto.state = state(state.PAUSED if paused else state.RUNNING)
            runtime.cond.notify_all()
            log.info("queue %s %s", runtime.id, "paused" if paused else "resumed")
            return resources.copy_of(runtime.proto)

    def close(self) -> None:
        with self._lock:
            for runtime in self._queues.values():
                runtime.retire()
            self._queues.clear()

    def _queue(self, name: str) -> QueueRuntime:
        runtime = self._queues.get(name)
        if runtime is None:
            raise api_error(exceptions.NotFound, f"Queue {name} does not exist")
        return runtime

    # -- tasks -------------------------------------------------------------------------------------
    def create_task(self, parent: str, task: tasks_v2.Task, view: int) -> tasks_v2.Task:
        with self._lock:
            runtime = self._queue(parent)
            now = self._clock()
            name = task.name or f"{parent}/tasks/{secrets.randbelow(10**19)}"
            stored = resources.new_task(parent, task, name, now)
            if name in runtime.tasks or runtime.tombstones.holds(name, now):
                message = f"Task {name} exists, or existed within the hour"
                raise api_error(exceptions.AlreadyExists, message)
            entry = Entry(stored, next(self._seq), stored.schedule_time.timestamp())
            runtime.add(entry)
            return resources.rendered(entry, view)

    def get_task(self, name: str, view: int) -> tasks_v2.Task:
        with self._lock:
            return resources.rendered(self._entry(name)[1], view)

    def list_tasks(self, parent: str, view: int) -> list[tasks_v2.Task]:
        """Every task still in the queue: waiting, or with an attempt on the wire."""
        with self._lock:
            entries = sorted(self._queue(parent).tasks.values(), key=lambda e: e.seq)
            return [resources.rendered(entry, view) for entry in entries]

    def delete_task(self, name: str) -> None:
        with self._lock:
            runtime, entry = self._entry(name)
            runtime.forget(entry)

    def run_task(self, name: str, view: int) -> tasks_v2.Task:
        """Dispatch now, whatever the schedule time, the rate limits or a pause (as the API
        does); a task whose attempt is on the wire is returned as it is."""
        with self._lock:
            runtime, entry = self._entry(name)
            if not entry.running:
                runtime.due.discard(name)
                job = runtime.start_attempt(entry, self._clock())
                threading.Thread(target=job, name=f"run-{runtime.id}", daemon=True).start()
            return resources.rendered(entry, view)

    def _entry(self, name: str) -> tuple[QueueRuntime, Entry]:
        runtime = self._queue(name.rsplit("/tasks/", 1)[0])
        entry = runtime.tasks.get(name)
        if entry is None:
            raise api_error(exceptions.NotFound, f"Task {name} does not exist")
        return runtime, entry
