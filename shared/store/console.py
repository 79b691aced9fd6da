"""The console's reads: indexed queries with cursors, pages of 50, never a collection scan.

Every list here is an equality and/or a range on fields that ``firestore.indexes.json`` indexes
(or one field, indexed by default), ordered, limited to a page plus one (to know whether there
is a next page), resumed after a cursor: the last document id of the previous page, read back
as a snapshot for ``start_after``. Totals are aggregation queries (``count``, ``sum``): the
server counts index entries, no document is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.store.client import read
from shared.store.collections import (
    CONSENT_EVENTS,
    CONSOLE_ROLLUPS,
    CONVERSATIONS,
    HISTORY,
    INBOX,
    MESSAGES,
    ORDERS,
    PROFILES,
    SETTINGS,
    SHOP_SETTINGS,
    TICKETS,
)

if TYPE_CHECKING:
    from google.cloud.firestore import Client, CollectionReference, Query

PAGE = 50
_ID_LIMIT = 200  # longest document id a cursor or a search may name


@dataclass(frozen=True)
class Page:
    """One page of documents: (id, fields) in order, and the cursor of the next page."""

    rows: Sequence[tuple[str, dict[str, Any]]]
    next_cursor: str | None


def _filter(field: str, op: str, value: Any) -> Any:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    return FieldFilter(field, op, value)


def _usable_id(value: str | None) -> bool:
    return bool(value) and "/" not in str(value) and len(str(value)) <= _ID_LIMIT


def _page(
    collection: CollectionReference,
    query: Query,
    cursor: str | None,
    size: int = PAGE,
) -> Page:
    """``size`` documents of ``query`` after the document ``cursor`` (an id of ``collection``)."""
    if cursor and _usable_id(cursor):
        last = collection.document(cursor).get()
        if last.exists:
            query = query.start_after(last)
    snapshots = list(query.limit(size + 1).stream())
    rows = [(s.id, s.to_dict() or {}) for s in snapshots[:size]]
    more = len(snapshots) > size
    return Page(rows, rows[-1][0] if more and rows else None)


def console_language_setting(db: Client) -> str | None:
    """``settings/notifications.consoleLanguage`` as stored (None when absent)."""
    doc: dict[str, Any] = read(db.collection(SETTINGS).document(SHOP_SETTINGS)) or {}
    value = doc.get("consoleLanguage")
    return value if isinstance(value, str) else None


# -- notification_history ------------------------------------------------------------------------
def history_where(
    db: Client, field: str, values: Sequence[str], cursor: str | None, size: int = PAGE
) -> Page:
    """Messages whose ``field`` is one of ``values``, newest first (index ``field, createdAt``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    values = [v for v in values if v][:30]
    if not values:
        return Page((), None)
    collection = db.collection(HISTORY)
    op, value = ("==", values[0]) if len(values) == 1 else ("in", list(values))
    query = collection.where(filter=_filter(field, op, value)).order_by(
        "createdAt", direction=Query.DESCENDING
    )
    return _page(collection, query, cursor, size)


def history_document(db: Client, notification_id: str) -> dict[str, Any] | None:
    if not _usable_id(notification_id):
        return None
    return read(db.collection(HISTORY).document(notification_id))


def history_needing_a_look(
    db: Client, statuses: Sequence[str], since: datetime, cursor: str | None, size: int = PAGE
) -> Page:
    """Messages in ``statuses`` created since ``since``, newest first (``status, createdAt``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    collection = db.collection(HISTORY)
    query = (
        collection.where(filter=_filter("status", "in", list(statuses)))
        .where(filter=_filter("createdAt", ">=", since))
        .order_by("createdAt", direction=Query.DESCENDING)
    )
    return _page(collection, query, cursor, size)


@dataclass(frozen=True)
class Totals:
    """An aggregation over some history documents: how many, and sums of numeric fields."""

    count: int
    sums: dict[str, float]


def history_totals(
    db: Client, *, start: datetime, end: datetime, channel: str, sums: Sequence[str] = ()
) -> Totals:
    """``count`` (and ``sum`` of ``sums``) of one channel's messages created in ``[start, end)``:
    one aggregation query (index ``channel, createdAt``)."""
    query: Any = (
        db.collection(HISTORY)
        .where(filter=_filter("channel", "==", channel))
        .where(filter=_filter("createdAt", ">=", start))
        .where(filter=_filter("createdAt", "<", end))
    )
    aggregation = query.count(alias="count")
    for i, field in enumerate(sums):
        aggregation = aggregation.sum(field, alias=f"s{i}")
    results = {r.alias: r.value for batch in aggregation.get() for r in batch}
    return Totals(
        count=int(results.get("count") or 0),
        sums={field: float(results.get(f"s{i}") or 0) for i, field in enumerate(sums)},
    )


def history_created(
    db: Client, start: datetime, end: datetime | None = None
) -> list[dict[str, Any]]:
    """The ``channel``, ``status`` and SMS ``metadata`` of every message created in
    ``[start, end)`` (one range query on ``createdAt``, only those fields sent back): what a
    rollup counts. Meant for a day's messages, never a month's."""
    query: Any = db.collection(HISTORY).where(filter=_filter("createdAt", ">=", start))
    if end is not None:
        query = query.where(filter=_filter("createdAt", "<", end))
    query = query.select(["channel", "status", "metadata.segments", "metadata.cost"])
    return [s.to_dict() or {} for s in query.stream()]


def rollups(db: Client, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored overview rollups among ``ids`` (one batched read)."""
    collection = db.collection(CONSOLE_ROLLUPS)
    found: dict[str, dict[str, Any]] = {}
    for snapshot in db.get_all([collection.document(i) for i in ids if _usable_id(i)]):
        if snapshot.exists:
            found[snapshot.id] = snapshot.to_dict() or {}
    return found


def save_rollups(db: Client, docs: dict[str, dict[str, Any]]) -> None:
    """Store recounted rollups (one batch; the same counts written twice are harmless)."""
    if not docs:
        return
    collection = db.collection(CONSOLE_ROLLUPS)
    batch = db.batch()
    for rollup_id, doc in docs.items():
        batch.set(collection.document(rollup_id), doc)
    batch.commit()


# -- customers, tickets, orders, conversations --------------------------------------------------
def profiles_named(db: Client, prefix: str, limit: int = 10) -> list[tuple[str, dict[str, Any]]]:
    """Profiles whose ``displayName`` starts with ``prefix`` (a range on one field)."""
    if not prefix:
        return []
    query = (
        db.collection(PROFILES)
        .where(filter=_filter("displayName", ">=", prefix))
        .where(filter=_filter("displayName", "<", prefix + "\uf8ff"))
        .order_by("displayName")
        .limit(limit)
    )
    return [(s.id, s.to_dict() or {}) for s in query.stream()]


def profile_document(db: Client, customer_id: str) -> dict[str, Any] | None:
    if not _usable_id(customer_id):
        return None
    return read(db.collection(PROFILES).document(customer_id))


def _of_customer(db: Client, collection_name: str, customer_id: str, limit: int) -> Page:
    from google.cloud.firestore import Query  # noqa: PLC0415

    if not _usable_id(customer_id):
        return Page((), None)
    collection = db.collection(collection_name)
    query = collection.where(filter=_filter("customerId", "==", customer_id)).order_by(
        "createdAt", direction=Query.DESCENDING
    )
    return _page(collection, query, None, limit)


def tickets_of(db: Client, customer_id: str, limit: int = 20) -> Page:
    """The customer's latest tickets (index ``customerId, createdAt``)."""
    return _of_customer(db, TICKETS, customer_id, limit)


def orders_of(db: Client, customer_id: str, limit: int = 20) -> Page:
    """The customer's latest orders (index ``customerId, createdAt``)."""
    return _of_customer(db, ORDERS, customer_id, limit)


def conversation(db: Client, conversation_id: str, limit: int = PAGE) -> list[dict[str, Any]]:
    """The latest messages of a conversation, newest first (every message has ``at`` or one of
    ``receivedAt``; ordered by document time of creation via ``at`` then ``receivedAt``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    if not _usable_id(conversation_id):
        return []
    messages = db.collection(CONVERSATIONS).document(conversation_id).collection(MESSAGES)
    outbound = messages.order_by("at", direction=Query.DESCENDING).limit(limit)
    inbound = messages.order_by("receivedAt", direction=Query.DESCENDING).limit(limit)
    found: dict[str, dict[str, Any]] = {}
    for query in (outbound, inbound):
        for snapshot in query.stream():
            found[snapshot.id] = {"id": snapshot.id, **(snapshot.to_dict() or {})}
    return list(found.values())


# -- inbox, consent -----------------------------------------------------------------------------
def inbox_waiting(db: Client, cursor: str | None, size: int = PAGE) -> Page:
    """Open inbox items, newest first (index ``status, receivedAt``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    collection = db.collection(INBOX)
    query = collection.where(filter=_filter("status", "==", "open")).order_by(
        "receivedAt", direction=Query.DESCENDING
    )
    return _page(collection, query, cursor, size)


CONSENT_FILTERS = ("channel", "purpose", "action", "source", "customerId", "to")


def consent_events(
    db: Client, filters: dict[str, str], cursor: str | None, size: int = PAGE
) -> Page:
    """Consent events matching equality ``filters`` (fields of ``CONSENT_FILTERS``), newest
    first (indexes ``field, at``; several filters merge those indexes)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    collection = db.collection(CONSENT_EVENTS)
    query: Any = collection
    for field in CONSENT_FILTERS:
        value = filters.get(field)
        if value:
            query = query.where(filter=_filter(field, "==", value))
    query = query.order_by("at", direction=Query.DESCENDING)
    return _page(collection, query, cursor, size)
