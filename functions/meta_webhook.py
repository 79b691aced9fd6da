"""``meta_webhook``: WhatsApp Cloud API webhook (GET verify handshake, POST signed JSON)."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary import webhooks
from functions.boundary.serve import serve


@functions_framework.http
def meta_webhook(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """GET: the verify handshake; anything else: a signed batch of Meta notifications."""
    if request.method == "GET":
        return serve(webhooks.META_VERIFY, request)
    return serve(webhooks.META_EVENTS, request)
