"""The profile's ``consentState``: the customer's own ledger, replayed and kept on their
profile, so the readers that go through customers by the hundred (a campaign page, the cart
sweep) and the live check at delivery read one document per customer instead of querying
``consent_events``.

The one writer is ``keep_consent_state``. It is called:

- by our own flows, once they have stored an event for a customer (``keep_state_for``: the
  preference page, the registration form and the counter through ``record_consent``, keywords,
  Meta's marketing preferences, a provider's refusal), so the state already says it when the
  flow returns;
- by ``on_consent_written`` for every event written, which folds in the events created from a
  device (as ``firestore.rules`` allow) and is the safety net for a flow that stored its event
  and failed before keeping the state (for our own events it finds them ``known``);
- by the backfill (``python -m scripts.consent_state``) for profiles written before the state
  existed.

It replays the whole of the customer's ledger each time, so a trigger delivered twice, late or
out of order writes the same state; of two replays racing, the one that saw fewer events never
overwrites the other (``shared.rules.consent.state_update``).

Readers use the state when the profile has one and the ledger otherwise (``facts_of``, and
``shared.flows.consent.facts_for_delivery``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby, islice
from typing import TYPE_CHECKING, Any

from shared.model.change import DocumentChange
from shared.model.consent import ConsentEvent, ConsentState
from shared.model.documents import CustomerProfile, as_text
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.rules.consent import ConsentFacts, replay_state, state_update
from shared.store import consent, customers
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


def keep_consent_state(
    db: Client,
    customer_id: str,
    *,
    now: datetime,
    event_id: str | None = None,
    events: Sequence[ConsentEvent] | None = None,
) -> str:
    """Replay ``customer_id``'s ledger onto their profile; what happened: ``written``,
    ``unchanged``, ``known`` (the state already counts ``event_id``), ``no_profile``.
    ``events``: the customer's whole ledger when the caller read it already (the backfill)."""
    snapshot = customers.profile_snapshot(db, customer_id)
    if snapshot is None:
        return "no_profile"  # a profile is never created for its consent; it gets one later
    stored = ConsentState.from_document((snapshot.to_dict() or {}).get("consentState"))
    if event_id is not None and stored is not None and stored.knows(event_id):
        return "known"
    ledger = list(events) if events is not None else consent.of_customer(db, customer_id)
    state = replay_state(ledger, now)

    def decide(current: Mapping[str, Any] | None) -> dict[str, Any]:
        return state_update(current, state)

    written = customers.keep_fields(db, customer_id, decide, snapshot=snapshot)
    return "written" if written else "unchanged"


def handle_consent_change(
    change: DocumentChange, *, db: Client | None = None, now: datetime | None = None
) -> Mapping[str, Any]:
    """A consent event was written: its customer's state replayed (events for a number or an
    address alone belong to no profile: the readers of those query the ledger)."""
    document = change.after if change.after is not None else change.before
    customer_id = as_text((document or {}).get("customerId"))
    if customer_id is None or "/" in customer_id:
        return {"outcome": "no_customer", "eventId": change.document_id}
    outcome = keep_consent_state(
        db or get_db(),
        customer_id,
        now=now or utcnow(),
        event_id=change.document_id if change.after is not None else None,
    )
    if outcome == "written":
        log.info("consent state kept", extra={"customerId": customer_id})
    return {"outcome": outcome, "customerId": customer_id, "eventId": change.document_id}


def keep_state_for(db: Client, event: ConsentEvent, *, now: datetime) -> str | None:
    """Keep the state of ``event``'s customer once a flow of ours has stored it (None: the
    event names no customer, the readers of a number's or an address's events query the
    ledger). Safe to call for an event stored before: its replay is ``known``."""
    customer_id = event.customer_id
    if not customer_id or "/" in customer_id:
        return None
    return keep_consent_state(db, customer_id, now=now, event_id=event.event_id)


# -- readers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """Each customer's ledger facts and the documents their ledger queries read (0 when every
    profile carried its state)."""

    by_customer: Mapping[str, ConsentFacts]
    reads: int


def facts_of(db: Client, profiles: Iterable[CustomerProfile]) -> Facts:
    """The ledger facts of ``profiles``: from their ``consentState``, or from the ledger for
    the profiles without one (``in`` queries, as many customers at once as one allows)."""
    facts: dict[str, ConsentFacts] = {}
    missing: list[str] = []
    for profile in profiles:
        if profile.consent_state is not None:
            facts[profile.id] = ConsentFacts.of_state(profile.consent_state)
        else:
            missing.append(profile.id)
    reads = 0
    if missing:
        ledgers, reads = consent.of_customers(db, missing)
        for customer_id in missing:
            facts[customer_id] = ConsentFacts.from_events(ledgers.get(customer_id, []))
    return Facts(facts, reads)


# -- the backfill -----------------------------------------------------------------------------


BACKFILL_THREADS = 8
BACKFILL_CHUNK = 200  # customers in flight at most (their events are held until written)


@dataclass
class Backfill:
    customers: int = 0
    written: int = 0
    no_profile: int = 0


def _by_customer(events: Iterator[ConsentEvent]) -> Iterator[tuple[str, list[ConsentEvent]]]:
    for customer_id, group in groupby(events, key=lambda e: e.customer_id or ""):
        if customer_id and "/" not in customer_id:
            yield customer_id, list(group)


def backfill(
    db: Client,
    *,
    now: datetime | None = None,
    page_size: int = 300,
    threads: int = BACKFILL_THREADS,
) -> Backfill:
    """Every profile with consent events gets its state: the ledger read once, in
    ``customerId`` order (a cursor, one page per query), each customer's events replayed
    together, a few customers at a time (each is a read and a write of their profile). Safe to
    run at any time and again (the state only moves to a newer replay)."""
    now = now or utcnow()
    done = Backfill()

    def one(item: tuple[str, list[ConsentEvent]]) -> str:
        return keep_consent_state(db, item[0], now=now, events=item[1])

    groups = _by_customer(consent.by_customer(db, page_size=page_size))
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        while chunk := list(islice(groups, BACKFILL_CHUNK)):
            for outcome in pool.map(one, chunk):
                done.customers += 1
                done.written += outcome == "written"
                done.no_profile += outcome == "no_profile"
    return done
