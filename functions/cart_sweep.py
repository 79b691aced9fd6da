"""``cart_sweep``: Cloud Scheduler HTTP target, every 15 minutes; answers a JSON summary."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary import internal
from functions.boundary.serve import serve


@functions_framework.http
def cart_sweep(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Remind the carts that are due; the summary says what was found and enqueued."""
    return serve(internal.SWEEP, request)
