"""The shop's own settings (``settings/notifications``), cached briefly per instance.

The contract wants a change to take effect within 10 seconds: entries live 5 seconds.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from shared.firestore import read
from shared.shop_settings import ShopSettings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

TTL_SECONDS = 5.0
_lock = threading.Lock()
_cache: dict[int, tuple[float, ShopSettings]] = {}


def get_shop_settings(db: Client) -> ShopSettings:
    """``settings/notifications`` parsed with defaults; at most ``TTL_SECONDS`` old."""
    key = id(db)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < TTL_SECONDS:
            return hit[1]
    settings = ShopSettings.from_document(read(db.collection("settings").document("notifications")))
    with _lock:
        _cache[key] = (now, settings)
    return settings


def clear_cache() -> None:
    with _lock:
        _cache.clear()
