"""``settings/notifications`` as staff change it, and ``settings_history/{changeId}``: who changed
what, when, from what to what.

One commit holds both: the settings update, conditioned on the version that was read (a
concurrent change is never overwritten: the caller decides again), and the history entry,
created once (its id is the change's own: a resent form changes nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shared.store.collections import SETTINGS, SETTINGS_HISTORY, SHOP_SETTINGS

if TYPE_CHECKING:
    from google.cloud.firestore import Client

ATTEMPTS = 4


class ChangeAlreadyRecordedError(Exception):
    """The change with this id was applied before (a resent form)."""


def read_settings(db: Client) -> dict[str, Any]:
    snapshot = db.collection(SETTINGS).document(SHOP_SETTINGS).get()
    return (snapshot.to_dict() or {}) if snapshot.exists else {}


def history_entry(db: Client, change_id: str) -> dict[str, Any] | None:
    snapshot = db.collection(SETTINGS_HISTORY).document(change_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def write_change(
    db: Client,
    change_id: str,
    decide: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]],
) -> dict[str, Any]:
    """Apply ``decide(current) -> (updates, history fields)`` atomically; ``updates`` maps
    top-level keys to their new value (None: back to the default, the key removed). Returns the
    history entry. ``ChangeAlreadyRecordedError`` when ``change_id`` was applied before."""
    from google.api_core.exceptions import AlreadyExists, Conflict, FailedPrecondition, NotFound  # noqa: PLC0415
    from google.cloud.firestore import DELETE_FIELD  # noqa: PLC0415

    ref = db.collection(SETTINGS).document(SHOP_SETTINGS)
    entry_ref = db.collection(SETTINGS_HISTORY).document(change_id)
    for _ in range(ATTEMPTS):
        if entry_ref.get().exists:
            raise ChangeAlreadyRecordedError(change_id)
        snapshot = ref.get()
        current = (snapshot.to_dict() or {}) if snapshot.exists else {}
        updates, entry = decide(current)
        batch = db.batch()
        if snapshot.exists and updates:
            fields = {k: (DELETE_FIELD if v is None else v) for k, v in updates.items()}
            option = db.write_option(last_update_time=snapshot.update_time)
            batch.update(ref, fields, option=option)
        elif updates:
            batch.create(ref, {k: v for k, v in updates.items() if v is not None})
        batch.create(entry_ref, entry)
        try:
            batch.commit()
        except AlreadyExists:
            if entry_ref.get().exists:
                raise ChangeAlreadyRecordedError(change_id) from None
            continue  # the settings document appeared meanwhile: decide again
        except (FailedPrecondition, Conflict, NotFound):
            continue  # changed since it was read: decide again on the new version
        return entry
    raise TimeoutError("settings/notifications kept changing: try again")


def recent_history(db: Client, limit: int = 50) -> list[dict[str, Any]]:
    """The latest changes, newest first (single-field index on ``at``)."""
    from google.cloud.firestore import Query  # noqa: PLC0415

    query = db.collection(SETTINGS_HISTORY).order_by("at", direction=Query.DESCENDING)
    return [s.to_dict() or {} for s in query.limit(limit).get()]
