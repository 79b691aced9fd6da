"""Boundaries shared by the entry points: event decoding, error-to-response tables, logging setup.

Entry points (``functions/``) stay one call deep: they hand the raw trigger to a function here,
which decodes it, calls the domain handler, and maps the outcome (or the typed error) to what
the platform expects. Nothing below this layer swallows exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from shared.errors import InvalidInputError, is_transient
from shared.events import DocumentChange, EventDecodeError, decode_document_change
from shared.log import configure, get_logger, log_context
from shared.settings import get_settings

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
