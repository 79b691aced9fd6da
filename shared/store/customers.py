"""Customers as the flows read and change them: profiles and the counter's client records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from shared.model.documents import (
    ClientRecord,
    CustomerContext,
    CustomerProfile,
    _text,
    parse_client,
    parse_profile,
)
from shared.store.client import compare_and_set, read
from shared.store.collections import CLIENTS, PROFILES

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot


def _usable(document_id: str | None) -> bool:
    return bool(document_id) and "/" not in str(document_id)


def profile_ref(db: Client, customer_id: str) -> DocumentReference:
    return db.collection(PROFILES).document(customer_id)


def client_ref(db: Client, client_id: str) -> DocumentReference:
    return db.collection(CLIENTS).document(client_id)


def get_profile(db: Client, customer_id: str) -> CustomerProfile | None:
    if not _usable(customer_id):
        return None
    return parse_profile(customer_id, read(profile_ref(db, customer_id)))


def get_client(db: Client, client_id: str) -> ClientRecord | None:
    if not _usable(client_id):
        return None
    return parse_client(client_id, read(client_ref(db, client_id)))


def client_preferences(db: Client, client_id: str) -> Mapping[str, Any] | None:
    """The ``notificationPreferences`` a walk-in's STOP left on their client record, if any."""
    if not _usable(client_id):
        return None
    prefs = (read(client_ref(db, client_id)) or {}).get("notificationPreferences")
    return prefs if isinstance(prefs, Mapping) else None


def load_customer(db: Client, source: Mapping[str, Any]) -> CustomerContext:
    """Profile by the document's ``customerId``, client by its ``clientId`` or the profile's."""
    customer_id = _text(source.get("customerId"))
    profile = get_profile(db, customer_id) if customer_id else None
    client_id = _text(source.get("clientId")) or (profile.client_id if profile else None)
    client = get_client(db, client_id) if client_id else None
    return CustomerContext(customer_id, profile, client)


def set_preferences(db: Client, customer_id: str, values: Mapping[str, bool]) -> None:
    """Switch ``notificationPreferences`` fields of a profile (merged, others kept)."""
    profile_ref(db, customer_id).set({"notificationPreferences": dict(values)}, merge=True)


def set_client_preferences(db: Client, client_id: str, values: Mapping[str, bool]) -> None:
    """The same on a walk-in's client record (no profile to hold them)."""
    client_ref(db, client_id).set({"notificationPreferences": dict(values)}, merge=True)


def remove_push_tokens(db: Client, customer_id: str, tokens: tuple[str, ...]) -> None:
    """Forget push tokens FCM called unregistered or invalid."""
    from google.cloud import firestore  # noqa: PLC0415

    profile_ref(db, customer_id).update({"fcmTokens": firestore.ArrayRemove(list(tokens))})


def keep_fields(
    db: Client,
    customer_id: str,
    decide: Callable[[Mapping[str, Any] | None], Mapping[str, Any] | None],
    *,
    snapshot: DocumentSnapshot[Any] | None = None,
) -> bool:
    """Update a profile's system-kept fields (``lastOrderAt``, ``cartStatus``,
    ``consentState``) with what ``decide`` says from its current ones (never creates a
    profile; a concurrent write makes it read and decide again; ``snapshot``: the caller's
    read, saving one). True when something was written."""
    if not _usable(customer_id):
        return False
    return bool(compare_and_set(profile_ref(db, customer_id), decide, snapshot=snapshot).fields)


def profile_snapshot(db: Client, customer_id: str) -> DocumentSnapshot[Any] | None:
    """The profile's snapshot (fields and update time), or None."""
    if not _usable(customer_id):
        return None
    snap = profile_ref(db, customer_id).get()
    return snap if snap.exists else None
