"""One Meta webhook body: its statuses, messages, preference changes and template updates,
each handled alone.

Meta batches several records in one POST. One bad record never stops the others (as
Powertools' batch processing collects failures per record): a record that fails transiently
asks for the whole body again (Meta retries it; every step is idempotent, so the records that
went through do nothing the second time), one that fails for any other reason is logged with
its error and dropped, because a retry would meet the same error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from shared.model.inbound import MetaBatch
from shared.platform.errors import is_transient
from shared.platform.log import get_logger
from shared.platform.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)


@dataclass(frozen=True)
class BatchOutcome:
    """How many records went through, failed for good, or want the body again."""

    handled: int = 0
    failed: int = 0
    transient: int = 0

    @property
    def retry(self) -> bool:
        return self.transient > 0


def handle_batch(
    db: Client,
    batch: MetaBatch,
    *,
    settings: Settings,
    now: datetime,
    queue: TaskQueue | None = None,
) -> BatchOutcome:
    from shared.flows.inbound import handle_message  # noqa: PLC0415
    from shared.flows.inbound_consent import handle_preference  # noqa: PLC0415
    from shared.flows.statuses import apply_status  # noqa: PLC0415
    from shared.flows.templates_status import handle_template_update  # noqa: PLC0415

    jobs: list[tuple[str, Callable[[], object]]] = []
    jobs += [("status", partial(apply_status, db, u, now=now, queue=queue)) for u in batch.statuses]
    jobs += [
        ("message", partial(handle_message, db, m, settings=settings, now=now, queue=queue))
        for m in batch.messages
    ]
    jobs += [
        ("preference", partial(handle_preference, db, p, settings=settings, now=now))
        for p in batch.preferences
    ]
    jobs += [("template", partial(handle_template_update, db, t, now=now)) for t in batch.templates]
    handled = failed = transient = 0
    for what, work in jobs:
        try:
            work()
        except Exception as exc:
            if is_transient(exc):
                transient += 1
                log.warning("a Meta %s failed, asking for a retry: %s", what, exc)
            else:
                failed += 1
                log.exception("a Meta %s failed: %s", what, exc)
            continue
        handled += 1
    return BatchOutcome(handled, failed, transient)
