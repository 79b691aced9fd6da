"""``on_order_written``: Firestore ``document.v1.written`` on ``orders/{orderId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary.cloudevents import handle_firestore_event
from shared.flows.notify import handle_order_change


@functions_framework.cloud_event
def on_order_written(event: CloudEvent) -> None:
    handle_firestore_event(event, handle_order_change)
