"""Request -> response for the internal HTTP targets (``deliver_notification``, ``cart_sweep``)."""

from __future__ import annotations

from typing import Any, Protocol

from functions.boundary.cloudevents import setup_logging
from functions.boundary.http import BadRequestError, Response, json_response, parse_json_object
from shared.adapters.oidc import CallerAuthError, verify_internal_caller
from shared.model.ids import is_firestore_id
from shared.platform.errors import is_transient
from shared.platform.log import get_logger, log_context, trace_id_from_header
from shared.platform.settings import get_settings

log = get_logger(__name__)


class RequestLike(Protocol):
    method: str
    headers: Any

    def get_data(self) -> bytes: ...


def _retry_count(headers: Any) -> int | None:
    raw = headers.get("X-CloudTasks-TaskRetryCount")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _refuse(request: RequestLike) -> Response | None:
    """The answer to a request an internal target does not take: not a POST, or a stranger."""
    if request.method != "POST":
        return json_response({"error": "method not allowed"}, 405)
    try:
        verify_internal_caller(request.headers.get("Authorization"), get_settings())
    except CallerAuthError as exc:
        log.warning("refused an internal call: %s", exc)
        return json_response({"error": "unauthorized"}, exc.status)
    return None


def deliver_request(request: RequestLike) -> Response:
    setup_logging()
    refused = _refuse(request)
    if refused is not None:
        return refused
    try:
        body = parse_json_object(request.get_data())
        notification_id = body.get("notificationId")
        if not isinstance(notification_id, str) or not notification_id.strip():
            raise BadRequestError("notificationId must be a non-empty string")
        if not is_firestore_id(notification_id):
            raise BadRequestError("notificationId is not a valid document id")
    except BadRequestError as exc:
        log.warning("rejected a delivery request: %s", exc)
        return json_response({"error": str(exc)}, 400)

    from shared.flows.deliver import deliver  # noqa: PLC0415 - keeps cold start lean

    trace = trace_id_from_header(request.headers.get("X-Cloud-Trace-Context"))
    with log_context(trace=trace, notificationId=notification_id):
        try:
            outcome = deliver(notification_id, task_retry_count=_retry_count(request.headers))
        except Exception as exc:
            status = 503 if is_transient(exc) else 500
            log.exception("delivery attempt crashed: %s", exc)
            return json_response({"notificationId": notification_id, "error": str(exc)}, status)
    return json_response(outcome.body(notification_id), outcome.http_status)


def sweep_request(request: RequestLike) -> Response:
    setup_logging()
    refused = _refuse(request)
    if refused is not None:
        return refused
    from shared.flows.carts.sweep import run_sweep  # noqa: PLC0415 - only cart_sweep needs it

    try:
        summary = run_sweep()  # per-cart failures are in the summary; this is the queries failing
    except Exception as exc:
        log.exception("cart sweep failed: %s", exc)
        return json_response({"error": str(exc)}, 503 if is_transient(exc) else 500)
    body = dict(summary.as_json())
    body.update(_housekeeping())
    return json_response(body)


def _housekeeping() -> dict[str, Any]:
    """Work the scheduled sweep also does: statuses that outran their send. Never fails it."""
    from shared.flows.orphans import reconcile_orphans  # noqa: PLC0415
    from shared.platform.clock import utcnow  # noqa: PLC0415
    from shared.store.client import get_db  # noqa: PLC0415

    try:
        return dict(reconcile_orphans(get_db(), now=utcnow()))
    except Exception as exc:
        log.exception("orphan status reconciliation failed: %s", exc)
        return {"orphansError": type(exc).__name__}
