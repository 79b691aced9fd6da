"""Firestore access: the client, created lazily once per process, and small typed helpers.

``FIRESTORE_EMULATOR_HOST`` is honoured by the client library itself. Everything that needs
Firestore takes a ``Client`` argument and falls back to ``get_db()``, so tests pass the
emulator's client explicitly and nothing connects at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.settings import get_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

_lock = threading.Lock()
_db: Client | None = None


def get_db() -> Client:
    """The process-wide Firestore client (created on first use)."""
    global _db  # noqa: PLW0603 - one client per process, created lazily
    if _db is None:
        with _lock:
            if _db is None:
                from google.cloud import firestore  # noqa: PLC0415 - heavy, import on first use

                _db = firestore.Client(project=get_settings().project)
    return _db


def utcnow() -> datetime:
    return datetime.now(UTC)


def read(ref: DocumentReference) -> dict[str, Any] | None:
    """A document's fields, or ``None`` when it does not exist."""
    snapshot = ref.get()
    if not snapshot.exists:
        return None
    return snapshot.to_dict() or {}


def create_if_absent(ref: DocumentReference, data: Mapping[str, Any]) -> bool:
    """``create()``: True if this call created the document, False if it already existed.

    The only atomic claim primitive we rely on (the emulator honours ``exists`` preconditions
    but not transactions' isolation).
    """
    from google.api_core.exceptions import AlreadyExists, Conflict  # noqa: PLC0415

    try:
        ref.create(dict(data))
    except (AlreadyExists, Conflict):
        return False
    return True


def as_datetime(value: Any) -> datetime | None:
    """A Firestore timestamp (``DatetimeWithNanoseconds``) or ISO string as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
