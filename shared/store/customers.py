"""Loading what the cascade needs about a customer: profile and linked client record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.model.documents import CustomerContext, _text, parse_client, parse_profile
from shared.store.client import read

if TYPE_CHECKING:
    from google.cloud.firestore import Client

PROFILES = "customer_profiles"
CLIENTS = "clients"


def load_customer(db: Client, source: Mapping[str, Any]) -> CustomerContext:
    """Profile by the document's ``customerId``, client by its ``clientId`` or the profile's."""
    customer_id = _text(source.get("customerId"))
    profile = None
    if customer_id and "/" not in customer_id:
        profile = parse_profile(customer_id, read(db.collection(PROFILES).document(customer_id)))
    client_id = _text(source.get("clientId")) or (profile.client_id if profile else None)
    client = None
    if client_id and "/" not in client_id:
        client = parse_client(client_id, read(db.collection(CLIENTS).document(client_id)))
    return CustomerContext(customer_id, profile, client)
