"""The public webhooks: ``twilio_inbound``, ``twilio_status``, ``meta_webhook``.

Order of work, for every request (``serve``): method, size, signature on the raw request, then
parsing, then the flow. A rejected request writes nothing and creates no client. Answers, from
``functions.boundary.errors``:

| what                                   | Twilio               | Meta |
| -------------------------------------- | -------------------- | ---- |
| wrong method                           | 405                  | 405  |
| body over ``MAX_BODY``                 | 413                  | 413  |
| secret not configured                  | 403                  | 403  |
| signature missing                      | 403                  | 401  |
| signature wrong, verify token wrong    | 403                  | 403  |
| signed, handled (or junk we ignore)    | 200 TwiML / 204      | 200  |
| signed, Firestore or Tasks unavailable | 503 (worth a retry)  | 503  |
| signed, a bug of ours                  | 200 / 204, logged    | 200  |

A bug answers 2xx on purpose: the provider would retry the same body into the same bug. One
bad record of a Meta batch does not stop the others (``shared.flows.meta_batch``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from functions.boundary import payloads
from functions.boundary.errors import Caller
from functions.boundary.http import XML, RawRequest, Response, text_response
from functions.boundary.runtime import Deps
from functions.boundary.serve import EMPTY_TWIML, Target
from functions.boundary.signatures import (
    META_SIGNATURE_HEADER,
    PublicUrl,
    TwilioKeys,
    meta_challenge,
    twilio_params,
    verify_meta,
    verify_twilio,
)
from shared.model.inbound import InboundMessage, MetaBatch, StatusUpdate
from shared.platform.log import get_logger
from shared.platform.settings import Settings

if TYPE_CHECKING:
    from shared.flows.meta_batch import BatchOutcome

log = get_logger(__name__)

MAX_BODY = 256 * 1024


def _twilio_signed(target: str) -> Callable[[RawRequest, Settings], None]:
    def authorize(raw: RawRequest, settings: Settings) -> None:
        verify_twilio(
            raw,
            TwilioKeys(settings.twilio.auth_token, settings.twilio.webhook_signing_key),
            PublicUrl(
                target,
                webhook_public_url=settings.webhook_public_url,
                public_base_url=settings.public_base_url,
                deployed=settings.deployed,
            ),
        )

    return authorize


def _form(raw: RawRequest) -> dict[str, str]:
    return twilio_params(raw)


# -- twilio_status -------------------------------------------------------------------------------


def parse_status(raw: RawRequest, deps: Deps) -> StatusUpdate | None:
    update = payloads.twilio_status(_form(raw))
    if update is None:
        log.warning("a signed status callback without MessageSid or MessageStatus")
    return update


def run_status(update: StatusUpdate | None, deps: Deps) -> None:
    if update is None:
        return
    from shared.flows.statuses import apply_status  # noqa: PLC0415 - after the check

    apply_status(deps.db, update, now=deps.clock(), queue=deps.queue)


TWILIO_STATUS: Target[StatusUpdate | None, None] = Target(
    name="twilio_status",
    caller=Caller.TWILIO,
    authorize=_twilio_signed("twilio_status"),
    parse=parse_status,
    run=run_status,
    answer=lambda _: ("", 204, {}),
    limit=MAX_BODY,
)


# -- twilio_inbound ------------------------------------------------------------------------------


def parse_inbound(raw: RawRequest, deps: Deps) -> InboundMessage | None:
    message = payloads.twilio_inbound(_form(raw))
    if message is None:
        log.warning("a signed inbound webhook without MessageSid or From")
    return message


def run_inbound(message: InboundMessage | None, deps: Deps) -> None:
    if message is None:
        return
    from shared.flows.inbound import handle_message  # noqa: PLC0415 - after the check

    handle_message(deps.db, message, settings=deps.settings, now=deps.clock(), queue=deps.queue)


TWILIO_INBOUND: Target[InboundMessage | None, None] = Target(
    name="twilio_inbound",
    caller=Caller.TWILIO,
    authorize=_twilio_signed("twilio_inbound"),
    parse=parse_inbound,
    run=run_inbound,
    answer=lambda _: (EMPTY_TWIML, 200, dict(XML)),
    limit=MAX_BODY,
)


# -- meta_webhook --------------------------------------------------------------------------------


def parse_challenge(raw: RawRequest, deps: Deps) -> str:
    return meta_challenge(raw.args, deps.settings.meta.verify_token)


META_VERIFY: Target[str, str] = Target(
    name="meta_webhook",
    caller=Caller.META,
    methods=frozenset({"GET"}),
    parse=parse_challenge,
    run=lambda challenge, deps: challenge,
    answer=text_response,
    limit=0,
)


def authorize_meta(raw: RawRequest, settings: Settings) -> None:
    verify_meta(raw.body, raw.header(META_SIGNATURE_HEADER), settings.meta.app_secret)


def parse_batch(raw: RawRequest, deps: Deps) -> MetaBatch:
    payload = payloads.parse_json(raw.body)
    if not isinstance(payload, dict):
        log.warning("a signed Meta webhook whose body is not a JSON object")
        return MetaBatch()
    batch = payloads.meta_batch(payload, phone_number_id=deps.settings.meta.phone_number_id)
    if batch.ignored:
        level = logging.WARNING if "other_phone_number" in batch.ignored_by else logging.INFO
        log.log(
            level,
            "ignored %d Meta records or changes: %s",
            batch.ignored,
            ", ".join(f"{why} {n}" for why, n in sorted(batch.ignored_by.items())),
            extra={"ignored": dict(batch.ignored_by)},
        )
    if batch.unknown_kinds:
        log.warning(
            "kept Meta messages of types we do not know (stored as kind unknown): %s",
            ", ".join(batch.unknown_kinds),
        )
    return batch


def run_batch(batch: MetaBatch, deps: Deps) -> BatchOutcome | None:
    if batch.empty:
        return None
    from shared.flows.meta_batch import handle_batch  # noqa: PLC0415 - after the check

    return handle_batch(deps.db, batch, settings=deps.settings, now=deps.clock(), queue=deps.queue)


def answer_batch(outcome: BatchOutcome | None) -> Response:
    if outcome is not None and outcome.retry:
        return text_response("retry later", 503)
    return text_response("ok", 200)


META_EVENTS: Target[MetaBatch, BatchOutcome | None] = Target(
    name="meta_webhook",
    caller=Caller.META,
    authorize=authorize_meta,
    parse=parse_batch,
    run=run_batch,
    answer=answer_batch,
    limit=MAX_BODY,
)
