"""Reads an inbound message needs: who wrote (by phone, without a scan) and their latest news.

The customer behind a phone number: ``phone_index/{E164}`` first (one read), else an ``in``
query on ``customer_profiles.phoneNumber`` with the ways people type that number
(``phone_variants``), else the same on ``clients.phone`` (a walk-in, or a client whose profile
links it with ``clientId``). A profile found by query is written to ``phone_index`` so the next
message costs one read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.model.documents import ClientRecord, CustomerProfile, parse_client, parse_profile
from shared.model.enums import OrderStatus, TicketStatus
from shared.model.ids import is_firestore_id
from shared.platform.clock import as_datetime
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.rules.phones import PhoneError, PhoneKind, PhoneNumber, normalize_phone, phone_variants
from shared.store.client import read
from shared.store.collections import CLIENTS, ORDERS, PHONE_INDEX, PROFILES, TICKETS

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentSnapshot

log = get_logger(__name__)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

MAX_MATCHES = 5
MAX_HISTORY = 100  # tickets or orders read per customer to find the latest one
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLOSED_TICKETS = {TicketStatus.PICKED_UP, TicketStatus.CANCELLED}
_CLOSED_ORDERS = {OrderStatus.DELIVERED, OrderStatus.CANCELLED}


@dataclass(frozen=True)
class Customer:
    """Who wrote: a profile, a client record (walk-in), both, or neither (unknown number)."""

    phone: PhoneNumber
    customer_id: str | None = None
    profile: CustomerProfile | None = None
    client: ClientRecord | None = None

    @property
    def known(self) -> bool:
        return self.profile is not None or self.client is not None

    @property
    def name(self) -> str | None:
        if self.profile is not None and self.profile.display_name:
            return self.profile.display_name
        return self.client.name if self.client is not None else None

    @property
    def conversation_id(self) -> str:
        """``conversations/{customerId or E.164}``."""
        return self.customer_id or self.phone.e164


@dataclass(frozen=True)
class Record:
    """A ticket or an order, as a status answer needs it."""

    collection: str
    id: str
    data: Mapping[str, Any]
    updated: datetime

    @property
    def active(self) -> bool:
        status = str(self.data.get("status") or "")
        if self.collection == TICKETS:
            return TicketStatus(status) not in _CLOSED_TICKETS
        return OrderStatus(status) not in _CLOSED_ORDERS


def normalize_sender(raw: str, default_country: str) -> PhoneNumber | None:
    """``whatsapp:+336...``, ``+336...`` or a Meta ``wa_id`` (digits, no ``+``) -> E.164.

    Providers write senders in E.164 already: one our numbering metadata calls invalid (a range
    opened after the ``phonenumbers`` release) is still a person whose STOP must count, so it is
    kept as written. Short codes and alphanumeric senders give None.
    """
    text = raw.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :].strip()
    if text.isdigit() and not text.startswith("0"):  # a wa_id: international, without "+"
        text = "+" + text
    try:
        return normalize_phone(text, None, default_country)
    except PhoneError:
        if not _E164.fullmatch(text):
            return None
    return PhoneNumber(e164=text, region=_region_of(text), kind=PhoneKind.OTHER)


def _region_of(e164: str) -> str | None:
    """The region of an E.164 number's country code, valid number or not."""
    import phonenumbers  # noqa: PLC0415 - already loaded by shared.rules.phones

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    return None if region == phonenumbers.UNKNOWN_REGION else region


def _first_match(snapshots: Iterable[DocumentSnapshot[Any]]) -> DocumentSnapshot[Any] | None:
    """The match with the smallest id (deterministic when a number is on several records)."""
    found = sorted((s for s in snapshots if s.exists), key=lambda s: s.id)
    if len(found) > 1:
        log.warning("%d records share one phone number; using %s", len(found), found[0].id)
    return found[0] if found else None


def _by_phone(db: Client, collection: str, field: str, variants: Sequence[str]) -> Any:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    query = db.collection(collection).where(filter=FieldFilter(field, "in", list(variants)))
    return _first_match(query.limit(MAX_MATCHES).stream())


def _profile_of_client(db: Client, client_id: str) -> Any:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    query = db.collection(PROFILES).where(filter=FieldFilter("clientId", "==", client_id))
    return _first_match(query.limit(MAX_MATCHES).stream())


def _remember(db: Client, phone: PhoneNumber, customer_id: str, now: datetime) -> None:
    db.collection(PHONE_INDEX).document(phone.e164).set(
        {"customerId": customer_id, "updatedAt": now, "source": "inbound"}, merge=True
    )


def find_customer(db: Client, phone: PhoneNumber, *, now: datetime) -> Customer:
    """The profile and/or client record behind a phone number, found without a scan."""
    index = read(db.collection(PHONE_INDEX).document(phone.e164)) or {}
    indexed = index.get("customerId")
    if isinstance(indexed, str) and is_firestore_id(indexed):
        profile = parse_profile(indexed, read(db.collection(PROFILES).document(indexed)))
        if profile is not None:
            client = _linked_client(db, profile)
            return Customer(phone, indexed, profile, client)
    variants = phone_variants(phone.e164)
    snapshot = _by_phone(db, PROFILES, "phoneNumber", variants)
    if snapshot is not None:
        profile = parse_profile(snapshot.id, snapshot.to_dict())
        _remember(db, phone, snapshot.id, now)
        return Customer(phone, snapshot.id, profile, _linked_client(db, profile))
    client_snapshot = _by_phone(db, CLIENTS, "phone", variants)
    if client_snapshot is None:
        log.info("no customer for %s", mask_phone(phone.e164))
        return Customer(phone)
    client = parse_client(client_snapshot.id, client_snapshot.to_dict())
    linked = _profile_of_client(db, client_snapshot.id)
    if linked is None:
        return Customer(phone, None, None, client)
    _remember(db, phone, linked.id, now)
    return Customer(phone, linked.id, parse_profile(linked.id, linked.to_dict()), client)


def _linked_client(db: Client, profile: CustomerProfile | None) -> ClientRecord | None:
    client_id = profile.client_id if profile is not None else None
    if not client_id or not is_firestore_id(client_id):
        return None
    return parse_client(client_id, read(db.collection(CLIENTS).document(client_id)))


def _record(collection: str, snapshot: DocumentSnapshot[Any]) -> Record:
    data = snapshot.to_dict() or {}
    updated = (
        as_datetime(data.get("updatedAt"))
        or as_datetime(data.get("createdAt"))
        or as_datetime(snapshot.update_time)
        or _EPOCH
    )
    return Record(collection, snapshot.id, data, updated)


def _records(db: Client, collection: str, field: str, value: str) -> list[Record]:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    query = db.collection(collection).where(filter=FieldFilter(field, "==", value))
    return [_record(collection, s) for s in query.limit(MAX_HISTORY).stream() if s.exists]


def latest_record(db: Client, customer: Customer) -> Record | None:
    """The customer's most recent open ticket or order, else the most recent closed one.

    Read by ``customerId`` (and ``clientId`` for walk-in tickets) with equality filters only,
    sorted here: tickets and orders carry no timestamp the contract guarantees to order by.
    """
    found: dict[tuple[str, str], Record] = {}
    if customer.customer_id:
        for collection in (TICKETS, ORDERS):
            for rec in _records(db, collection, "customerId", customer.customer_id):
                found[(collection, rec.id)] = rec
    if customer.client is not None and customer.client.id:
        for rec in _records(db, TICKETS, "clientId", customer.client.id):
            found[(TICKETS, rec.id)] = rec
    if not found:
        return None
    return max(found.values(), key=lambda r: (r.active, r.updated, r.id))


def ticket_by_number(db: Client, customer: Customer, candidates: Sequence[str]) -> Record | None:
    """One of the customer's tickets named in the message (its id, any letter case)."""
    ids: list[str] = []
    for token in candidates:
        for variant in (token, token.upper(), token.lower()):
            if variant not in ids and is_firestore_id(variant):
                ids.append(variant)
    if not ids or not customer.known:
        return None
    refs = [db.collection(TICKETS).document(i) for i in ids]
    for snapshot in db.get_all(refs):
        if not snapshot.exists:
            continue
        data = snapshot.to_dict() or {}
        mine = (customer.customer_id and data.get("customerId") == customer.customer_id) or (
            customer.client is not None and data.get("clientId") == customer.client.id
        )
        if mine:
            return _record(TICKETS, snapshot)
    return None
