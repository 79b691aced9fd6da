"""Boundaries shared by the entry points: event decoding, error-to-response tables, logging setup.

Entry points (``functions/``) stay one call deep: they hand the raw trigger to a function here,
which decodes it, calls the domain handler, and maps the outcome (or the typed error) to what
the platform expects. Nothing below this layer swallows exceptions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from google.events.cloud.firestore_v1 import DocumentEventData

from shared.model.change import DocumentChange
from shared.platform.errors import InvalidInputError, is_transient
from shared.platform.log import configure, get_logger, log_context
from shared.platform.settings import get_settings

log = get_logger(__name__)


class CloudEventLike(Protocol):
    """What functions-framework hands a CloudEvent function (``cloudevents.http.CloudEvent``)."""

    data: Any

    def get_attributes(self) -> Mapping[str, Any]: ...


def setup_logging() -> None:
    """JSON logs for this process (idempotent; called from each entry point on first use)."""
    settings = get_settings()
    secrets = (
        settings.twilio.auth_token,
        settings.meta.token,
        settings.meta.app_secret,
        settings.meta.verify_token,
        settings.smtp.password,
    )
    configure(settings.project, secrets=secrets)


def handle_firestore_event(
    event: CloudEventLike, handler: Callable[[DocumentChange], Mapping[str, Any] | None]
) -> Mapping[str, Any] | None:
    """Decode a Firestore CloudEvent and run ``handler`` on the change.

    Undecodable events are logged and acknowledged (returning normally): retrying would fail
    the same way forever. Permanent domain errors are logged and acknowledged too. Transient
    errors propagate, so Eventarc redelivers the event later.
    """
    setup_logging()
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
        except InvalidInputError as exc:
            log.warning("skipped %s: %s", change.path, exc, extra={"reason": type(exc).__name__})
            return {"skipped": type(exc).__name__, "detail": str(exc)}
        except Exception as exc:
            if is_transient(exc):
                log.warning("transient failure on %s, asking for a retry: %s", change.path, exc)
                raise
            # A bug or data we did not foresee: retrying would loop on the same input forever.
            log.exception("gave up on %s: %s", change.path, exc, extra={"reason": "error"})
            return {"failed": type(exc).__name__, "detail": str(exc)}


FIRESTORE_EVENT_PREFIX = "google.cloud.firestore.document.v1."


class EventDecodeError(InvalidInputError):
    """A CloudEvent whose subject or data cannot be read as a Firestore document change."""


def _parse_timestamp(text: str) -> datetime:
    """RFC 3339 with up to nanoseconds (Firestore) -> aware datetime (microseconds)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, tail = value.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits) :]
        value = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def decode_value(value: Mapping[str, Any]) -> Any:
    """A Firestore ``Value`` in its JSON form -> the Python value the client library would give."""
    if not isinstance(value, Mapping) or not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "nullValue":
        return None
    if kind == "booleanValue":
        return bool(raw)
    if kind == "integerValue":
        return int(raw)
    if kind == "doubleValue":
        return float(raw)
    if kind == "stringValue":
        return str(raw)
    if kind == "timestampValue":
        return _parse_timestamp(str(raw))
    if kind == "bytesValue":
        return base64.b64decode(raw)
    if kind == "referenceValue":
        return str(raw)
    if kind == "geoPointValue":
        return {"latitude": raw.get("latitude", 0.0), "longitude": raw.get("longitude", 0.0)}
    if kind == "arrayValue":
        return [decode_value(v) for v in (raw or {}).get("values", [])]
    if kind == "mapValue":
        return decode_fields((raw or {}).get("fields", {}))
    raise EventDecodeError(f"unknown Firestore value type {kind!r}")


def decode_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: decode_value(v) for name, v in fields.items()}


def _document(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A ``Document`` JSON object -> its fields, or ``None`` when the message is empty."""
    if not doc or not doc.get("name"):
        return None
    return decode_fields(doc.get("fields", {}))


def _event_json(data: Any, content_type: str) -> Mapping[str, Any]:
    """The event data as the JSON form of ``DocumentEventData``, whatever its encoding."""
    if isinstance(data, Mapping):
        return data
    if data is None or (isinstance(data, bytes | str) and not data):
        raise EventDecodeError("the event has no data")
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes | bytearray):
        raise EventDecodeError(f"unexpected event data type {type(data).__name__}")
    if "json" in content_type.lower():
        try:
            loaded = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EventDecodeError(f"event data is not valid JSON: {exc}") from exc
        if not isinstance(loaded, Mapping):
            raise EventDecodeError("event data JSON is not an object")
        return loaded
    try:
        message = DocumentEventData.deserialize(bytes(data))
        text = DocumentEventData.to_json(message, use_integers_for_enums=False)
    except Exception as exc:  # protobuf raises DecodeError and friends; all mean "bad data"
        raise EventDecodeError(f"event data is not a DocumentEventData protobuf: {exc}") from exc
    loaded = json.loads(text)
    if not isinstance(loaded, Mapping):  # pragma: no cover - to_json always gives an object
        raise EventDecodeError("event data is not an object")
    return loaded


def _path_from_subject(subject: str | None, data: Mapping[str, Any]) -> str:
    if subject and subject.startswith("documents/"):
        return subject.removeprefix("documents/")
    for key in ("value", "oldValue"):
        name = (data.get(key) or {}).get("name")
        if isinstance(name, str) and "/documents/" in name:
            return name.split("/documents/", 1)[1]
    raise EventDecodeError(f"cannot tell which document changed (subject {subject!r})")


def decode_document_change(
    *,
    event_id: str,
    event_type: str,
    subject: str | None,
    data: Any,
    content_type: str = "application/protobuf",
    time: str | None = None,
) -> DocumentChange:
    """Decode one Firestore CloudEvent's attributes and data into a ``DocumentChange``."""
    if not event_type.startswith(FIRESTORE_EVENT_PREFIX):
        raise EventDecodeError(f"not a Firestore document event: {event_type!r}")
    message = _event_json(data, content_type)
    try:
        before = _document(message.get("oldValue"))
        after = _document(message.get("value"))
        mask = tuple((message.get("updateMask") or {}).get("fieldPaths", []) or ())
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise EventDecodeError(f"malformed DocumentEventData: {exc}") from exc
    if before is None and after is None:
        raise EventDecodeError("the event carries neither a value nor an old value")
    when = None
    if time:
        try:
            when = _parse_timestamp(time)
        except ValueError:
            when = None
    return DocumentChange(
        event_id=event_id,
        event_type=event_type,
        path=_path_from_subject(subject, message),
        before=before,
        after=after,
        update_mask=mask,
        time=when,
    )
