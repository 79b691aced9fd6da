"""Decoding Firestore CloudEvents (Eventarc) into a typed before/after change.

Eventarc delivers ``google.cloud.firestore.document.v1.*`` events in binary mode: ``ce-*``
headers and a ``DocumentEventData`` protobuf body (``application/protobuf``). The JSON encoding
of the same message (``application/json``) is accepted too. Both are turned into the JSON form
of the message first, so a single decoder maps Firestore ``Value`` objects to Python values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DocumentChange:
    """One Firestore write as the functions see it: the document before and after."""

    event_id: str
    event_type: str
    path: str  # "tickets/T1"
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    update_mask: tuple[str, ...] = ()
    time: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def collection(self) -> str:
        return self.path.split("/")[-2] if "/" in self.path else ""

    @property
    def document_id(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def created(self) -> bool:
        return self.before is None and self.after is not None

    @property
    def deleted(self) -> bool:
        return self.before is not None and self.after is None
