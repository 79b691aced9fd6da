"""``deliver_notification``: Cloud Tasks HTTP target, body ``{"notificationId": "..."}``."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary import internal
from functions.boundary.serve import serve


@functions_framework.http
def deliver_notification(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Deliver one notification; 2xx when finished, 429/5xx when the queue should retry."""
    return serve(internal.DELIVER, request)
