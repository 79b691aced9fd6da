"""Firestore access for campaigns: the campaign document, its audience page by page, its
messages created in batches, and what its results count.

Every query is indexed (``firestore.indexes.json``) and bounded: the audience is read one page
per call (a cursor: the last document of the previous page), messages are counted with
aggregation queries (a read per thousand index entries, not one per message), and only the few
documents a figure needs one by one are read (failures, opt-outs, attributed orders).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.campaign import CAMPAIGN_MESSAGE
from shared.model.consent import ConsentEvent
from shared.model.ids import campaign_destination_id
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.rules.campaign_audience import AudienceQuery
from shared.store import history
from shared.store.client import compare_and_set, create_if_absent, read
from shared.store.collections import (
    CAMPAIGN_DESTINATIONS,
    CAMPAIGN_ORDERS,
    CAMPAIGN_PAGES,
    CAMPAIGNS,
    CONSENT_EVENTS,
    HISTORY,
    PROFILES,
)

if TYPE_CHECKING:
    from google.cloud.firestore import (
        Client,
        CollectionReference,
        DocumentReference,
        DocumentSnapshot,
        Query,
    )

    from shared.store.client import Decide, Written

    Snapshot = DocumentSnapshot[DocumentReference]

log = get_logger(__name__)
MAX_LISTED = 1000  # documents read one by one for one figure (failures, cancellations)


def _filter(field: str, op: str, value: Any) -> Any:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    return FieldFilter(field, op, value)


# -- the campaign document --------------------------------------------------------------------


def campaign_ref(db: Client, campaign_id: str) -> DocumentReference:
    return db.collection(CAMPAIGNS).document(campaign_id)


def get(db: Client, campaign_id: str) -> dict[str, Any] | None:
    """The campaign's fields, or None."""
    if not campaign_id or "/" in campaign_id:
        return None
    return read(campaign_ref(db, campaign_id))


def get_snapshot(db: Client, campaign_id: str) -> Snapshot | None:
    """The campaign's snapshot (its fields and update time), or None."""
    if not campaign_id or "/" in campaign_id:
        return None
    snap = campaign_ref(db, campaign_id).get()
    return snap if snap.exists else None


def change(
    db: Client, campaign_id: str, decide: Decide, *, snapshot: Snapshot | None = None
) -> Written:
    """Read-decide-write on the campaign (``compare_and_set``: concurrent writers decide again);
    ``snapshot``: what the caller read already (saves a read when nothing wrote since)."""
    return compare_and_set(campaign_ref(db, campaign_id), decide, snapshot=snapshot)


def create(db: Client, campaign_id: str, fields: Mapping[str, Any]) -> bool:
    return create_if_absent(campaign_ref(db, campaign_id), fields)


def update(db: Client, campaign_id: str, fields: Mapping[str, Any]) -> None:
    campaign_ref(db, campaign_id).update(dict(fields))


# -- the audience -------------------------------------------------------------------------------


def _audience(db: Client, query: AudienceQuery) -> Any:
    q: Any = db.collection(PROFILES)
    for field, op, value in query.filters:
        q = q.where(filter=_filter(field, op, value))
    return q


def _count(query: Any) -> int:
    """One aggregation query's count (a read per thousand index entries)."""
    result: Any = query.count().get()
    return int(result[0][0].value) if result and result[0] else 0


@dataclass(frozen=True)
class Page:
    """One page of profiles and where the next one starts (None: this was the last)."""

    profiles: list[tuple[str, dict[str, Any]]]
    next_cursor: str | None
    reads: int


def audience_page(db: Client, query: AudienceQuery, *, cursor: str | None, page_size: int) -> Page:
    """The profiles after ``cursor`` (a profile id), in index order, ``page_size`` of them."""
    q = _audience(db, query)
    if query.order_field:
        q = q.order_by(query.order_field)
    q = q.order_by("__name__").limit(page_size)
    reads = 0
    if cursor and not query.order_field:
        # Ordered by name only: the cursor is the last profile's reference, no read needed.
        q = q.start_after({"__name__": db.collection(PROFILES).document(cursor)})
    elif cursor:
        last = campaign_cursor(db, cursor)  # its lastOrderAt and name
        reads += 1
        if last is not None:
            q = q.start_after(last)
    docs = [s for s in q.stream() if s.exists]
    reads += max(len(docs), 1)
    profiles = [(s.id, s.to_dict() or {}) for s in docs]
    following = docs[-1].id if len(docs) == page_size else None
    return Page(profiles, following, reads)


def campaign_cursor(db: Client, profile_id: str) -> Snapshot | None:
    snap = db.collection(PROFILES).document(profile_id).get()
    return snap if snap.exists else None


def audience_count(db: Client, query: AudienceQuery) -> int:
    """How many profiles the indexed part of the audience matches (one aggregation query)."""
    return _count(_audience(db, query))


# -- the campaign's messages ----------------------------------------------------------------------


def create_messages(
    db: Client,
    campaign_id: str,
    records: Sequence[tuple[NotificationRecord, str | None]],
    now: datetime,
) -> list[tuple[NotificationRecord, bool, str, str | None]]:
    """Create each record's history document once, with the campaign's claim on its
    destination (``campaigns/{id}/destinations/{cd_...}``, when it has one) in the same commit:
    (record, created by this call, its status, the message that already holds the destination).

    One batched commit for the page; when any document exists already (a page run again,
    another page's customer with the same number) the batch is refused whole and each record is
    created on its own: an existing history document stays, and a destination another message
    holds is reported with that message's id and nothing written (the caller decides)."""
    from google.api_core.exceptions import AlreadyExists, Conflict  # noqa: PLC0415

    if not records:
        return []
    batch = db.batch()
    docs = [r.to_document(now) for r, _ in records]
    for (record, destination), doc in zip(records, docs, strict=True):
        if destination is not None:
            batch.create(_destination_ref(db, campaign_id, destination), _claim(record, now))
        batch.create(history.ref(db, record.notification_id), doc)
    try:
        batch.commit()
    except (AlreadyExists, Conflict):
        return [_create_one(db, campaign_id, r, d, now) for r, d in records]
    return [(r, True, str(d["status"]), None) for (r, _), d in zip(records, docs, strict=True)]


def _destination_ref(db: Client, campaign_id: str, destination: str) -> DocumentReference:
    destination_id = campaign_destination_id(campaign_id, destination)
    claims: CollectionReference = campaign_ref(db, campaign_id).collection(CAMPAIGN_DESTINATIONS)
    return claims.document(destination_id)


def _claim(record: NotificationRecord, now: datetime) -> dict[str, Any]:
    return {"notificationId": record.notification_id, "customerId": record.customer_id, "at": now}


def _create_one(
    db: Client, campaign_id: str, record: NotificationRecord, destination: str | None, now: datetime
) -> tuple[NotificationRecord, bool, str, str | None]:
    from google.api_core.exceptions import AlreadyExists, Conflict  # noqa: PLC0415

    if destination is None:
        created, status = history.create(db, record, now)
        return record, created, status.value, None
    batch = db.batch()
    batch.create(_destination_ref(db, campaign_id, destination), _claim(record, now))
    batch.create(history.ref(db, record.notification_id), record.to_document(now))
    try:
        batch.commit()
    except (AlreadyExists, Conflict):
        existing = read(history.ref(db, record.notification_id))
        if existing is not None:  # this customer's message, from a run before
            return record, False, str(existing.get("status") or "unknown"), None
        holder = read(_destination_ref(db, campaign_id, destination)) or {}
        owner = str(holder.get("notificationId") or "")
        if owner in ("", record.notification_id):  # pragma: no cover - written together
            created, status = history.create(db, record, now)
            return record, created, status.value, None
        return record, False, "", owner
    return record, True, record.status.value, None


def _messages(db: Client, campaign_id: str) -> Query:
    q: Query = db.collection(HISTORY).where(filter=_filter("campaignId", "==", campaign_id))
    return q


def count_by_status(db: Client, campaign_id: str, statuses: Iterable[str]) -> dict[str, int]:
    """Messages of the campaign per status: one aggregation query each."""
    out = {}
    for status in statuses:
        query = _messages(db, campaign_id).where(filter=_filter("status", "==", status))
        out[status] = _count(query)
    return out


def messages_in(
    db: Client, campaign_id: str, statuses: Sequence[str], *, limit: int = MAX_LISTED
) -> list[dict[str, Any]]:
    """Up to ``limit`` messages of the campaign in ``statuses`` (their fields)."""
    query = _messages(db, campaign_id).where(filter=_filter("status", "in", list(statuses)))
    return [s.to_dict() or {} for s in query.limit(limit).stream()]


def recent_outcomes(
    db: Client, campaign_id: str, statuses: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """The newest ``limit`` messages that reached an outcome (by ``updatedAt``)."""
    from google.cloud.firestore import Query as Q  # noqa: PLC0415

    query = (
        _messages(db, campaign_id)
        .where(filter=_filter("status", "in", list(statuses)))
        .order_by("updatedAt", direction=Q.DESCENDING)
        .limit(limit)
    )
    return [s.to_dict() or {} for s in query.stream()]


def held_page(
    db: Client, campaign_id: str, *, cursor: str | None, page_size: int
) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """A page of the campaign's messages still waiting (held by a pause, or not yet due), in
    id order after ``cursor``; and the next cursor (None: the last page)."""
    query = (
        _messages(db, campaign_id)
        .where(filter=_filter("status", "in", ["pending", "scheduled", "sending"]))
        .order_by("__name__")
        .limit(page_size)
    )
    if cursor:
        query = query.start_after({"__name__": history.ref(db, cursor)})
    docs = list(query.stream())
    following = docs[-1].id if len(docs) == page_size else None
    return [(s.id, s.to_dict() or {}) for s in docs], following


def message_of(db: Client, notification_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The messages with these ids that exist (one batched read)."""
    refs = [history.ref(db, n) for n in notification_ids]
    return {s.id: s.to_dict() or {} for s in db.get_all(refs) if s.exists} if refs else {}


def opt_outs_since(db: Client, since: datetime, *, limit: int = MAX_LISTED) -> list[ConsentEvent]:
    """Every opt-out recorded since ``since`` (shop-wide: they are few)."""
    query = (
        db.collection(CONSENT_EVENTS)
        .where(filter=_filter("action", "==", "opt_out"))
        .where(filter=_filter("at", ">=", since))
        .limit(limit)
    )
    return [ConsentEvent.from_document(s.id, s.to_dict() or {}) for s in query.stream()]


def campaign_messages_of(
    db: Client, customer_id: str, *, sent_after: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """A customer's campaign messages sent since ``sent_after`` (for an order's attribution)."""
    query = (
        db.collection(HISTORY)
        .where(filter=_filter("customerId", "==", customer_id))
        .where(filter=_filter("type", "==", CAMPAIGN_MESSAGE))
        .where(filter=_filter("sentAt", ">=", sent_after))
        .limit(20)
    )
    return [(s.id, s.to_dict() or {}) for s in query.stream()]


# -- pages and attributed orders (subcollections of the campaign) ------------------------------


def record_page(db: Client, campaign_id: str, page_id: str, fields: Mapping[str, Any]) -> None:
    """A planned page's summary (``set``: a page run twice writes the same)."""
    campaign_ref(db, campaign_id).collection(CAMPAIGN_PAGES).document(page_id).set(dict(fields))


def pages(db: Client, campaign_id: str) -> Iterator[dict[str, Any]]:
    for snap in campaign_ref(db, campaign_id).collection(CAMPAIGN_PAGES).stream():
        yield snap.to_dict() or {}


def attribute_order(db: Client, campaign_id: str, order_id: str, fields: Mapping[str, Any]) -> bool:
    """Record an order as the campaign's (once per order: ``create()``)."""
    ref = campaign_ref(db, campaign_id).collection(CAMPAIGN_ORDERS).document(order_id)
    return create_if_absent(ref, fields)


def attributed_orders(db: Client, campaign_id: str) -> list[dict[str, Any]]:
    return [
        s.to_dict() or {}
        for s in campaign_ref(db, campaign_id).collection(CAMPAIGN_ORDERS).stream()
    ]


def recent(db: Client, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """The latest campaigns, newest first (single-field order on ``createdAt``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    query = db.collection(CAMPAIGNS).order_by("createdAt", direction=Query.DESCENDING)
    return [(s.id, s.to_dict() or {}) for s in query.limit(limit).get()]
