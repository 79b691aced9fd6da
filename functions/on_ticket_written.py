"""``on_ticket_written``: Firestore ``document.v1.written`` on ``tickets/{ticketId}``."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary import cloudevents
from shared.flows.notify import handle_ticket_change


@functions_framework.cloud_event
def on_ticket_written(event: CloudEvent) -> None:
    """The change, decoded once, to the ticket flow; transient failures raise (Eventarc retries)."""
    cloudevents.run(event, handle_ticket_change)
