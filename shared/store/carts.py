"""Firestore access for cart recovery: the sweep's queries, paging, claims, cancelling.

Reads are counted by the caller's ``Reads`` (documents returned, and queries run: Firestore
bills at least one read per query, even an empty one), so the sweep can report its cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import NotificationStatus
from shared.platform.log import get_logger
from shared.store.collections import CART_REMINDERS, CARTS, HISTORY, ORDERS

if TYPE_CHECKING:
    from google.cloud.firestore import (
        Client,
        CollectionReference,
        DocumentReference,
        DocumentSnapshot,
        Query,
    )

    Snapshot = DocumentSnapshot[DocumentReference]

log = get_logger(__name__)

REMINDER_TYPES = ("cart.reminder_1", "cart.reminder_2")
WAITING = (NotificationStatus.PENDING.value, NotificationStatus.SCHEDULED.value)


@dataclass
class Reads:
    """Documents read and queries run (thread-confined: one per sweep)."""

    documents: int = 0
    queries: int = 0
    billed: int = 0  # what Firestore charges: every document, and at least one per query

    def query(self, returned: int) -> None:
        self.queries += 1
        self.documents += returned
        self.billed += max(returned, 1)

    def get(self, count: int = 1) -> None:
        self.documents += count
        self.billed += count


def where(query: Query | CollectionReference, field: str, op: str, value: Any) -> Query:
    from google.cloud.firestore_v1.base_query import FieldFilter  # noqa: PLC0415

    return query.where(filter=FieldFilter(field, op, value))


def paginate(base: Query, field: str, *, page_size: int, reads: Reads) -> Iterator[Snapshot]:
    """Every document of ``base`` in ``field`` order, page by page.

    Each page starts after the last document of the one before (a query cursor: its ``field``
    value and its name, so ties across a page boundary are neither skipped nor repeated). The
    caller may change documents while iterating: one that leaves the query is simply not met
    again, and none is yielded twice.
    """
    cursor: Snapshot | None = None
    yielded: set[str] = set()
    while True:
        query = base.order_by(field).limit(page_size)
        if cursor is not None:
            query = query.start_after(cursor)
        docs = list(query.stream())
        reads.query(len(docs))
        for doc in docs:
            if doc.id not in yielded:
                yielded.add(doc.id)
                yield doc
        if len(docs) < page_size:
            return
        cursor = docs[-1]


def cancel_waiting_reminders(
    db: Client,
    cart_id: str,
    *,
    reason: str,
    keep_episode: str | None,
    now: datetime,
) -> list[str]:
    """Set this cart's still-waiting reminders (``pending``/``scheduled``) to ``cancelled``.

    Those of ``keep_episode`` are left alone. The update carries the read's update time as a
    precondition, so a reminder that a worker claimed meanwhile is not touched (delivery's live
    check cancels it then).
    """
    from google.api_core.exceptions import FailedPrecondition, NotFound  # noqa: PLC0415

    query = where(db.collection(HISTORY), "cartId", "==", cart_id)
    query = where(query, "status", "in", list(WAITING))
    cancelled: list[str] = []
    for snap in query.stream():
        doc = snap.to_dict() or {}
        if str(doc.get("type")) not in REMINDER_TYPES:
            continue
        if keep_episode is not None and doc.get("cartEpisode") == keep_episode:
            continue
        try:
            snap.reference.update(
                {
                    "status": NotificationStatus.CANCELLED.value,
                    "statusReason": reason,
                    "statusDetail": "the cart changed after this reminder was planned",
                    "cancelledAt": now,
                    "updatedAt": now,
                },
                option=db.write_option(last_update_time=snap.update_time),
            )
        except (FailedPrecondition, NotFound):
            log.info("reminder %s changed meanwhile; delivery re-checks it", snap.id)
            continue
        cancelled.append(snap.id)
    if cancelled:
        log.info("cancelled %d reminder(s) of cart %s (%s)", len(cancelled), cart_id, reason)
    return cancelled


def cart_ref(db: Client, cart_id: str) -> DocumentReference:
    return db.collection(CARTS).document(cart_id)


def reminder_ref(db: Client, claim_id: str) -> DocumentReference:
    """``cart_reminders/{cartId}_{episode}_{stage}``: one reminder's claim and outcome."""
    return db.collection(CART_REMINDERS).document(claim_id)


def due_carts(
    db: Client,
    stage: int,
    *,
    idle_before: datetime,
    reminded_before: datetime,
    reads: Reads,
    page_size: int,
) -> Iterator[Snapshot]:
    """Candidates for ``stage``: exactly the due carts (the index does the filtering)."""
    query = where(db.collection(CARTS), "status", "==", "active")
    if stage == 1:
        query = where(query, "reminderStage", "==", 0)
        query = where(query, "updatedAt", "<=", idle_before)
        return paginate(query, "updatedAt", page_size=page_size, reads=reads)
    query = where(query, "reminderStage", "==", 1)
    query = where(query, "lastReminderAt", "<=", reminded_before)
    return paginate(query, "lastReminderAt", page_size=page_size, reads=reads)


def stuck_reminders(db: Client, now: datetime, *, reads: Reads, limit: int) -> list[Snapshot]:
    """Reminder claims whose worker died before finishing (lease expired, still in progress)."""
    query = where(db.collection(CART_REMINDERS), "claim.state", "==", "in_progress")
    query = where(query, "claim.leaseExpiresAt", "<=", now)
    docs = list(query.order_by("claim.leaseExpiresAt").limit(limit).stream())
    reads.query(len(docs))
    return docs


def active_carts_of(db: Client, customer_id: str, limit: int = 20) -> Iterator[Snapshot]:
    """A customer's active carts (an order without ``cartId`` is attributed to one of them)."""
    query = where(db.collection(CARTS), "customerId", "==", customer_id)
    query = where(query, "status", "==", "active")
    yield from query.limit(limit).stream()


def reminders_created(
    db: Client, start: datetime, end: datetime, *, reads: Reads
) -> Iterator[Snapshot]:
    """Cart reminders created in ``[start, end)``, in creation order (the recovery report)."""
    query = where(db.collection(HISTORY), "type", "in", list(REMINDER_TYPES))
    query = where(query, "createdAt", ">=", start)
    query = where(query, "createdAt", "<", end)
    return paginate(query, "createdAt", page_size=500, reads=reads)


def get_carts(db: Client, ids: Sequence[str]) -> Iterator[Snapshot]:
    """Carts by id, in one round trip."""
    yield from db.get_all([db.collection(CARTS).document(i) for i in ids])


def get_orders(db: Client, ids: Sequence[str]) -> Iterator[Snapshot]:
    """Orders by id, in one round trip."""
    yield from db.get_all([db.collection(ORDERS).document(i) for i in ids])
