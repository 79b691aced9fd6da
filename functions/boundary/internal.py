"""The internal HTTP targets: ``deliver_notification`` (Cloud Tasks) and ``cart_sweep``
(Cloud Scheduler). Both are private: a request must come from an allowed invoker
(``shared.adapters.oidc``) before its body is read for its meaning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from functions.boundary.errors import (
    BadRequestError,
    Caller,
    CredentialsInvalidError,
    CredentialsMissingError,
    ForbiddenError,
    NotConfiguredError,
)
from functions.boundary.http import RawRequest, Response, json_response, parse_json_object
from functions.boundary.runtime import Deps
from functions.boundary.serve import Target
from shared.adapters import oidc
from shared.model.commands import DeliverCommand, SweepCommand
from shared.model.ids import is_firestore_id
from shared.platform.log import get_logger
from shared.platform.settings import Settings

if TYPE_CHECKING:
    from shared.flows.carts.sweep import SweepSummary
    from shared.flows.deliver import Outcome

log = get_logger(__name__)

MAX_BODY = 64 * 1024


def authorize(raw: RawRequest, settings: Settings) -> None:
    """Only an allowed invoker: the OIDC refusals as the boundary's own."""
    try:
        oidc.verify_internal_caller(raw.header("Authorization"), settings)
    except oidc.MissingCredentialsError as exc:
        raise CredentialsMissingError(str(exc)) from exc
    except oidc.InvalidTokenError as exc:
        raise CredentialsInvalidError(str(exc)) from exc
    except oidc.ForbiddenCallerError as exc:
        raise ForbiddenError(str(exc)) from exc
    except oidc.NotConfiguredCallerError as exc:
        raise NotConfiguredError(str(exc)) from exc


def _retry_count(raw: RawRequest) -> int | None:
    value = raw.header("X-CloudTasks-TaskRetryCount")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_delivery(raw: RawRequest, deps: Deps) -> DeliverCommand:
    body = parse_json_object(raw.body)
    notification_id = body.get("notificationId")
    if not isinstance(notification_id, str) or not notification_id.strip():
        raise BadRequestError("notificationId must be a non-empty string")
    if not is_firestore_id(notification_id):
        raise BadRequestError("notificationId is not a valid document id")
    return DeliverCommand(notification_id, _retry_count(raw))


def run_delivery(command: DeliverCommand, deps: Deps) -> tuple[str, Outcome]:
    from shared.flows.deliver import deliver  # noqa: PLC0415 - only this target needs it

    outcome = deliver(
        command.notification_id,
        db=deps.db,
        queue=deps.queue,
        now=deps.clock(),
        task_retry_count=command.task_retry_count,
    )
    return command.notification_id, outcome


def answer_delivery(result: tuple[str, Outcome]) -> Response:
    notification_id, outcome = result
    return json_response(outcome.body(notification_id), outcome.http_status)


DELIVER = Target(
    name="deliver_notification",
    caller=Caller.INTERNAL,
    authorize=authorize,
    parse=parse_delivery,
    run=run_delivery,
    answer=answer_delivery,
    limit=MAX_BODY,
)


def run_sweep(command: SweepCommand, deps: Deps) -> dict[str, Any]:
    from shared.flows.carts.sweep import run_sweep as sweep  # noqa: PLC0415
    from shared.flows.orphans import housekeeping  # noqa: PLC0415

    summary: SweepSummary = sweep(db=deps.db, queue=deps.queue, now=deps.clock())
    return {**summary.as_json(), **housekeeping(deps.db, now=deps.clock())}


SWEEP = Target(
    name="cart_sweep",
    caller=Caller.INTERNAL,
    authorize=authorize,
    parse=lambda raw, deps: SweepCommand(),
    run=run_sweep,
    answer=json_response,
    limit=MAX_BODY,
)
