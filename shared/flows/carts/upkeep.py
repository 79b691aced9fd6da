"""``on_cart_written``: apply ``episodes.upkeep`` to the cart and cancel stale reminders.

Most cart writes need nothing (the decision on the event's own snapshot says so, without a
read). Otherwise the cart is read again and the decision taken on its current state, then
written with the read's update time as a precondition (``compare_and_set``): after a concurrent
write the decision is taken afresh on what is there now.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.change import DocumentChange
from shared.platform.errors import TransientError
from shared.platform.log import get_logger
from shared.rules.cart_episodes import upkeep
from shared.store.carts import cancel_waiting_reminders, cart_ref
from shared.store.client import ContendedError, compare_and_set

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


class CartChangedError(TransientError):
    """The cart kept being written while we were keeping it; the event is worth a retry."""


def keep_cart(change: DocumentChange, *, db: Client, now: datetime) -> dict[str, Any]:
    """Keep one cart's abandonment state honest after a write; a summary for the log."""
    from google.cloud.firestore import DELETE_FIELD  # noqa: PLC0415

    event_time = change.time or now
    decision = upkeep(change.before, change.after, change.after, event_time=event_time)
    fields: dict[str, Any] = {}
    if decision.writes and change.after is not None:

        def decide(current: dict[str, Any] | None) -> dict[str, Any]:
            nonlocal decision
            decision = upkeep(change.before, change.after, current, event_time=event_time)
            if not decision.writes or current is None:
                return {}
            return {**decision.updates, **dict.fromkeys(decision.deletes, DELETE_FIELD)}

        try:
            ref = cart_ref(db, change.document_id)
            fields = compare_and_set(ref, decide).fields
        except ContendedError as exc:
            raise CartChangedError(f"{change.path} kept changing: {exc}") from exc
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
