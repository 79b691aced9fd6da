"""The console's reads: indexed queries with cursors, pages of 50, never a collection scan.

Every query here is an equality and/or a range on fields that ``firestore.indexes.json`` indexes
(or a single field, indexed by default), ordered, limited, and resumed after a cursor (the last
document id of the previous page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.store.client import read
from shared.store.collections import SETTINGS, SHOP_SETTINGS

if TYPE_CHECKING:
    from google.cloud.firestore import Client

PAGE = 50


def console_language_setting(db: Client) -> str | None:
    """``settings/notifications.consoleLanguage`` as stored (None when absent)."""
    doc: dict[str, Any] = read(db.collection(SETTINGS).document(SHOP_SETTINGS)) or {}
    value = doc.get("consoleLanguage")
    return value if isinstance(value, str) else None
