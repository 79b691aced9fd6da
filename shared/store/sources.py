"""The documents notifications are about (tickets, orders, carts), read by reference field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.store.client import read
from shared.store.collections import SOURCES

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def read_source(db: Client, ref_field: str, document_id: str) -> dict[str, Any] | None:
    """The ticket, order or cart a notification's ``ticketId``/``orderId``/``cartId`` names."""
    if "/" in document_id or not document_id:
        return None
    return read(db.collection(SOURCES[ref_field]).document(document_id))
