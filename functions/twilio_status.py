"""``twilio_status``: Twilio ``StatusCallback`` (form POST); 2xx once the signature matches."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary import webhooks
from functions.boundary.serve import serve


@functions_framework.http
def twilio_status(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Signed by Twilio or refused; then parsed, handled once, answered."""
    return serve(webhooks.TWILIO_STATUS, request)
