"""One way to serve an HTTP target: refuse, parse into a typed command, make one call, answer.

Every HTTP target is a ``Target``: the methods it takes, its body limit, how it proves who is
calling (a signature, a token), how it parses the request into a command, the one call into
``shared.flows`` that does the work, and how the result is answered. ``serve`` runs them in that
order (so a refused request is never parsed and writes nothing) and answers every error from
the one table of ``functions.boundary.errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from functions.boundary.errors import (
    Caller,
    MethodNotAllowedError,
    RequestRejectedError,
    status_for,
)
from functions.boundary.http import (
    XML,
    RawRequest,
    RequestLike,
    Response,
    json_response,
    read_request,
    text_response,
)
from functions.boundary.runtime import Deps, init
from shared.platform.log import get_logger, log_context, trace_id_from_header
from shared.platform.settings import Settings

log = get_logger(__name__)

C = TypeVar("C")
R = TypeVar("R")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_REFUSED_TEXT = {
    400: "bad request",
    401: "missing credentials",
    403: "forbidden",
    405: "method not allowed",
    413: "payload too large",
}


def _no_check(raw: RawRequest, settings: Settings) -> None:
    return None


@dataclass(frozen=True)
class Target(Generic[C, R]):
    """An HTTP target's steps (see the module docstring)."""

    name: str
    caller: Caller
    parse: Callable[[RawRequest, Deps], C]
    run: Callable[[C, Deps], R]
    answer: Callable[[R], Response]
    methods: frozenset[str] = frozenset({"POST"})
    limit: int = 256 * 1024
    authorize: Callable[[RawRequest, Settings], None] = _no_check


def error_answer(caller: Caller, status: int, message: str) -> Response:
    """The body of a refusal or a failure, in the caller's own terms."""
    if caller is Caller.INTERNAL:
        return json_response({"error": message}, status)
    if caller is Caller.TWILIO and status == 200:
        return EMPTY_TWIML, 200, dict(XML)
    text = _REFUSED_TEXT.get(status, "retry later" if status >= 500 else "ok")
    return text_response(text, status)


def serve(target: Target[C, R], request: RequestLike, deps: Deps | None = None) -> Response:
    """Refuse, parse, run, answer: ``target`` on ``request``."""
    init()
    trace = trace_id_from_header(request.headers.get("X-Cloud-Trace-Context"))
    with log_context(trace=trace, target=target.name):
        deps = deps or Deps()
        try:
            if request.method not in target.methods:
                raise MethodNotAllowedError(f"{request.method} is not one of {target.methods}")
            raw = read_request(request, limit=target.limit, body=request.method != "GET")
            target.authorize(raw, deps.settings)
            command = target.parse(raw, deps)
        except RequestRejectedError as exc:
            status = status_for(exc, target.caller)
            log.warning(
                "refused a request (%d): %s", status, exc, extra={"reason": type(exc).__name__}
            )
            return error_answer(target.caller, status, str(exc))
        try:
            result = target.run(command, deps)
        except Exception as exc:
            status = status_for(exc, target.caller)
            if status >= 500 and status != 503:
                log.exception("%s failed: %s", target.name, exc)
            elif status == 503:
                log.warning("%s failed transiently, asking for a retry: %s", target.name, exc)
            else:
                log.exception("%s failed on data it cannot use: %s", target.name, exc)
            return error_answer(target.caller, status, str(exc))
        return target.answer(result)
