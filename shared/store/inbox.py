"""``inbox/{id}``: inbound messages waiting for a person at the shop.

The id is the message document's: a WhatsApp edit or deletion of a message finds its item
(``amend``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from google.api_core.exceptions import NotFound

from shared.store.client import create_if_absent
from shared.store.collections import INBOX

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def add(db: Client, item_id: str, fields: Mapping[str, Any]) -> bool:
    """File one inbound message for staff, once (the id derives from the message)."""
    return create_if_absent(db.collection(INBOX).document(item_id), fields)


def get(db: Client, item_id: str) -> dict[str, Any] | None:
    """One inbox item's fields, or None."""
    snapshot = db.collection(INBOX).document(item_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def amend(db: Client, item_id: str, fields: Mapping[str, Any]) -> bool:
    """Change an item that exists (an edited or deleted message, staff marking it handled);
    False when there is none."""
    try:
        db.collection(INBOX).document(item_id).update(dict(fields))
    except NotFound:
        return False
    return True
