"""``inbox/{id}``: inbound messages waiting for a person at the shop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.store.client import create_if_absent
from shared.store.collections import INBOX

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def add(db: Client, item_id: str, fields: Mapping[str, Any]) -> bool:
    """File one inbound message for staff, once (the id derives from the message)."""
    return create_if_absent(db.collection(INBOX).document(item_id), fields)
