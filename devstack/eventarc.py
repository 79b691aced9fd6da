"""Firestore CloudEvents exactly as Eventarc sends them, built from Python dicts.

Used by the tests (``tests/support/cloudevents.py``), the bench and the trigger router (its
field-path quoting). Binary mode: ``ce-*`` headers and a
``google.events.cloud.firestore.v1.DocumentEventData`` protobuf body; the same data in its JSON
form is available for the ``application/json`` encoding.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.types import Document as FirestoreDocument
from google.events.cloud.firestore_v1 import Document, DocumentEventData, DocumentMask

WRITTEN = "google.cloud.firestore.document.v1.written"
CREATED = "google.cloud.firestore.document.v1.created"
UPDATED = "google.cloud.firestore.document.v1.updated"
DELETED = "google.cloud.firestore.document.v1.deleted"
DEFAULT_PROJECT = "demo-shop"
DEFAULT_DATABASE = "(default)"
DEFAULT_LOCATION = "europe-west1"
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def quote_field_path(name: str) -> str:
    """A top-level field name as a Firestore field path (backticks unless it is a plain name)."""
    if _SIMPLE_FIELD.match(name):
        return name
    escaped = name.replace("\\", "\\\\").replace("`", "\\`")
    return f"`{escaped}`"


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The update mask Firestore gives an update: top-level fields added, removed or changed."""
    names = set(before) | set(after)
    changed = [
        n for n in names if n not in before or n not in after or not _same(before[n], after[n])
    ]
    return [quote_field_path(n) for n in sorted(changed)]


def _same(a: Any, b: Any) -> bool:
    # bool is an int in Python but a different Firestore type
    return type(a) is type(b) and a == b


def encode_document(
    name: str,
    data: Mapping[str, Any],
    *,
    create_time: datetime | None = None,
    update_time: datetime | None = None,
) -> Document:
    """A ``Document`` message from decoded Python values (the client library's own encoding)."""
    now = datetime.now(UTC)
    message = FirestoreDocument(
        name=name,
        fields=_helpers.encode_dict(dict(data)),
        create_time=create_time or now,
        update_time=update_time or create_time or now,
    )
    # google.firestore.v1.Document and google.events...v1.Document are wire compatible.
    document: Document = Document.deserialize(FirestoreDocument.serialize(message))
    return document


@dataclass(frozen=True)
class FirestoreEvent:
    """One Firestore CloudEvent: attributes plus ``DocumentEventData``."""

    id: str
    type: str
    source: str
    subject: str
    time: str
    data: DocumentEventData
    extensions: Mapping[str, str] = field(default_factory=dict)

    @property
    def attributes(self) -> dict[str, str]:
        """CloudEvent context attributes (as ``cloudevents.http.CloudEvent`` takes them)."""
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time,
            "specversion": "1.0",
            **self.extensions,
        }

    def protobuf(self) -> bytes:
        return bytes(DocumentEventData.serialize(self.data))

    def json_data(self) -> str:
        return str(DocumentEventData.to_json(self.data, use_integers_for_enums=False))

    def binary_headers(self, content_type: str = "application/protobuf") -> dict[str, str]:
        headers = {f"ce-{k}": v for k, v in self.attributes.items()}
        headers["Content-Type"] = content_type
        return headers

    def binary(self) -> tuple[dict[str, str], bytes]:
        """Headers and body as Eventarc posts them (binary mode, protobuf data)."""
        return self.binary_headers(), self.protobuf()

    def binary_json(self) -> tuple[dict[str, str], bytes]:
        """Binary mode with the ``application/json`` encoding of the data."""
        return self.binary_headers("application/json"), self.json_data().encode()


def document_event(
    path: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    project: str = DEFAULT_PROJECT,
    database: str = DEFAULT_DATABASE,
    location: str = DEFAULT_LOCATION,
    event_type: str = WRITTEN,
    event_id: str | None = None,
    time: datetime | None = None,
    update_mask: list[str] | None = None,
    create_time: datetime | None = None,
) -> FirestoreEvent:
    """The event for one write of ``path`` (``"tickets/T1"``) from ``before`` to ``after``.

    ``None`` means the document does not exist on that side: create, update or delete follow.
    The update mask defaults to what Firestore computes (changed top-level fields, updates only).
    """
    if before is None and after is None:
        raise ValueError("a document event needs a before or an after")
    when = time or datetime.now(UTC)
    created = create_time or when
    name = f"projects/{project}/databases/{database}/documents/{path}"
    data = DocumentEventData()
    if after is not None:
        data.value = encode_document(name, after, create_time=created, update_time=when)
    if before is not None:
        data.old_value = encode_document(name, before, create_time=created, update_time=created)
    if before is not None and after is not None:
        mask = changed_fields(before, after) if update_mask is None else update_mask
        data.update_mask = DocumentMask(field_paths=mask)
    return FirestoreEvent(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source=f"//firestore.googleapis.com/projects/{project}/databases/{database}",
        subject=f"documents/{path}",
        time=when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        data=data,
        extensions={
            "project": project,
            "database": database,
            "document": path,
            "location": location,
        },
    )
