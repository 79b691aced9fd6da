"""``consent_events``: every opt-in and opt-out, recorded once per cause (deterministic ids),
and read back as typed events (``shared.model.consent.ConsentEvent``).

Reads are equality queries on one field (``customerId``, ``to``: Firestore's automatic
single-field indexes) and sorted by the caller, ``in`` queries for many customers at once (a
campaign page whose profiles carry no ``consentState``), or the whole ledger page by page
(cursors) for an export or the state's backfill.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from shared.model.consent import ConsentEvent
from shared.store.client import create_if_absent
from shared.store.collections import CONSENT_EVENTS

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

# A customer's ledger is a handful of events; this bounds a pathological one (a script
# looping on STOP / START) without dropping the latest: queries are sorted here, so the bound
# is generous and the cost stays one query.
MAX_EVENTS = 500
PAGE_SIZE = 300
IN_LIMIT = 30  # values of one ``in`` filter
# Many customers' ledgers read two queries at a time: 7 queries for a page of 200 take 4 round
# trips instead of 2 (tens of ms on Firestore). The local emulator evaluates each ``in`` value
# as a pass over the whole collection and holds what it gathered until the query ends: four
# queries of 30 at once over a 10,000-event ledger exhausted its heap (queries failed as
# UNKNOWN after 25 to 30 s); two did not (docs/campaigns.md, "Cost").
LEDGER_THREADS = 2


def event_ref(db: Client, event_id: str) -> DocumentReference:
    return db.collection(CONSENT_EVENTS).document(event_id)


def record_event(db: Client, event_id: str, fields: Mapping[str, Any]) -> bool:
    """Create the consent event once: True when this call created it."""
    return create_if_absent(event_ref(db, event_id), fields)


def record(db: Client, event: ConsentEvent) -> bool:
    """Store ``event`` once (its id says its cause): True when this call created it."""
    return record_event(db, event.event_id, event.to_document())


def _where(db: Client, field: str, value: str) -> list[ConsentEvent]:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    query = db.collection(CONSENT_EVENTS).where(filter=FieldFilter(field, "==", value))
    return [
        ConsentEvent.from_document(s.id, s.to_dict() or {})
        for s in query.limit(MAX_EVENTS).stream()
        if s.exists
    ]


def of_customer(db: Client, customer_id: str) -> list[ConsentEvent]:
    """The events recorded for ``customerId`` (unordered)."""
    return _where(db, "customerId", customer_id) if customer_id and "/" not in customer_id else []


def of_address(db: Client, to: str) -> list[ConsentEvent]:
    """The events recorded for one E.164 number or email address (unordered), whoever they
    were attributed to: a walk-in's STOP is on no profile."""
    return _where(db, "to", to) if to else []


def of_customers(
    db: Client, customer_ids: Sequence[str]
) -> tuple[dict[str, list[ConsentEvent]], int]:
    """The events of each of ``customer_ids`` (``in`` queries of 30), and the documents read
    (an empty query is billed as one)."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    found: dict[str, list[ConsentEvent]] = {c: [] for c in customer_ids}
    ids = [c for c in customer_ids if c and "/" not in c]
    chunks = [ids[i : i + IN_LIMIT] for i in range(0, len(ids), IN_LIMIT)]

    def one(chunk: list[str]) -> list[Any]:
        query = db.collection(CONSENT_EVENTS).where(filter=FieldFilter("customerId", "in", chunk))
        return list(query.stream())

    reads = 0
    with ThreadPoolExecutor(max_workers=max(1, min(LEDGER_THREADS, len(chunks)))) as pool:
        for docs in pool.map(one, chunks):
            reads += max(len(docs), 1)
            for snap in docs:
                event = ConsentEvent.from_document(snap.id, snap.to_dict() or {})
                if event.customer_id in found:
                    found[event.customer_id].append(event)
    return found, reads


def _paged(query: Any, page_size: int) -> Iterator[ConsentEvent]:
    """The events of an ordered ``query``, one page (one query) at a time, each page after
    the last document of the one before (a cursor)."""
    query = query.limit(page_size)
    last = None
    while True:
        page = list((query.start_after(last) if last is not None else query).stream())
        for snapshot in page:
            yield ConsentEvent.from_document(snapshot.id, snapshot.to_dict() or {})
        if len(page) < page_size:
            return
        last = page[-1]


def by_customer(db: Client, *, page_size: int = PAGE_SIZE) -> Iterator[ConsentEvent]:
    """Every event that names a customer, in ``customerId`` order (then id): one customer's
    events come together."""
    query = db.collection(CONSENT_EVENTS).order_by("customerId").order_by("__name__")
    return _paged(query, page_size)


def every_event(db: Client, *, page_size: int = PAGE_SIZE) -> Iterator[ConsentEvent]:
    """The whole ledger, in document-id order."""
    return _paged(db.collection(CONSENT_EVENTS).order_by("__name__"), page_size)
