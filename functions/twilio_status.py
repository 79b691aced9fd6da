"""``twilio_status``: Twilio webhook (form POST), signature checked before anything else."""

from __future__ import annotations

import flask
import functions_framework


@functions_framework.http
def twilio_status(request: flask.Request) -> flask.typing.ResponseReturnValue:
    # Placeholder until the inbound-webhooks work lands: refuse everything unsigned.
    if not request.headers.get("X-Twilio-Signature"):
        return "missing signature", 403
    return "not implemented", 403
