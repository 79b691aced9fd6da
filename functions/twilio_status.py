"""``twilio_status``: Twilio ``StatusCallback`` (form POST); 2xx once the signature matches."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.webhooks import twilio_status_response


@functions_framework.http
def twilio_status(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return twilio_status_response(request)
