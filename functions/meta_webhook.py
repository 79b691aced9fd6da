"""``meta_webhook``: WhatsApp Cloud API webhook (GET verify handshake, POST signed JSON)."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.webhooks import meta_webhook_response


@functions_framework.http
def meta_webhook(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return meta_webhook_response(request)
