"""``console``: the shop staff's read-only pages (Firebase Auth session; sign-in page otherwise)."""

from __future__ import annotations

import threading

import flask
import functions_framework

from functions.boundary import runtime
from functions.boundary.console.app import create_app, serve

_lock = threading.Lock()
_app: flask.Flask | None = None


def _console_app() -> flask.Flask:
    global _app  # noqa: PLW0603 - one app per process, made on the first request
    if _app is None:
        with _lock:
            if _app is None:
                runtime.init()
                _app = create_app()
    return _app


@functions_framework.http
def console(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Route the request through the console's app (pages, sign-in, static files)."""
    return serve(_console_app(), request)
