"""Once per process, at the boundary: the settings and JSON logging with every secret registered.

In the style of firebase-functions' init-once: the first request of an instance (whatever its
target) calls ``init()``; nothing below the boundary configures logging or reads the
environment for itself. ``Deps`` carries what a request's work needs besides the request (the
settings, a Firestore client, the task queue, a clock), the process-wide ones made lazily;
tests pass their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared.platform.clock import utcnow
from shared.platform.log import configure
from shared.platform.settings import Settings, get_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

_lock = threading.Lock()
_done = False


def init() -> Settings:
    """The process's settings, logging configured with all of its secrets (idempotent)."""
    global _done  # noqa: PLW0603 - one initialization per process
    settings = get_settings()
    if not _done:
        with _lock:
            if not _done:
                configure(settings.project, secrets=settings.secret_values())
                _done = True
    return settings


class Deps:
    """What handling needs besides the request; defaults are the process-wide ones, made lazily."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        db: Client | None = None,
        queue: TaskQueue | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._db = db
        self.queue = queue
        self.clock = clock or utcnow

    @property
    def db(self) -> Client:
        if self._db is None:
            from shared.store.client import get_db  # noqa: PLC0415 - only once work is accepted

            self._db = get_db()
        return self._db
