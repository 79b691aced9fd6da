"""Loading what the cascade needs about a customer: profile and linked client record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.firestore import read
from shared.models import ClientRecord, CustomerProfile

if TYPE_CHECKING:
    from google.cloud.firestore import Client

PROFILES = "customer_profiles"
CLIENTS = "clients"


@dataclass(frozen=True)
class CustomerContext:
    """The customer behind a document: ``profile`` is None for walk-ins or missing profiles."""

    customer_id: str | None
    profile: CustomerProfile | None
    client: ClientRecord | None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_profile(customer_id: str, data: Mapping[str, Any] | None) -> CustomerProfile | None:
    if data is None:
        return None
    return CustomerProfile.model_validate({**data, "id": customer_id})


def parse_client(client_id: str, data: Mapping[str, Any] | None) -> ClientRecord | None:
    if data is None:
        return None
    return ClientRecord.model_validate({**data, "id": client_id})


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
