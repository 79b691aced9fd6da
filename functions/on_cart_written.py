"""``on_cart_written``: Firestore ``document.v1.written`` on ``carts/{cartId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary import cloudevents
from shared.flows.carts.change import handle_cart_change


@functions_framework.cloud_event
def on_cart_written(event: CloudEvent) -> None:
    """The change, decoded once, to the cart flow; transient failures raise (Eventarc retries)."""
    cloudevents.run(event, handle_cart_change)
