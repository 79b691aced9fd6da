"""``twilio_inbound``: Twilio Messaging webhook (SMS and WhatsApp form POST); answers TwiML."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.webhooks import twilio_inbound_response


@functions_framework.http
def twilio_inbound(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return twilio_inbound_response(request)
