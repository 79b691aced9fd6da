"""``on_cart_written``: apply ``episodes.upkeep`` to the cart and cancel stale reminders.

Most cart writes need nothing (the decision on the event's own snapshot says so, without a
read). Otherwise the cart is read again and the decision taken on its current state, then
written with the read's update time as a precondition: a concurrent write makes the event
fail transiently and Eventarc delivers it again, to decide afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.carts.episodes import upkeep
from shared.carts.store import CARTS, cancel_waiting_reminders
from shared.errors import TransientError
from shared.events import DocumentChange
from shared.log import get_logger

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


class CartChangedError(TransientError):
    """The cart was written again while we were keeping it; the event is worth a retry."""


def keep_cart(change: DocumentChange, *, db: Client, now: datetime) -> dict[str, Any]:
    """Keep one cart's abandonment state honest after a write; a summary for the log."""
    from google.api_core.exceptions import FailedPrecondition, NotFound  # noqa: PLC0415
    from google.cloud.firestore import DELETE_FIELD  # noqa: PLC0415

    event_time = change.time or now
    decision = upkeep(change.before, change.after, change.after, event_time=event_time)
    fields: dict[str, Any] = {}
    if decision.writes and change.after is not None:
        ref = db.collection(CARTS).document(change.document_id)
        snap = ref.get()
        current = snap.to_dict() if snap.exists else None
        decision = upkeep(change.before, change.after, current, event_time=event_time)
        if decision.writes and current is not None:
            fields = {**decision.updates, **dict.fromkeys(decision.deletes, DELETE_FIELD)}
            try:
                ref.update(fields, option=db.write_option(last_update_time=snap.update_time))
            except (FailedPrecondition, NotFound) as exc:
                raise CartChangedError(f"{change.path} changed meanwhile: {exc}") from exc
    cancelled: list[str] = []
    if decision.cancel is not None:
        cancelled = cancel_waiting_reminders(
            db,
            change.document_id,
            reason=decision.cancel.reason,
            keep_episode=decision.cancel.keep_episode,
            now=now,
        )
    if fields or cancelled:
        log.info(
            "cart %s kept: set %s, cancelled %d reminder(s)",
            change.document_id,
            sorted(fields),
            len(cancelled),
            extra={"cartId": change.document_id},
        )
    return {"path": change.path, "events": [], "set": sorted(fields), "cancelled": cancelled}
