"""Moved from shared.store.client (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


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
