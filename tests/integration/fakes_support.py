"""Helpers for the adapter tests: settings aimed at the fakes, a webhook receiver, constants.

The fixtures that use them are in ``fakes_fixture`` (loaded as a pytest plugin).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from devstack.fakes import FakeProviders
from shared.platform.settings import Settings

PROJECT = "demo-adapters"
META_PHONE_NUMBER_ID = "106540352242922"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"
STATUS_CALLBACK_URL = "https://europe-west1-demo-adapters.cloudfunctions.net/twilio_status"


def settings_for(fakes: FakeProviders, **overrides: str) -> Settings:
    """Every provider configured and aimed at ``fakes`` (``overrides`` are env variables)."""
    env = {
        **fakes.env(),
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_STATUS_CALLBACK_URL": STATUS_CALLBACK_URL,
        "META_PHONE_NUMBER_ID": META_PHONE_NUMBER_ID,
        "SMTP_FROM": "Atelier Réparation <atelier@repar.example>",
        **overrides,
    }
    return Settings.from_env(env)


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    url: str
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class CallbackReceiver:
    """A tiny webhook endpoint: records every request and answers 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._cond = threading.Condition()
        self._server = ThreadedWSGIServer("127.0.0.1", 0, self._app, _Quiet)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        form = dict(request.form.items()) if request.mimetype.endswith("urlencoded") else {}
        with self._cond:
            self.received.append(
                Received(request.path, request.url, dict(request.headers.items()), form, body)
            )
            self._cond.notify_all()
        return Response("ok")(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.received)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
