"""``consent_events``: every opt-in and opt-out, recorded once per cause (deterministic ids)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.store.client import create_if_absent
from shared.store.collections import CONSENT_EVENTS

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference


def event_ref(db: Client, event_id: str) -> DocumentReference:
    return db.collection(CONSENT_EVENTS).document(event_id)


def record_event(db: Client, event_id: str, fields: Mapping[str, Any]) -> bool:
    """Create the consent event once: True when this call created it."""
    return create_if_absent(event_ref(db, event_id), fields)
