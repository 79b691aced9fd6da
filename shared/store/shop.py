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
_refresh = threading.Lock()  # held while one thread reads the document for everyone
_cache: dict[int, tuple[float, ShopSettings]] = {}


def get_shop_settings(db: Client) -> ShopSettings:
    """``settings/notifications`` parsed with defaults, at most the configured age old."""
    key = id(db)
    ttl = get_settings().shop_settings_cache_seconds
    if ttl <= 0:  # no cache (the local stack's tests): every caller reads
        return read_shop_settings(db)
    hit = _fresh(key, ttl)
    if hit is not None:
        return hit
    # One reader per expiry: the threads that missed together wait for its read, not each
    # for one of their own (at 16 concurrent deliveries, 16 reads of one document).
    with _refresh:
        hit = _fresh(key, ttl)
        if hit is not None:
            return hit
        now = time.monotonic()
        settings = read_shop_settings(db)
        with _lock:
            _cache[key] = (now, settings)
    return settings


def _fresh(key: int, ttl: float) -> ShopSettings | None:
    with _lock:
        hit = _cache.get(key)
    return hit[1] if hit and time.monotonic() - hit[0] < ttl else None


def read_shop_settings(db: Client) -> ShopSettings:
    """``settings/notifications`` read now (no cache), parsed with defaults."""
    return ShopSettings.from_document(read(db.collection(SETTINGS).document(SHOP_SETTINGS)))


def clear_cache() -> None:
    with _lock:
        _cache.clear()
