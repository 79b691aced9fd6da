"""``deliver_notification``: Cloud Tasks HTTP target, body ``{"notificationId": "..."}``."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.internal import deliver_request


@functions_framework.http
def deliver_notification(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return deliver_request(request)
