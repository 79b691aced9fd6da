"""The shop's own settings (``settings/notifications``), cached briefly per instance.

The contract wants a change to take effect within 10 seconds: entries live 5 seconds by
default (``SHOP_SETTINGS_CACHE_SECONDS``; the local stack uses 0 so tests see each change).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from shared.model.shop import ShopSettings
from shared.platform.settings import get_settings
from shared.store.client import read
from shared.store.collections import SETTINGS, SHOP_SETTINGS

if TYPE_CHECKING:
    from google.cloud.firestore import Client

_lock = threading.Lock()
_cache: dict[int, tuple[float, ShopSettings]] = {}


def get_shop_settings(db: Client) -> ShopSettings:
    """``settings/notifications`` parsed with defaults, at most the configured age old."""
    key = id(db)
    now = time.monotonic()
    ttl = get_settings().shop_settings_cache_seconds
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < ttl:
            return hit[1]
    settings = read_shop_settings(db)
    with _lock:
        _cache[key] = (now, settings)
    return settings


def read_shop_settings(db: Client) -> ShopSettings:
    """``settings/notifications`` read now (no cache), parsed with defaults."""
    return ShopSettings.from_document(read(db.collection(SETTINGS).document(SHOP_SETTINGS)))


def clear_cache() -> None:
    with _lock:
        _cache.clear()
