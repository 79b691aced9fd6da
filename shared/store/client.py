"""Firestore access: the client, created lazily once per process, and small typed helpers.

``FIRESTORE_EMULATOR_HOST`` is honoured by the client library itself. Everything that needs
Firestore takes a ``Client`` argument and falls back to ``get_db()``, so tests pass the
emulator's client explicitly and nothing connects at import time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.platform.errors import TransientError
from shared.platform.settings import get_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot

CAS_ATTEMPTS = 8
CAS_JITTER = 0.005  # seconds; doubled per conflict, so racing writers spread out


class ContendedError(TransientError):
    """A document kept changing under a read-decide-write; worth a retry later."""


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


def read(ref: DocumentReference) -> dict[str, Any] | None:
    """A document's fields, or ``None`` when it does not exist."""
    snapshot = ref.get()
    if not snapshot.exists:
        return None
    return snapshot.to_dict() or {}


def create_if_absent(ref: DocumentReference, data: Mapping[str, Any]) -> bool:
    """``create()``: True if this call created the document, False if it already existed."""
    from google.api_core.exceptions import AlreadyExists, Conflict  # noqa: PLC0415

    try:
        ref.create(dict(data))
    except (AlreadyExists, Conflict):
        return False
    return True


Decide = Callable[[dict[str, Any] | None], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Written:
    """What ``compare_and_set`` read and wrote, and the document's update time afterwards."""

    current: dict[str, Any] | None
    fields: dict[str, Any]
    update_time: datetime | None = None


def compare_and_set(
    ref: DocumentReference,
    decide: Decide,
    *,
    snapshot: DocumentSnapshot[Any] | None = None,
    known: tuple[Mapping[str, Any], datetime] | None = None,
    attempts: int = CAS_ATTEMPTS,
    also: Sequence[tuple[DocumentReference, Mapping[str, Any]]] = (),
    db: Client | None = None,
) -> Written:
    """Read-decide-write on one document without a lock.

    ``decide`` gets the document's fields (None when it does not exist) and returns the fields
    to update (empty or None: nothing to write). The update carries the read's update time as a
    precondition: when another write landed in between, the document is read again and the
    decision taken afresh, so concurrent writers never overwrite each other's work. What the
    caller already read saves the first read: a ``snapshot`` (a query's result), or ``known``
    fields with their update time (a write of its own just before). ``also``: documents to
    ``set()`` in the same commit as the update (one round trip, all or nothing), or alone when
    there is nothing to update (``db``, the client, makes that batch). ``ContendedError`` after
    ``attempts`` conflicts in a row.
    """
    from google.api_core.exceptions import FailedPrecondition, NotFound  # noqa: PLC0415
    from google.cloud.firestore_v1.base_client import BaseClient  # noqa: PLC0415

    current: dict[str, Any] | None
    version: Any
    if snapshot is not None:
        current = (snapshot.to_dict() or {}) if snapshot.exists else None
        version = snapshot.update_time
    elif known is not None:
        current, version = dict(known[0]), known[1]
    else:
        current, version = None, None
    for attempt in range(attempts):
        if version is None:
            fresh = ref.get()
            current = (fresh.to_dict() or {}) if fresh.exists else None
            version = fresh.update_time
        fields = dict(decide(current) or {})
        if not fields or current is None:
            _set_all(db, also)
            return Written(current, {}, version)
        option = BaseClient.write_option(last_update_time=version)
        try:
            if also:
                assert db is not None, "writes in the same commit need the client"
                batch = db.batch()
                batch.update(ref, fields, option=option)
                for other, data in also:
                    batch.set(other, dict(data))
                result = batch.commit()[0]
            else:
                result = ref.update(fields, option=option)
        except (FailedPrecondition, NotFound):
            version = None  # someone else wrote first: decide again on what is there now
            time.sleep(random.uniform(0, CAS_JITTER * 2**attempt))  # noqa: S311 - not crypto
            continue
        return Written(current, fields, result.update_time)
    raise ContendedError(f"{ref.path} kept changing during {attempts} attempts")


def _set_all(
    db: Client | None, writes: Sequence[tuple[DocumentReference, Mapping[str, Any]]]
) -> None:
    """``set()`` each of ``writes``, in one commit."""
    if not writes:
        return
    assert db is not None, "writes in the same commit need the client"
    batch = db.batch()
    for other, data in writes:
        batch.set(other, dict(data))
    batch.commit()
