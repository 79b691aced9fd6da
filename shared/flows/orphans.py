"""Statuses that arrived before their send was recorded, applied once the send is known.

A provider can call back within milliseconds of accepting a message, before delivery has
written ``providerMessageId``; such a status is kept in ``provider_status_orphans``. The
scheduled sweep calls ``reconcile_orphans``: each orphan whose notification can now be found is
applied (forward-only, so order does not matter) and marked reconciled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.flows.statuses import apply_status, find_notification
from shared.model.enums import NotificationStatus, Provider
from shared.model.inbound import StatusUpdate
from shared.platform.clock import as_datetime
from shared.platform.log import get_logger
from shared.store import orphans

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)
BATCH = 200


def _update_of(doc: Mapping[str, Any]) -> StatusUpdate:
    return StatusUpdate(
        provider=Provider(str(doc.get("provider"))),
        message_id=str(doc.get("providerMessageId") or ""),
        provider_status=str(doc.get("providerStatus") or ""),
        status=NotificationStatus(str(doc.get("status") or "unknown")),
        at=as_datetime(doc.get("reportedAt")),
        error_code=doc.get("errorCode"),
        error_message=doc.get("errorMessage"),
        cost=doc.get("cost"),
        currency=doc.get("currency"),
        pricing=doc.get("pricing"),
        notification_hint=doc.get("notificationHint"),
    )


def reconcile_orphans(
    db: Client, *, now: datetime, queue: TaskQueue | None = None, limit: int = BATCH
) -> dict[str, int]:
    """Apply the orphans whose notification exists now; the rest wait for the next sweep."""
    applied = waiting = broken = 0
    for snapshot in orphans.waiting(db, limit):
        doc = snapshot.to_dict() or {}
        try:
            update = _update_of(doc)
            if not update.message_id or find_notification(db, update) is None:
                waiting += 1
                continue
            apply_status(db, update, now=now, queue=queue)
        except (ValueError, TypeError) as exc:  # a malformed orphan: set it aside, say why
            broken += 1
            orphans.mark(snapshot, {"reconcileError": str(exc)[:300]})
            continue
        orphans.mark(snapshot, {"reconciledAt": now})
        applied += 1
    if applied or broken:
        log.info("reconciled %d orphan statuses (%d malformed)", applied, broken)
    return {"orphansApplied": applied, "orphansWaiting": waiting, "orphansMalformed": broken}


def housekeeping(db: Client, *, now: datetime) -> dict[str, Any]:
    """What the scheduled sweep also does: statuses that outran their send. A failure here is
    reported in the sweep's summary (``orphansError``) and never fails the sweep itself."""
    try:
        return dict(reconcile_orphans(db, now=now))
    except Exception as exc:
        log.exception("orphan status reconciliation failed: %s", exc)
        return {"orphansError": type(exc).__name__}
