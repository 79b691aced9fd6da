"""Request -> response for the three webhook targets, and the table of status codes.

Order of work, for every request: method, size, signature (on the raw request), then parsing,
then Firestore. A rejected request writes nothing and creates no client.

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
bad record of a Meta batch does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

from functions.boundary import payloads
from functions.boundary.errors import (
    PayloadTooLargeError,
    SignatureMissingError,
    WebhookNotConfiguredError,
    WebhookRejectedError,
)
from functions.boundary.signatures import (
    META_SIGNATURE_HEADER,
    RawRequest,
    meta_challenge,
    verify_meta,
    verify_twilio,
)
from shared.platform.clock import utcnow
from shared.platform.errors import is_transient
from shared.platform.log import configure, get_logger, log_context, trace_id_from_header
from shared.platform.settings import Settings, get_settings
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)

Response = tuple[str, int, dict[str, str]]
T = TypeVar("T")

MAX_BODY = 256 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_XML = {"Content-Type": "text/xml; charset=utf-8"}
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class RequestLike(Protocol):
    """The parts of a Flask/Werkzeug request the webhooks read."""

    @property
    def method(self) -> str: ...
    @property
    def environ(self) -> dict[str, Any]: ...
    @property
    def headers(self) -> Any: ...
    @property
    def args(self) -> Any: ...
    @property
    def content_length(self) -> int | None: ...

    def get_data(self) -> bytes: ...


class Deps:
    """What handling needs besides the request; defaults are the process-wide ones, made lazily.

    Tests pass their own settings, emulator client, queue and clock.
    """

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        db: Client | None = None,
        queue: TaskQueue | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._db = db
        self.queue = queue
        self.clock = clock or utcnow

    @property
    def db(self) -> Client:
        if self._db is None:
            self._db = get_db()
        return self._db


def _text(body: str, status: int) -> Response:
    return body, status, dict(_TEXT)


def raw_request(request: RequestLike) -> RawRequest:
    """The request as the signature checks see it: path and query exactly as received."""
    environ = request.environ
    target = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if target.startswith(("http://", "https://")):  # absolute-form request target
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    if target.startswith("/"):
        path, has_query, query = target.partition("?")
    else:
        script_and_path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
        path = quote(script_and_path.encode("latin-1", errors="replace"), safe=_PATH_SAFE)
        has_query, query = "", ""
    if not has_query:  # a server that keeps the query out of its raw URI
        query = str(environ.get("QUERY_STRING", ""))
    host = str(environ.get("HTTP_HOST") or "")
    if not host:
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise PayloadTooLargeError(f"body of {length} bytes")
    body = request.get_data()
    if len(body) > MAX_BODY:
        raise PayloadTooLargeError(f"body of {len(body)} bytes")
    headers = {str(k).lower(): str(v) for k, v in request.headers.items()}
    return RawRequest(
        method=request.method,
        scheme=str(environ.get("wsgi.url_scheme") or "http"),
        host=host,
        path=path or "/",
        query=query,
        body=body,
        headers=headers,
    )


def _rejected(exc: WebhookRejectedError, *, missing_status: int) -> Response:
    if isinstance(exc, PayloadTooLargeError):
        log.warning("refused a webhook: %s", exc)
        return _text("payload too large", 413)
    if isinstance(exc, WebhookNotConfiguredError):
        log.error("refused a webhook: %s", exc)
        return _text("forbidden", 403)
    if isinstance(exc, SignatureMissingError):
        log.warning("refused a webhook: %s", exc)
        return _text("missing signature", missing_status)
    log.warning("refused a webhook: %s", exc)
    return _text("forbidden", 403)


def _signed_twilio_form(request: RequestLike, deps: Deps, target: str) -> dict[str, str] | Response:
    """The form of a Twilio webhook whose signature checks out, or the refusal to answer."""
    try:
        return verify_twilio(
            raw_request(request),
            deps.settings.twilio.auth_token,
            public_base_url=deps.settings.public_base_url,
            target=target,
        )
    except WebhookRejectedError as exc:
        return _rejected(exc, missing_status=403)


def _guarded(what: str, work: Callable[[], T]) -> tuple[T | None, bool]:
    """Run the work of one signed record: (result, transient failure?). Bugs are logged."""
    try:
        return work(), False
    except Exception as exc:
        if is_transient(exc):
            log.warning("%s failed, asking for a retry: %s", what, exc)
            return None, True
        log.exception("%s failed: %s", what, exc)
        return None, False


def _context(request: RequestLike, webhook: str) -> Any:
    configure(get_settings().project)  # not shared.entry's: it loads the Eventarc protobufs
    trace = trace_id_from_header(request.headers.get("X-Cloud-Trace-Context"))
    return log_context(trace=trace, webhook=webhook)


def twilio_status_response(request: RequestLike, deps: Deps | None = None) -> Response:
    """``twilio_status``: a signed ``StatusCallback`` updates its notification; always 2xx."""
    with _context(request, "twilio_status"):
        if request.method != "POST":
            return _text("method not allowed", 405)
        deps = deps or Deps()
        form = _signed_twilio_form(request, deps, "twilio_status")
        if isinstance(form, tuple):
            return form
        update = payloads.twilio_status(form)
        if update is None:
            log.warning("a signed status callback without MessageSid or MessageStatus")
            return "", 204, {}
        from shared.flows.statuses import apply_status  # noqa: PLC0415 - after the check

        _, transient = _guarded(
            "status callback",
            lambda: apply_status(deps.db, update, now=deps.clock(), queue=deps.queue),
        )
        return ("", 503, dict(_TEXT)) if transient else ("", 204, {})


def twilio_inbound_response(request: RequestLike, deps: Deps | None = None) -> Response:
    """``twilio_inbound``: a signed SMS or WhatsApp message; answers an empty TwiML."""
    with _context(request, "twilio_inbound"):
        if request.method != "POST":
            return _text("method not allowed", 405)
        deps = deps or Deps()
        form = _signed_twilio_form(request, deps, "twilio_inbound")
        if isinstance(form, tuple):
            return form
        message = payloads.twilio_inbound(form)
        if message is None:
            log.warning("a signed inbound webhook without MessageSid or From")
            return EMPTY_TWIML, 200, dict(_XML)
        from shared.flows.inbound import handle_message  # noqa: PLC0415 - after the check

        _, transient = _guarded(
            "inbound message",
            lambda: handle_message(
                deps.db, message, settings=deps.settings, now=deps.clock(), queue=deps.queue
            ),
        )
        return (_text("retry later", 503)) if transient else (EMPTY_TWIML, 200, dict(_XML))


def meta_webhook_response(request: RequestLike, deps: Deps | None = None) -> Response:
    """``meta_webhook``: GET verification handshake, POST signed JSON notifications."""
    with _context(request, "meta_webhook"):
        if request.method == "GET":
            deps = deps or Deps()
            query = {str(k): str(v) for k, v in request.args.items()}
            try:
                challenge = meta_challenge(query, deps.settings.meta.verify_token)
            except WebhookRejectedError as exc:
                return _rejected(exc, missing_status=403)
            return _text(challenge, 200)
        if request.method != "POST":
            return _text("method not allowed", 405)
        deps = deps or Deps()
        try:
            raw = raw_request(request)
            verify_meta(raw.body, raw.header(META_SIGNATURE_HEADER), deps.settings.meta.app_secret)
        except WebhookRejectedError as exc:
            return _rejected(exc, missing_status=401)
        return _meta_notifications(raw.body, deps)


def _meta_notifications(body: bytes, deps: Deps) -> Response:
    payload = payloads.parse_json(body)
    if not isinstance(payload, dict):
        log.warning("a signed Meta webhook whose body is not a JSON object")
        return _text("ok", 200)
    batch = payloads.meta_batch(payload)
    if batch.ignored:
        log.info("ignored %d Meta records or changes we do not handle", batch.ignored)
    if not (batch.statuses or batch.messages or batch.preferences):
        return _text("ok", 200)
    from shared.flows.inbound import handle_message, handle_preference  # noqa: PLC0415
    from shared.flows.statuses import apply_status  # noqa: PLC0415

    db, now, queue, settings = deps.db, deps.clock(), deps.queue, deps.settings
    jobs: list[tuple[str, Callable[[], object]]] = []
    jobs += [
        ("Meta status", partial(apply_status, db, u, now=now, queue=queue)) for u in batch.statuses
    ]
    jobs += [
        ("Meta message", partial(handle_message, db, m, settings=settings, now=now, queue=queue))
        for m in batch.messages
    ]
    jobs += [
        ("Meta preference", partial(handle_preference, db, p, settings=settings, now=now))
        for p in batch.preferences
    ]
    retry = False
    for what, work in jobs:
        retry |= _guarded(what, work)[1]
    return _text("retry later", 503) if retry else _text("ok", 200)
