"""Firestore CloudEvents at the edge: decode once, run the handler, answer the platform.

Decoding is in one place for the trigger family, as firebase-functions-python does it: the
event's ``DocumentEventData`` (protobuf bytes as Eventarc sends them, or its JSON form) is
parsed by its own protobuf class, and each side's fields by the Firestore client library's own
``decode_dict``, so a trigger sees exactly the values a read of the document would give
(``DatetimeWithNanoseconds``, ``GeoPoint``, ``DocumentReference``, bytes...).

What the platform is told (``run``):

- an event that cannot be decoded, or data the handler calls invalid: logged with its reason and
  acknowledged (a retry would fail the same way forever);
- a transient failure (an outage, a conflict worth another go): raised, so Eventarc retries;
- any other exception (a bug): logged and acknowledged, with the error, for the same reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.boundary.runtime import init
from shared.model.change import DocumentChange
from shared.platform.errors import InvalidInputError, is_transient
from shared.platform.log import get_logger, log_context

log = get_logger(__name__)

FIRESTORE_EVENT_PREFIX = "google.cloud.firestore.document.v1."
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


class EventDecodeError(InvalidInputError):
    """A CloudEvent whose subject or data cannot be read as a Firestore document change."""


class CloudEventLike(Protocol):
    """What functions-framework hands a CloudEvent function (``cloudevents.http.CloudEvent``)."""

    data: Any

    def get_attributes(self) -> Mapping[str, Any]: ...


def _parse_time(text: str | None) -> datetime | None:
    """``ce-time`` (RFC 3339, up to nanoseconds) as an aware datetime, None when unreadable."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    if "." in value:
        head, _, tail = value.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        value = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _reference_client(document_name: str) -> Any:
    """A client for the event's own project and database: the library decodes a reference
    value into a ``DocumentReference`` of it. Anonymous and offline: it is never used to call."""
    parts = document_name.split("/")
    key = (parts[1], parts[3]) if len(parts) > 3 else ("unknown", "(default)")
    with _clients_lock:
        if key not in _clients:
            from google.auth.credentials import AnonymousCredentials  # noqa: PLC0415
            from google.cloud import firestore  # noqa: PLC0415

            credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
            _clients[key] = firestore.Client(
                project=key[0], database=key[1], credentials=credentials
            )
        return _clients[key]


def _event_data(data: Any, content_type: str) -> Any:
    """The ``DocumentEventData`` message of the event, whatever its encoding."""
    from google.events.cloud.firestore_v1 import DocumentEventData  # noqa: PLC0415

    if data is None or (isinstance(data, bytes | str) and not data):
        raise EventDecodeError("the event has no data")
    try:
        if isinstance(data, Mapping):
            import json  # noqa: PLC0415

            return DocumentEventData.from_json(json.dumps(data), ignore_unknown_fields=True)
        raw = data.encode() if isinstance(data, str) else bytes(data)
        if "json" in content_type.lower():
            return DocumentEventData.from_json(raw.decode(), ignore_unknown_fields=True)
        return DocumentEventData.deserialize(raw)
    except EventDecodeError:
        raise
    except Exception as exc:  # protobuf's DecodeError, ParseError, bad UTF-8: all bad data
        raise EventDecodeError(f"event data is not a DocumentEventData: {exc}") from exc


def _fields(document: Any) -> dict[str, Any] | None:
    """A ``Document`` message's fields decoded by the client library, None for no document."""
    from google.cloud.firestore_v1 import _helpers  # noqa: PLC0415

    pb = type(document).pb(document)
    if not pb.name:
        return None
    try:
        decoded = _helpers.decode_dict(pb.fields, _reference_client(pb.name))
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise EventDecodeError(f"a field of {pb.name} cannot be decoded: {exc}") from exc
    if not isinstance(decoded, dict):  # a document's fields always decode to a map
        raise EventDecodeError(f"the fields of {pb.name} are not a map")
    return decoded


def decode_document_change(
    *,
    event_id: str,
    event_type: str,
    subject: str | None,
    data: Any,
    content_type: str = "application/protobuf",
    time: str | None = None,
) -> DocumentChange:
    """One Firestore CloudEvent's attributes and data as a ``DocumentChange``."""
    if not event_type.startswith(FIRESTORE_EVENT_PREFIX):
        raise EventDecodeError(f"not a Firestore document event: {event_type!r}")
    message = _event_data(data, content_type)
    before = _fields(message.old_value)
    after = _fields(message.value)
    if before is None and after is None:
        raise EventDecodeError("the event carries neither a value nor an old value")
    path = subject.removeprefix("documents/") if subject else ""
    if not subject or not subject.startswith("documents/"):
        name = message.value.name or message.old_value.name
        if "/documents/" not in name:
            raise EventDecodeError(f"cannot tell which document changed (subject {subject!r})")
        path = name.split("/documents/", 1)[1]
    return DocumentChange(
        event_id=event_id,
        event_type=event_type,
        path=path,
        before=before,
        after=after,
        update_mask=tuple(message.update_mask.field_paths),
        time=_parse_time(time),
    )


Handler = Callable[[DocumentChange], Mapping[str, Any] | None]


def run(event: CloudEventLike, handler: Handler) -> Mapping[str, Any] | None:
    """Decode ``event`` and hand the change to ``handler`` (the module's answer table)."""
    init()
    attrs = event.get_attributes()
    event_id = str(attrs.get("id", ""))
    with log_context(eventId=event_id, subject=attrs.get("subject")):
        try:
            change = decode_document_change(
                event_id=event_id,
                event_type=str(attrs.get("type", "")),
                subject=attrs.get("subject"),
                data=event.data,
                content_type=str(attrs.get("datacontenttype") or "application/protobuf"),
                time=attrs.get("time"),
            )
        except EventDecodeError as exc:
            log.warning("skipped an undecodable event: %s", exc, extra={"reason": "bad_event"})
            return {"skipped": "bad_event", "detail": str(exc)}
        try:
            return handler(change)
        except Exception as exc:
            if is_transient(exc):
                log.warning("transient failure on %s, asking for a retry: %s", change.path, exc)
                raise
            if isinstance(exc, InvalidInputError):
                reason = type(exc).__name__
                log.warning("skipped %s: %s", change.path, exc, extra={"reason": reason})
                return {"skipped": reason, "detail": str(exc)}
            # A bug or data we did not foresee: retrying would loop on the same input forever.
            log.exception("gave up on %s: %s", change.path, exc, extra={"reason": "error"})
            return {"failed": type(exc).__name__, "detail": str(exc)}
