"""``cart_sweep``: Cloud Scheduler HTTP target, every 15 minutes; answers a JSON summary."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.internal import sweep_request


@functions_framework.http
def cart_sweep(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return sweep_request(request)
