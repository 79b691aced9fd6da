"""``meta_webhook``: WhatsApp Cloud API webhook (GET verify, POST signed JSON)."""

from __future__ import annotations

import flask
import functions_framework


@functions_framework.http
def meta_webhook(request: flask.Request) -> flask.typing.ResponseReturnValue:
    # Placeholder until the inbound-webhooks work lands.
    if request.method == "POST" and not request.headers.get("X-Hub-Signature-256"):
        return "missing signature", 401
    return "forbidden", 403
