"""``on_order_written``: Firestore ``document.v1.written`` on ``orders/{orderId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary import cloudevents
from shared.flows.notify import handle_order_change


@functions_framework.cloud_event
def on_order_written(event: CloudEvent) -> None:
    """The change, decoded once, to the order flow; transient failures raise (Eventarc retries)."""
    cloudevents.run(event, handle_order_change)
