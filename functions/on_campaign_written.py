"""``on_campaign_written``: Firestore ``document.v1.written`` on ``campaigns/{campaignId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary import cloudevents
from shared.flows.campaigns.trigger import handle_campaign_change


@functions_framework.cloud_event
def on_campaign_written(event: CloudEvent) -> None:
    """The change, decoded once, to the campaign flow; transient failures raise (retried)."""
    cloudevents.run(event, handle_campaign_change)
