"""Firestore CloudEvents as Eventarc delivers them, for function URLs and in-process apps.

Build with ``document_event("tickets/T1", before, after)`` (plain Python dicts; ``None`` for a
side where the document does not exist), or from a captured payload with ``event_from_fixture``.
Send with ``post_event(url, event)`` to a running function, or ``send_event(client, event)`` to a
``functions_framework.create_app(...).test_client()`` (``cloudevent_client("on_ticket_written")``).
``encoding="protobuf"`` (the default, what Eventarc sends) or ``"json"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import requests
from google.events.cloud.firestore_v1 import DocumentEventData

from devstack.eventarc import (
    CREATED,
    DELETED,
    UPDATED,
    WRITTEN,
    FirestoreEvent,
    changed_fields,
    document_event,
)
from tests.support.fixtures import fixture_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

__all__ = [
    "CREATED",
    "DELETED",
    "UPDATED",
    "WRITTEN",
    "Encoding",
    "FirestoreEvent",
    "changed_fields",
    "cloudevent_client",
    "document_event",
    "encode",
    "event_from_fixture",
    "http_client",
    "post_event",
    "send_event",
]

ROOT = Path(__file__).resolve().parent.parent.parent
Encoding = Literal["protobuf", "json"]


def encode(event: FirestoreEvent, encoding: Encoding = "protobuf") -> tuple[dict[str, str], bytes]:
    """Headers and body of a binary-mode request carrying ``event``."""
    if encoding == "protobuf":
        return event.binary()
    if encoding == "json":
        return event.binary_json()
    raise ValueError(f"unknown encoding {encoding!r}")


def post_event(
    url: str,
    event: FirestoreEvent,
    *,
    encoding: Encoding = "protobuf",
    session: requests.Session | None = None,
    timeout: float = 30.0,
) -> requests.Response:
    """POST the event to a running function, as Eventarc would."""
    headers, body = encode(event, encoding)
    poster = session or requests
    return poster.post(url, data=body, headers=headers, timeout=timeout)


def send_event(
    client: FlaskClient, event: FirestoreEvent, *, encoding: Encoding = "protobuf", path: str = "/"
) -> Any:
    """POST the event to an in-process functions-framework app's test client."""
    headers, body = encode(event, encoding)
    return client.post(path, data=body, headers=headers)


def cloudevent_client(target: str, source: Path | str = ROOT / "main.py") -> FlaskClient:
    """``functions_framework.create_app(target, source, "cloudevent").test_client()``."""
    import functions_framework  # noqa: PLC0415

    factory: Any = functions_framework.create_app
    client: FlaskClient = factory(target, str(source), "cloudevent").test_client()
    return client


def http_client(target: str, source: Path | str = ROOT / "main.py") -> FlaskClient:
    """``functions_framework.create_app(target, source, "http").test_client()``."""
    import functions_framework  # noqa: PLC0415

    factory: Any = functions_framework.create_app
    client: FlaskClient = factory(target, str(source), "http").test_client()
    return client


def event_from_fixture(
    relative: str,
    *,
    event_id: str = "fixture-event-1",
    event_type: str = WRITTEN,
    time: str = "2020-04-23T12:00:27.247187Z",
) -> FirestoreEvent:
    """A captured ``DocumentEventData`` JSON file (``eventarc/...``) as an Eventarc event."""
    data = DocumentEventData.from_json(
        fixture_path(relative).read_text(), ignore_unknown_fields=False
    )
    name = data.value.name or data.old_value.name
    prefix, _, path = name.partition("/documents/")
    project = prefix.split("/")[1]
    database = prefix.split("/")[3]
    return FirestoreEvent(
        id=event_id,
        type=event_type,
        source=f"//firestore.googleapis.com/{prefix}",
        subject=f"documents/{path}",
        time=time,
        data=data,
        extensions={"project": project, "database": database, "document": path},
    )
