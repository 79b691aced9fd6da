"""WhatsApp users by their business-scoped user id (BSUID), beside their phone number.

With WhatsApp usernames, Meta may withhold a user's number and send only their user id
(``shared.rules.whatsapp_ids``). Whenever a message carries both, the id is linked
(``link_user_id``: ``whatsapp_user_index/{userId}`` with ``phone`` and ``customerId``, and the
profile's ``whatsappUserId``); a message with the id alone is then the same customer's
(``find_by_user_id``: whoever holds the number the id was seen with, else the customer it was
linked to, else the one profile carrying that ``whatsappUserId``), or a stranger known by the
id only. ``move_user_id`` follows Meta's ``user_changed_user_id``, ``move_number`` its
``user_changed_number``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.documents import CustomerProfile, parse_profile
from shared.model.ids import is_firestore_id
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.rules.phones import PhoneNumber
from shared.rules.whatsapp_ids import mask_user_id
from shared.store.client import read
from shared.store.collections import CLIENTS, PHONE_INDEX, PROFILES, WHATSAPP_USER_INDEX
from shared.store.lookup import Customer, find_customer, linked_client, normalize_sender

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

log = get_logger(__name__)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _user_index(db: Client, user_id: str) -> DocumentReference:
    ref: DocumentReference = db.collection(WHATSAPP_USER_INDEX).document(user_id)
    return ref


def link_user_id(db: Client, customer: Customer, user_id: str, *, now: datetime) -> None:
    """Remember which number (and customer) a WhatsApp user id was seen with, and put the id
    on the customer's profile. Written only when something changed (one read otherwise)."""
    if customer.phone is None or "/" in user_id:
        return
    ref = _user_index(db, user_id)
    entry = read(ref) or {}
    linked = {"phone": customer.phone.e164, "customerId": customer.customer_id}
    if any(entry.get(k) != v for k, v in linked.items()):
        ref.set({**linked, "userId": user_id, "updatedAt": now, "source": "inbound"}, merge=True)
    profile = customer.profile
    if customer.customer_id and profile is not None and profile.whatsapp_user_id != user_id:
        db.collection(PROFILES).document(customer.customer_id).set(
            {"whatsappUserId": user_id, "whatsappUserIdAt": now}, merge=True
        )


def move_user_id(db: Client, previous: str, new: str, customer: Customer, *, now: datetime) -> None:
    """Meta's ``user_changed_user_id``: the new id stands for whom the previous one did."""
    if "/" in new:
        return
    entry = read(_user_index(db, previous)) or {}
    fields = {
        "phone": entry.get("phone") or (customer.phone.e164 if customer.phone else None),
        "customerId": entry.get("customerId") or customer.customer_id,
        "userId": new,
        "previousUserId": previous,
        "updatedAt": now,
        "source": "user_changed_user_id",
    }
    _user_index(db, new).set(fields, merge=True)
    customer_id = fields["customerId"]
    if isinstance(customer_id, str) and is_firestore_id(customer_id):
        db.collection(PROFILES).document(customer_id).set(
            {"whatsappUserId": new, "whatsappUserIdAt": now}, merge=True
        )


def find_by_user_id(db: Client, user_id: str, *, now: datetime) -> Customer:
    """Who wrote a message that carries a WhatsApp user id and no phone number: the number the
    id was seen with (and whoever holds it), else the customer it was linked to, else the one
    profile with that ``whatsappUserId``; else a stranger known by the id alone."""
    entry = read(_user_index(db, user_id)) if "/" not in user_id else None
    entry = entry or {}
    phone = _indexed_phone(entry.get("phone"))
    indexed = entry.get("customerId")
    if phone is not None:
        customer = find_customer(db, phone, now=now)
        if customer.known or not (isinstance(indexed, str) and is_firestore_id(indexed)):
            return replace(customer, user_id=user_id)
    profile = None
    if isinstance(indexed, str) and is_firestore_id(indexed):
        profile = parse_profile(indexed, read(db.collection(PROFILES).document(indexed)))
    if profile is None:
        profile = _profile_with_user_id(db, user_id)
    if profile is None:
        log.info("no customer for WhatsApp user %s", mask_user_id(user_id))
        return Customer(phone, user_id=user_id)
    return Customer(phone, profile.id, profile, linked_client(db, profile), user_id=user_id)


def _indexed_phone(value: Any) -> PhoneNumber | None:
    if not isinstance(value, str) or not _E164.fullmatch(value):
        return None
    return normalize_sender(value, "FR")  # E.164: the default country plays no part


def _profile_with_user_id(db: Client, user_id: str) -> CustomerProfile | None:
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    query = db.collection(PROFILES).where(filter=FieldFilter("whatsappUserId", "==", user_id))
    found = [s for s in query.limit(2).stream() if s.exists]
    if len(found) != 1:
        return None
    return parse_profile(found[0].id, found[0].to_dict())


def move_number(db: Client, customer: Customer, new: PhoneNumber, *, now: datetime) -> bool:
    """Meta's ``user_changed_number``: the customer's WhatsApp is now on ``new``. The profile
    (or a walk-in's client record) gets ``whatsappPhone`` (the cascade sends WhatsApp there;
    ``phoneNumber`` as the customer typed it stays theirs for SMS), the old number joins
    ``previousWhatsappPhones``, and ``phone_index/{new}`` points at the customer (Meta signed
    it: it replaces an older entry, logged). False when nobody is known to update."""
    from google.cloud import firestore  # noqa: PLC0415

    old = customer.phone.e164 if customer.phone is not None else None
    fields: dict[str, Any] = {"whatsappPhone": new.e164, "whatsappPhoneChangedAt": now}
    if old and old != new.e164:
        fields["previousWhatsappPhones"] = firestore.ArrayUnion([old])
    if customer.customer_id and customer.profile is not None:
        db.collection(PROFILES).document(customer.customer_id).set(fields, merge=True)
        ref = db.collection(PHONE_INDEX).document(new.e164)
        indexed = (read(ref) or {}).get("customerId")
        if indexed and indexed != customer.customer_id:
            log.warning(
                "%s was indexed to another customer; WhatsApp says it is now this one's",
                mask_phone(new.e164),
            )
        ref.set(
            {
                "customerId": customer.customer_id,
                "updatedAt": now,
                "source": "user_changed_number",
                "previousPhone": old,
            }
        )
        return True
    if customer.client is not None and customer.client.id:
        db.collection(CLIENTS).document(customer.client.id).set(fields, merge=True)
        return True
    return False
