"""Staff retry or reroute a failed message from the console (issue 18).

Both go through the outbox like every message (a history document, then a Cloud Tasks task);
the console never calls a provider. What a click may do is ``shared.rules.manual_retry``.

- **Retry**: a new history document for the same message on the same channel, its id derived
  from the click's own id (a double click sends once), ``retryOf`` naming the original and
  ``staffId`` who asked; the original stays ``failed`` (statuses only move forward).
- **Reroute**: the original's planned fallback (its id derived from the original's: made once,
  whoever clicks and however often), ``staffId`` recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.outbox import Submitted, submit
from shared.model.enums import NotificationStatus
from shared.model.ids import notification_id
from shared.model.record import NotificationRecord
from shared.platform.errors import InvalidInputError
from shared.platform.log import get_logger
from shared.rules.manual_retry import may_reroute, may_retry
from shared.store import history

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)


class RetryRefusedError(InvalidInputError):
    """A retry or reroute that cannot be done; ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _original(db: Client, original_id: str) -> NotificationRecord:
    record = history.get(db, original_id)
    if record is None:
        raise RetryRefusedError("not_found", "there is no such message")
    return record


def retry(
    db: Client,
    original_id: str,
    *,
    click_id: str,
    staff_uid: str,
    now: datetime,
    queue: TaskQueue | None = None,
) -> Submitted:
    """Send the failed message ``original_id`` again on its channel, once per ``click_id``."""
    if not click_id or len(click_id) > 128:
        raise RetryRefusedError("no_click_id", "the click has no id of its own")
    record = _original(db, original_id)
    allowed = may_retry(record)
    if not allowed.ok:
        raise RetryRefusedError(allowed.reason, allowed.detail)
    source = f"retry:{click_id}"
    again = replace(
        record,
        notification_id=notification_id(source, record.type, record.channel.value),
        refs={**record.refs, "retryOf": original_id, "staffId": staff_uid},
        status=NotificationStatus.PENDING,
        status_reason="staff_retry",
        status_detail=f"retry of {original_id} asked by staff",
        source_event_id=source,
        scheduled_for=None,
        attempts=0,
        provider_message_id=None,
        fallback_id=None,
        ambiguous_since=None,
        error_code=None,
        created_at=None,
        sent_at=None,
    )
    [submitted] = submit([again], db=db, queue=queue, now=now)
    if submitted.created:
        log.info("staff %s retried %s as %s", staff_uid, original_id, again.notification_id)
    return submitted


def reroute(
    db: Client,
    original_id: str,
    *,
    staff_uid: str,
    now: datetime,
    queue: TaskQueue | None = None,
) -> Submitted:
    """Send the failed message ``original_id`` by its plan's next channel (once, ever)."""
    record = _original(db, original_id)
    allowed = may_reroute(record)
    fallback = record.fallback()
    if not allowed.ok or fallback is None:
        raise RetryRefusedError(allowed.reason, allowed.detail)
    fallback = replace(fallback, refs={**fallback.refs, "staffId": staff_uid})
    [submitted] = submit([fallback], db=db, queue=queue, now=now)
    if submitted.created:
        log.info("staff %s rerouted %s to %s", staff_uid, original_id, fallback.channel.value)
    return submitted
