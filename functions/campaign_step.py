"""``campaign_step``: Cloud Tasks HTTP target, one campaign step (plan a page, resume a page,
refresh the results); answers a JSON summary of the step."""

from __future__ import annotations

import flask
import functions_framework

from functions.boundary.campaigns import CAMPAIGN_STEP
from functions.boundary.serve import serve


@functions_framework.http
def campaign_step(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Run one step of a campaign; 2xx when done, 5xx when the queue should retry."""
    return serve(CAMPAIGN_STEP, request)
