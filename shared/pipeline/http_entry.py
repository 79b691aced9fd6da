"""Request -> response for the internal HTTP targets (``deliver_notification``, ``cart_sweep``)."""

from __future__ import annotations

from typing import Any, Protocol

from shared.entry import setup_logging
from shared.http import BadRequestError, Response, json_response, parse_json_object
from shared.log import get_logger

log = get_logger(__name__)


class RequestLike(Protocol):
    method: str
    headers: Any

    def get_data(self) -> bytes: ...


def deliver_request(request: RequestLike) -> Response:
    setup_logging()
    if request.method != "POST":
        return json_response({"error": "method not allowed"}, 405)
    try:
        body = parse_json_object(request.get_data())
        notification_id = body.get("notificationId")
        if not isinstance(notification_id, str) or not notification_id.strip():
            raise BadRequestError("notificationId must be a non-empty string")
    except BadRequestError as exc:
        log.warning("rejected a delivery request: %s", exc)
        return json_response({"error": str(exc)}, 400)
    return json_response({"notificationId": notification_id, "outcome": "not_implemented"})


def sweep_request(request: RequestLike) -> Response:
    setup_logging()
    if request.method != "POST":
        return json_response({"error": "method not allowed"}, 405)
    return json_response({"due": 0, "enqueued": 0})
