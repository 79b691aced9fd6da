"""Polling for things that happen in other processes (trigger deliveries, tasks, callbacks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """The condition did not hold in time; the message carries the last value seen."""


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Call ``predicate`` until it returns something truthy and return that; fail after
    ``timeout`` seconds with the last value (exceptions from ``predicate`` propagate)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeoutError(f"{message} not met within {timeout:.1f}s (last: {value!r})")
        time.sleep(interval)
