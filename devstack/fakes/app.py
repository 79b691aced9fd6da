"""The fakes' HTTP surface: provider endpoints and the ``/_fake/`` control API, one WSGI app.

Control API (JSON):

- ``GET /_fake/health``: ``{"ok": true}``.
- ``GET /_fake/requests?provider=twilio|meta|fcm``: recorded requests, in order.
- ``GET /_fake/messages?provider=twilio|meta|fcm``: accepted messages, in order.
- ``GET /_fake/emails``: captured emails, in order.
- ``GET /_fake/callbacks``: status callbacks sent, with the answer each got.
- ``POST /_fake/reset``: forget requests, messages, emails, callbacks and faults.
- ``GET /_fake/faults``; ``POST /_fake/faults`` ``{"rules": [...], "append": false}`` (or a
  bare list); ``DELETE /_fake/faults``. Rules: see ``devstack.fakes.faults``.
- ``POST /_fake/callbacks`` ``{"provider": "twilio", "sid": "SM...", "status": "delivered",
  "error_code": 30003, "url": optional}`` or ``{"provider": "meta", "id": "wamid...",
  "status": "read", "errors": optional, "url": optional}``: sends one signed callback.
- ``POST /_fake/auto-callbacks`` ``{"enabled": true, "statuses": ["sent", "delivered"],
  "delay": 0.05}``.
- ``POST /_fake/config`` ``{"meta_webhook_url": "..."}``: change where Meta webhooks go.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from devstack.fakes.callbacks import CallbackError, Callbacks
from devstack.fakes.faults import FaultRule
from devstack.fakes.fcm_api import FcmApi
from devstack.fakes.meta_api import MetaApi
from devstack.fakes.state import PROVIDERS, FakeState
from devstack.fakes.twilio_api import TwilioApi

TWILIO_MESSAGES = "/2010-04-01/Accounts/<account_sid>/Messages.json"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


def _body(request: Request) -> Any:
    raw = request.get_data(as_text=True)
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _BadRequestError(f"body is not JSON: {exc}") from exc


class _BadRequestError(ValueError):
    pass


class FakeApp:
    """WSGI application routing to the provider fakes and the control API."""

    def __init__(self, state: FakeState, callbacks: Callbacks) -> None:
        self.state = state
        self.callbacks = callbacks
        self.twilio = TwilioApi(state, lambda sid: callbacks.accepted("twilio", sid))
        self.meta = MetaApi(state, lambda wamid: callbacks.accepted("meta", wamid))
        self.fcm = FcmApi(state)
        self.routes: dict[str, Callable[..., Response]] = {
            "twilio_create": self.twilio.create,
            "twilio_list": self.twilio.list,
            "twilio_fetch": self.twilio.fetch,
            "meta_send": self.meta.send,
            "fcm_send": self.fcm.send,
            "health": lambda _r: _json({"ok": True}),
            "requests": self.get_requests,
            "messages": self.get_messages,
            "emails": lambda _r: _json(self.state.emails()),
            "callbacks_list": lambda _r: _json(self.state.callbacks()),
            "reset": self.post_reset,
            "faults_get": lambda _r: _json(self.state.faults.rules()),
            "faults_set": self.post_faults,
            "faults_clear": self.delete_faults,
            "callbacks_send": self.post_callback,
            "auto_callbacks": self.post_auto_callbacks,
            "config": self.post_config,
        }
        self.url_map = Map(
            [
                Rule(TWILIO_MESSAGES, methods=["POST"], endpoint="twilio_create"),
                Rule(TWILIO_MESSAGES, methods=["GET"], endpoint="twilio_list"),
                Rule(
                    "/2010-04-01/Accounts/<account_sid>/Messages/<sid>.json",
                    methods=["GET"],
                    endpoint="twilio_fetch",
                ),
                Rule("/v1/projects/<project>/messages:send", methods=["POST"], endpoint="fcm_send"),
                Rule(
                    "/<version>/<phone_number_id>/messages", methods=["POST"], endpoint="meta_send"
                ),
                Rule("/_fake/health", methods=["GET"], endpoint="health"),
                Rule("/_fake/requests", methods=["GET"], endpoint="requests"),
                Rule("/_fake/messages", methods=["GET"], endpoint="messages"),
                Rule("/_fake/emails", methods=["GET"], endpoint="emails"),
                Rule("/_fake/callbacks", methods=["GET"], endpoint="callbacks_list"),
                Rule("/_fake/callbacks", methods=["POST"], endpoint="callbacks_send"),
                Rule("/_fake/reset", methods=["POST"], endpoint="reset"),
                Rule("/_fake/faults", methods=["GET"], endpoint="faults_get"),
                Rule("/_fake/faults", methods=["POST"], endpoint="faults_set"),
                Rule("/_fake/faults", methods=["DELETE"], endpoint="faults_clear"),
                Rule("/_fake/auto-callbacks", methods=["POST"], endpoint="auto_callbacks"),
                Rule("/_fake/config", methods=["POST"], endpoint="config"),
            ]
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            response = self.routes[str(endpoint)](request, **args)
        except NotFound:
            response = _json(
                {"error": f"no fake endpoint for {request.method} {request.path}"}, 404
            )
        except HTTPException as exc:
            response = _json({"error": exc.description}, exc.code or 400)
        except (_BadRequestError, CallbackError, ValueError, KeyError) as exc:
            response = _json({"error": f"{type(exc).__name__}: {exc}"}, 400)
        return response(environ, start_response)

    # -- control API -------------------------------------------------------------------------
    def _provider(self, request: Request) -> str | None:
        provider = request.args.get("provider")
        if provider is not None and provider not in PROVIDERS:
            raise _BadRequestError(f"provider must be one of {PROVIDERS}")
        return provider

    def get_requests(self, request: Request) -> Response:
        return _json(self.state.requests(self._provider(request)))

    def get_messages(self, request: Request) -> Response:
        provider = self._provider(request)
        if provider is None:
            return _json({p: self.state.messages(p) for p in PROVIDERS})
        return _json(self.state.messages(provider))

    def post_reset(self, request: Request) -> Response:
        self.state.reset()
        return _json({"ok": True})

    def post_faults(self, request: Request) -> Response:
        body = _body(request)
        rules_json = body if isinstance(body, list) else body.get("rules", [])
        append = bool(body.get("append")) if isinstance(body, dict) else False
        rules = [FaultRule.from_json(rule) for rule in rules_json]
        self.state.faults.set(rules, append=append)
        return _json(self.state.faults.rules())

    def delete_faults(self, request: Request) -> Response:
        self.state.faults.clear()
        return _json([])

    def post_callback(self, request: Request) -> Response:
        body = _body(request)
        provider = body.get("provider")
        if provider == "twilio":
            entry = self.callbacks.twilio(
                str(body.get("sid") or body.get("id")),
                str(body["status"]),
                error_code=body.get("error_code"),
                url=body.get("url"),
            )
        elif provider == "meta":
            entry = self.callbacks.meta(
                str(body.get("id") or body.get("sid")),
                str(body["status"]),
                errors=body.get("errors"),
                url=body.get("url"),
            )
        else:
            raise _BadRequestError("provider must be twilio or meta")
        return _json(entry)

    def post_auto_callbacks(self, request: Request) -> Response:
        body = _body(request)
        auto = self.callbacks.configure_auto(
            bool(body.get("enabled", True)), body.get("statuses"), body.get("delay")
        )
        return _json({"enabled": auto.enabled, "statuses": auto.statuses, "delay": auto.delay})

    def post_config(self, request: Request) -> Response:
        body = _body(request)
        if "meta_webhook_url" in body:
            self.state.config.meta_webhook_url = body["meta_webhook_url"] or None
        return _json({"meta_webhook_url": self.state.config.meta_webhook_url})
