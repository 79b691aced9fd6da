"""Ordered per key, parallel across keys: the delivery discipline of the trigger router.

Events of one document go out one after the other, in arrival order (a retry holds the ones
behind it); events of different documents go out at once, up to ``workers`` together. Work
queued before ``drop_queued()`` is dropped when its turn comes; work already running finishes.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Item(Generic[T]):
    value: T
    generation: int


class Lanes(Generic[T]):
    """A pool of ``workers`` threads running ``handle`` on submitted items, per-key in order."""

    def __init__(
        self,
        handle: Callable[[T], None],
        *,
        workers: int,
        on_drop: Callable[[T], None] = lambda _: None,
    ) -> None:
        self._handle = handle
        self._on_drop = on_drop
        self._cond = threading.Condition()
        self._lanes: dict[str, deque[_Item[T]]] = {}
        self._ready: deque[str] = deque()
        self._running: set[str] = set()
        self._pending = 0  # queued + running
        self._generation = 0
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"lane-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, key: str, value: T) -> None:
        with self._cond:
            lane = self._lanes.setdefault(key, deque())
            lane.append(_Item(value, self._generation))
            self._pending += 1
            if key not in self._running and len(lane) == 1:
                self._ready.append(key)
            self._cond.notify_all()

    def drop_queued(self) -> None:
        """Everything queued so far is dropped instead of handled."""
        with self._cond:
            self._generation += 1

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is queued or running (True), or ``timeout`` seconds (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _next(self) -> tuple[str, _Item[T]] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._closed or bool(self._ready))
            if self._closed:
                return None
            key = self._ready.popleft()
            self._running.add(key)
            return key, self._lanes[key].popleft()

    def _done(self, key: str) -> None:
        with self._cond:
            self._running.discard(key)
            self._pending -= 1
            if self._lanes.get(key):
                self._ready.append(key)
            else:
                self._lanes.pop(key, None)
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            key, item = taken
            try:
                with self._cond:
                    stale = item.generation != self._generation
                if stale:
                    self._on_drop(item.value)
                else:
                    self._handle(item.value)
            except Exception:  # the handler reports its own failures; keep the worker alive
                logging.getLogger(__name__).exception("a lane handler failed")
            finally:
                self._done(key)
