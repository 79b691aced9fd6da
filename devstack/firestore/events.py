"""What the Cloud Firestore emulator posts for a trigger, turned into what Eventarc sends.

The emulator's own trigger delivery differs from Eventarc's in ways a function would notice:

- the body is the **base64 text** of the ``DocumentEventData`` protobuf (Eventarc: the bytes);
- ``update_mask`` is always empty (Eventarc: the changed top-level fields of an update);
- ``ce-source`` reads ``//firestore.googleapis.com/projects/projects/{p}/...`` (doubled);
- ``ce-location`` is always ``us-central1``;
- ``ce-time`` is cut to the second (Eventarc: the commit time, to the microsecond), so an event
  could seem older than what the function itself wrote just before: it becomes the document's
  ``update_time`` (for a delete, which carries none, the time the router received it);
- a write that changes nothing, and a delete of a missing document, produce an event
  (Eventarc sends none).

``to_eventarc`` fixes each of these, pure: it takes the headers and body the emulator posted and
returns the request to forward, or why it is dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from google.events.cloud.firestore_v1 import DocumentEventData

from devstack.eventarc import quote_field_path

FORWARDED = (
    "ce-id",
    "ce-specversion",
    "ce-type",
    "ce-subject",
    "ce-time",
    "ce-dataschema",
    "ce-project",
    "ce-database",
    "ce-namespace",
    "ce-document",
)


@dataclass(frozen=True)
class EventarcRequest:
    """One event as Eventarc posts it: binary-mode ``ce-*`` headers, protobuf bytes."""

    event_id: str
    subject: str
    document: str  # "tickets/T1": events of one document are delivered in order
    kind: str  # create, update, delete
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Dropped:
    """An emulator event Eventarc would not have sent, and why."""

    reason: str  # no_op, nothing_exists, undecodable


def decode_body(body: bytes) -> bytes:
    """The protobuf bytes of a body that may be their base64 text (the emulator) or raw."""
    text = body.strip()
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return body  # already bytes (a sender that behaves like Eventarc)


def changed_top_level_fields(data: DocumentEventData) -> list[str]:
    """The update mask of an update: top-level fields added, removed or changed."""
    pb = DocumentEventData.pb(data)
    before, after = pb.old_value.fields, pb.value.fields
    names = set(before) | set(after)
    changed = [n for n in names if n not in before or n not in after or before[n] != after[n]]
    return [quote_field_path(n) for n in sorted(changed)]


def rfc3339(when: datetime) -> str:
    """``2026-12-01T21:06:11.123456Z``, as Eventarc writes ``ce-time``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_eventarc(
    headers: Mapping[str, str],
    body: bytes,
    *,
    project: str,
    location: str,
    received: datetime | None = None,
) -> EventarcRequest | Dropped:
    """The Eventarc request for one emulator post (header names in any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        data = DocumentEventData.deserialize(decode_body(body))
    except Exception:  # a protobuf decode error has no public class of its own
        return Dropped("undecodable")
    has_before = "old_value" in data
    has_after = "value" in data
    if not has_before and not has_after:
        return Dropped("nothing_exists")
    kind = "update" if has_before and has_after else ("create" if has_after else "delete")
    if kind == "update":
        mask = changed_top_level_fields(data)
        if not mask:
            return Dropped("no_op")
        data.update_mask.field_paths = mask
    else:
        data.update_mask = None
    database = lower.get("ce-database") or "(default)"
    out = {k: lower[k] for k in FORWARDED if k in lower}
    out["ce-source"] = f"//firestore.googleapis.com/projects/{project}/databases/{database}"
    out["ce-location"] = location
    when = data.value.update_time if has_after else (received or datetime.now(UTC))
    out["ce-time"] = rfc3339(when)
    out["Content-Type"] = "application/protobuf"
    subject = out.get("ce-subject", "")
    document = out.get("ce-document") or subject.removeprefix("documents/")
    return EventarcRequest(
        event_id=out.get("ce-id", ""),
        subject=subject,
        document=document,
        kind=kind,
        headers=out,
        body=bytes(DocumentEventData.serialize(data)),
    )
