"""Reads an inbound message needs: who wrote (by phone, without a scan) and their latest news.

The customer behind a phone number: ``phone_index/{E164}`` first (one read), else ``in``
queries on ``customer_profiles.phoneNumber`` and ``clients.phone`` with the ways people type
that number (``phone_variants``):

- one profile (with or without its own linked client record), or one client record alone (a
  walk-in, with the profile that links it by ``clientId`` if any): that customer. A profile found
  so is remembered in ``phone_index`` with ``create()``: a query match never overwrites an entry
  that exists;
- anything else (two profiles, or a profile beside a client record it does not link): the
  number is **ambiguous**. Nobody is chosen silently: the conflict is recorded in
  ``contact_conflicts/{E164}`` for staff, the message is handled as from the shop's own client
  record when there is exactly one (a walk-in is never shadowed by a profile claiming their
  number), else as from an unknown number. ``holders`` finds every record of a number, so that
  an opt-out reaches them all.

WhatsApp users may hide their number behind a username: Meta then sends only their
business-scoped user id (``shared.rules.whatsapp_ids``). Whenever a message carries both, the id
is linked (``whatsapp_user_index/{userId}``: ``phone``, ``customerId``; the profile's
``whatsappUserId``); a message with the id alone is then the same customer's
(``find_by_user_id``: the index's number, else its customer, else the one profile holding that
``whatsappUserId``), or a stranger known by that id only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
from shared.rules.whatsapp_ids import mask_user_id, user_id_country
from shared.store.client import create_if_absent, read
from shared.store.collections import (
    CLIENTS,
    CONTACT_CONFLICTS,
    ORDERS,
    PHONE_INDEX,
    PROFILES,
    TICKETS,
)

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
    """Who wrote: a profile, a client record (walk-in), both, or neither (unknown number).

    ``phone`` is None for a WhatsApp user known only by their business-scoped ``user_id``.
    """

    phone: PhoneNumber | None
    customer_id: str | None = None
    profile: CustomerProfile | None = None
    client: ClientRecord | None = None
    ambiguous: tuple[str, ...] = ()  # the records that share the number, when none was chosen
    user_id: str | None = None  # WhatsApp business-scoped user id, when Meta gave one

    @property
    def address(self) -> str:
        """Where answers go: the E.164 number, else the WhatsApp user id."""
        return self.phone.e164 if self.phone is not None else self.user_id or ""

    @property
    def masked(self) -> str:
        """``address`` for a log line."""
        return mask_phone(self.phone.e164) if self.phone is not None else mask_user_id(self.user_id)

    @property
    def region(self) -> str | None:
        """The number's country, else the profile's, else the user id's."""
        if self.phone is not None and self.phone.region:
            return self.phone.region
        if self.profile is not None and self.profile.country:
            return self.profile.country
        return user_id_country(self.user_id)

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
        """``conversations/{customerId or E.164 or WhatsApp user id}``."""
        return self.customer_id or self.address


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


def _matches(db: Client, collection: str, field: str, variants: Sequence[str]) -> list[Any]:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415 - heavy, first use only

    query = db.collection(collection).where(filter=FieldFilter(field, "in", list(variants)))
    return sorted((s for s in query.limit(MAX_MATCHES).stream() if s.exists), key=lambda s: s.id)


def _profile_of_client(db: Client, client_id: str) -> Any:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    query = db.collection(PROFILES).where(filter=FieldFilter("clientId", "==", client_id))
    found = [s for s in query.limit(2).stream() if s.exists]
    return found[0] if len(found) == 1 else None


def _remember(db: Client, phone: PhoneNumber, customer_id: str, now: datetime) -> None:
    """Index the number to this customer, unless it is indexed already (never overwritten)."""
    create_if_absent(
        db.collection(PHONE_INDEX).document(phone.e164),
        {"customerId": customer_id, "updatedAt": now, "source": "inbound"},
    )


def _record_conflict(
    db: Client, phone: PhoneNumber, profiles: Sequence[str], clients: Sequence[str], now: datetime
) -> None:
    log.warning(
        "%s is on %d profiles and %d client records: not choosing one",
        mask_phone(phone.e164),
        len(profiles),
        len(clients),
    )
    db.collection(CONTACT_CONFLICTS).document(phone.e164).set(
        {
            "phone": phone.e164,
            "profileIds": list(profiles),
            "clientIds": list(clients),
            "lastSeenAt": now,
            "resolved": False,
        },
        merge=True,
    )


def find_customer(db: Client, phone: PhoneNumber, *, now: datetime) -> Customer:
    """The profile and/or client record behind a phone number, found without a scan."""
    index = read(db.collection(PHONE_INDEX).document(phone.e164)) or {}
    indexed = index.get("customerId")
    if isinstance(indexed, str) and is_firestore_id(indexed):
        profile = parse_profile(indexed, read(db.collection(PROFILES).document(indexed)))
        if profile is not None:
            client = linked_client(db, profile)
            return Customer(phone, indexed, profile, client)
    variants = phone_variants(phone.e164)
    profiles = _matches(db, PROFILES, "phoneNumber", variants)
    clients = _matches(db, CLIENTS, "phone", variants)
    if len(profiles) == 1:
        profile = parse_profile(profiles[0].id, profiles[0].to_dict())
        assert profile is not None
        if all(c.id == profile.client_id for c in clients):
            _remember(db, phone, profile.id, now)
            return Customer(phone, profile.id, profile, linked_client(db, profile))
    if not profiles and len(clients) == 1:
        client = parse_client(clients[0].id, clients[0].to_dict())
        linked = _profile_of_client(db, clients[0].id)
        if linked is None:
            return Customer(phone, None, None, client)
        _remember(db, phone, linked.id, now)
        return Customer(phone, linked.id, parse_profile(linked.id, linked.to_dict()), client)
    if not profiles and not clients:
        log.info("no customer for %s", mask_phone(phone.e164))
        return Customer(phone)
    profile_ids = [s.id for s in profiles]
    client_ids = [s.id for s in clients]
    _record_conflict(db, phone, profile_ids, client_ids, now)
    client = parse_client(clients[0].id, clients[0].to_dict()) if len(clients) == 1 else None
    return Customer(phone, None, None, client, ambiguous=(*profile_ids, *client_ids))


@dataclass(frozen=True)
class Holders:
    """Every record that holds one phone number: profiles and client records."""

    profile_ids: tuple[str, ...]
    client_ids: tuple[str, ...]


def holders(db: Client, phone: PhoneNumber | None, customer: Customer | None = None) -> Holders:
    """The profiles and client records holding ``phone`` (however it was typed), and the
    customer the message was attributed to: an opt-out applies to every one of them."""
    profiles: set[str] = set()
    clients: set[str] = set()
    if phone is not None:
        variants = phone_variants(phone.e164)
        profiles = {s.id for s in _matches(db, PROFILES, "phoneNumber", variants)}
        clients = {s.id for s in _matches(db, CLIENTS, "phone", variants)}
    if customer is not None and customer.customer_id:
        profiles.add(customer.customer_id)
    if customer is not None and customer.client is not None and customer.client.id:
        clients.add(customer.client.id)
    return Holders(tuple(sorted(profiles)), tuple(sorted(clients)))


def linked_client(db: Client, profile: CustomerProfile | None) -> ClientRecord | None:
    """The client record a profile links by ``clientId``, if any."""
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
