"""``consent_events``: every opt-in and opt-out, recorded once per cause (deterministic ids),
and read back as typed events (``shared.model.consent.ConsentEvent``).

Reads are equality queries on one field (``customerId``, ``to``: Firestore's automatic
single-field indexes) and sorted by the caller, or the whole ledger page by page (cursors on the
document id) for an export.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def every_event(db: Client, *, page_size: int = PAGE_SIZE) -> Iterator[ConsentEvent]:
    """The whole ledger, in document-id order, one page (one query) at a time."""
    query = db.collection(CONSENT_EVENTS).order_by("__name__").limit(page_size)
    last = None
    while True:
        page = list((query.start_after(last) if last is not None else query).stream())
        for snapshot in page:
            yield ConsentEvent.from_document(snapshot.id, snapshot.to_dict() or {})
        if len(page) < page_size:
            return
        last = page[-1]
