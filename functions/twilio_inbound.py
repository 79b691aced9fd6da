"""``twilio_inbound``: Twilio Messaging webhook (SMS and WhatsApp form POST); answers TwiML."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary import webhooks
from functions.boundary.serve import serve


@functions_framework.http
def twilio_inbound(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Signed by Twilio or refused; then parsed, handled once, answered."""
    return serve(webhooks.TWILIO_INBOUND, request)
